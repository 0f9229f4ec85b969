"""gunicorn settings for the hub's web process (see docs/SCALE-OUT.md).

    gunicorn -c deploy/gunicorn.conf.py

Run from the repository root with the production environment (HUB_ENV=production,
DATABASE_URL=postgres://…, the secrets). Each setting below can be changed through the
environment variable named beside it.
"""

import multiprocessing
import os

wsgi_app = "intacct_hub.wsgi:application"

# Behind a TLS-terminating reverse proxy on the same host (or a private network).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: every request is short. A webhook or ingest call stores the record and
# answers; Intacct is only ever called by the qcluster workers, never by a request.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

# The proxy's address: only it may say a request came over HTTPS. Django itself trusts
# X-Forwarded-Proto when BEHIND_TLS_PROXY=true, so the proxy must always set (never
# pass through) that header.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr (journald or the platform collects them). The access log has
# no request bodies or headers, so no webhook payload or API token reaches it.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicorn's runtime control socket is not used by this layout.
control_socket_disable = True
