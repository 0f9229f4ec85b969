"""Business logic of the sync app, called by views, admin actions, tasks, commands."""
