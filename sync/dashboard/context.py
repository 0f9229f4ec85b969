from django.contrib import admin

from .permissions import can


def page_context(request, title, **extra):
    """The admin's context (site header, user tools) plus the dashboard's own."""
    return {
        **admin.site.each_context(request),
        "title": title,
        "can": can(request.user),
        "reconciliation_enabled": True,
        **extra,
    }
