"""The hub's dashboard: health, the failure queue, resyncs, runs and ops pages.

Built on the Django admin's look (templates extend ``admin/base_site.html``); reads
live in ``selectors``, every change goes through a ``sync.services`` function.
"""
