"""Sage Intacct REST API v1: OAuth tokens, object CRUD, the query service."""
