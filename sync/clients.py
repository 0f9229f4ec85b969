"""An Intacct client for a Connection: its credentials decrypted, its limits shared
with every other worker through the database, its refresh tokens stored encrypted."""

from django.conf import settings

from .intacct import Credentials, IntacctClient
from .intacct.xmlgw.session import SessionCache
from .models import Connection
from .throttle import DatabaseConcurrencyLimiter, DatabaseMeter, DatabaseRateLimiter


def connection_credentials(connection):
    """The client's credentials for ``connection``; secrets decrypted in memory only."""
    return Credentials(
        company_id=connection.company_id,
        entity_id=connection.entity_id,
        user_id=connection.user_id,
        user_password=connection.user_password,
        sender_id=connection.sender_id,
        sender_password=connection.sender_password,
        client_id=connection.oauth_client_id,
        client_secret=connection.oauth_client_secret,
        refresh_token=connection.oauth_refresh_token,
        base_url=connection.api_base_url.rstrip("/"),
    )


#: XML sessions outlive one client: every pass of this worker process reuses them
#: instead of logging in again. One cache per connection and endpoint, because the
#: cache itself is keyed by company/entity only, and two connections (a sandbox and
#: a production tenant, or a moved endpoint) may name the same company.
SESSIONS = {}


def sessions_for(connection):
    key = (connection.pk, connection.api_base_url, connection.user_id)
    return SESSIONS.setdefault(key, SessionCache())


def client_for(connection, *, http_transport=None, **options):
    """A ready client; ``http_transport`` lets tests reach the sandbox in-process."""

    def store_refresh_token(token):
        Connection.objects.filter(pk=connection.pk).update(oauth_refresh_token=token)

    return IntacctClient(
        connection_credentials(connection),
        http_transport=http_transport,
        routes=connection.routing or None,
        rate_limiter=DatabaseRateLimiter(
            connection.pk, rate=connection.requests_per_second
        ),
        concurrency=DatabaseConcurrencyLimiter(
            connection.pk, limit=connection.max_concurrency
        ),
        meter=DatabaseMeter(connection.pk),
        on_refresh_token=store_refresh_token,
        sessions=options.pop("sessions", None) or sessions_for(connection),
        # A worker waits out short throttles in place; a long Retry-After comes
        # back as RateLimited and the app's retry schedule (with Retry-After as its
        # floor, and the shared limiter paused for every worker) takes over, so no
        # task sleeps past django-q2's timeout.
        max_retries=options.pop("max_retries", settings.SYNC_CLIENT_MAX_RETRIES),
        retry_after_cap=options.pop(
            "retry_after_cap", settings.SYNC_CLIENT_RETRY_AFTER_CAP
        ),
        **options,
    )
