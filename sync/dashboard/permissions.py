"""Who may see and do what. Every view names its permission; the groups that hold
them come from sync/migrations/0002 (viewer, finance, ops)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

VIEW = "sync.view_posting"
VIEW_FAILURES = "sync.view_failure"
VIEW_RUNS = "sync.view_syncrun"
RESOLVE = "sync.resolve_failure"
#: Spends Intacct API transactions from the browser: resyncs and connection tests.
RESYNC = "sync.trigger_resync"
SUPERUSER = "superuser"


def allowed(user, perm):
    if perm == SUPERUSER:
        return user.is_active and user.is_superuser
    return user.is_active and user.is_staff and user.has_perm(perm)


def require(perm):
    """Anonymous users go to the login page; logged-in users without ``perm``: 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated or not request.user.is_staff:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.permission = perm
        return wrapper

    return decorator


def can(user):
    """What the templates ask: which buttons to show (the views check again)."""
    return {
        "resolve": allowed(user, RESOLVE),
        "resync": allowed(user, RESYNC),
        "resume": allowed(user, SUPERUSER),
        "edit_mappings": user.has_perm("mappings.change_fieldmapping"),
    }
