"""Intacct Hub settings: one module, driven by the environment (see .env.example)."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(env_file).is_file():
    environ.Env.read_env(env_file)


def env_secret(name, default=None):
    """Read NAME from the environment, or from the file named by NAME_FILE."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


# "embedded": one machine, SQLite, the bundled sandbox, development keys (make run,
# make test). "production": every secret must be supplied and the sandbox is off.
HUB_ENV = env.str("HUB_ENV", default="embedded")
if HUB_ENV not in ("embedded", "production"):
    raise ImproperlyConfigured(
        f"HUB_ENV must be embedded or production, not {HUB_ENV!r}"
    )
EMBEDDED = HUB_ENV == "embedded"
DEBUG = env.bool("DEBUG", default=EMBEDDED)
if EMBEDDED:
    VAR_DIR.mkdir(exist_ok=True)  # the SQLite files of the embedded default live here

SECRET_KEY = env_secret("SECRET_KEY", default="")
if not SECRET_KEY:
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set")
    SECRET_KEY = "embedded-development-only-" + "x" * 40  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "commerce",
    "mappings",
    "sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mappings.history.ChangeAuthorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "intacct_hub.urls"
WSGI_APPLICATION = "intacct_hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'intacct_hub.sqlite3'}"
    )
}
# Keep connections between requests and tasks: opening one per webhook (and again
# for each django-q2 enqueue, which closes "old" connections first) cost more CPU
# than the webhook itself. Health checks drop a connection the server closed.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker cluster read while the other writes;
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too: an in-memory shared-cache database answers concurrent
    # writers with "table is locked" instead of waiting, unlike the real thing.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        # One file per test process, so concurrent runs never share a database.
        "NAME",
        str(VAR_DIR / f"test-intacct_hub-{os.getpid()}.sqlite3"),
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator"},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))

LOGIN_URL = "admin:login"

# --- Security (python manage.py check --deploy is clean with DEBUG off) ---------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not EMBEDDED)
# Load balancers probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not EMBEDDED)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not EMBEDDED)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=0 if EMBEDDED else 31536000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Secrets at rest -----------------------------------------------------------------
# HUB_ENCRYPTION_KEYS: "keyid:base64key,keyid2:base64key2" (32-byte AES keys). The first
# key encrypts new values; every listed key still decrypts: keys rotate by prepending.
HUB_ENCRYPTION_KEYS = env_secret("HUB_ENCRYPTION_KEYS", default="")
if not HUB_ENCRYPTION_KEYS:
    if not EMBEDDED:
        raise ImproperlyConfigured(
            "HUB_ENCRYPTION_KEYS (or HUB_ENCRYPTION_KEYS_FILE) must be set"
        )
    # A fixed development key: anything encrypted under it is demo data only.
    HUB_ENCRYPTION_KEYS = "dev:aW50YWNjdC1odWItZW1iZWRkZWQtZGV2LWtleS0zMmI="

# --- The bundled Intacct sandbox -----------------------------------------------------
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=EMBEDDED)
SANDBOX_DB = env.str("SANDBOX_DB", default=str(VAR_DIR / "sandbox.sqlite3"))

# --- Background work (django-q2) ----------------------------------------------------
# The broker is the ORM (at-least-once delivery through our own database, nothing
# else to run) unless Q_BROKER_URL names a Redis server (redis://, rediss:// or
# unix://; Q_BROKER_URL_FILE if it holds a password). Redis can lose queued tasks in
# a crash, which costs only latency: tasks carry ids only, the Posting table is the
# outbox, and the dispatcher re-sends whatever is due every minute. The app owns its
# retry schedule, so django-q2's own redelivery is only crash recovery: timeout <
# retry, failed tasks acknowledged, few attempts. Every cluster of one site must use
# the same broker and Q_CLUSTER_NAME (the queue's name and the tasks' signing salt).
Q_BROKER_URL = env_secret("Q_BROKER_URL", default="")
Q_BROKER_URL = Q_BROKER_URL or env.str("REDIS_URL", default="")  # its former name
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="intacct-hub"),
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=120),
    "retry": env.int("Q_RETRY", default=180),
    "max_attempts": 2,
    "ack_failures": True,
    # Keep every task result; the hourly prune (sync.tasks.task_results_prune) drops
    # old ones. A positive limit makes django-q2's monitor lock and read the whole
    # success table for every task, which at a few thousand tasks left it behind the
    # workers: unacknowledged tasks then came back after `retry` and ran again.
    "save_limit": 0,
    "catch_up": False,
    "poll": 1,
}
if Q_BROKER_URL and Q_BROKER_URL != "orm":
    if not Q_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "Q_BROKER_URL must be a redis://, rediss:// or unix:// URL (or unset, or "
            "orm, for the ORM broker)"
        )
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = Q_BROKER_URL
# Task results (django-q2's Task table) older than this are pruned every hour.
TASK_RESULTS_KEEP_HOURS = env.int("TASK_RESULTS_KEEP_HOURS", default=48)
# A claimed posting whose worker has not settled it within this time is treated as
# abandoned (crash): it becomes uncertain and is verified before anything is re-sent.
# Must exceed the longest batch a worker sends, retries included.
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=300)
# Postings one executor pass claims (and sends in batches). A pass that claims this
# many wakes a peer, so a backlog spreads over the workers of every cluster.
SYNC_CLAIM_LIMIT = env.int("SYNC_CLAIM_LIMIT", default=100)
if SYNC_CLAIM_LIMIT < 1:  # a pass that may claim nothing would never send anything
    raise ImproperlyConfigured("SYNC_CLAIM_LIMIT must be a whole number of at least 1")
# Billed Intacct API transactions a month that the tenant's tier includes (the
# dashboard shows usage against it): a number, or {"<connection slug>": n, "*": n}.
INTACCT_MONTHLY_TRANSACTIONS = env.int("INTACCT_MONTHLY_TRANSACTIONS", default=100_000)
# Retries the client makes inside one worker pass, and the longest Retry-After it
# sleeps there; anything longer goes back to the app's retry schedule.
SYNC_CLIENT_MAX_RETRIES = env.int("SYNC_CLIENT_MAX_RETRIES", default=2)
SYNC_CLIENT_RETRY_AFTER_CAP = env.float("SYNC_CLIENT_RETRY_AFTER_CAP", default=5.0)
# First step of the retry schedule for transient failures (sync/retry.py).
SYNC_RETRY_BASE_SECONDS = env.float("SYNC_RETRY_BASE_SECONDS", default=30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Commerce inbound (webhooks, ingest API, API2Cart polling) -----------------------
# Largest body the webhook and ingest endpoints read (413 above it). Our own limit,
# independent of DATA_UPLOAD_MAX_MEMORY_SIZE: a batch of 1,000 orders is a few MB.
COMMERCE_MAX_BODY_BYTES = env.int("COMMERCE_MAX_BODY_BYTES", default=10 * 1024 * 1024)
COMMERCE_INGEST_MAX_BATCH = env.int("COMMERCE_INGEST_MAX_BATCH", default=1000)
# Ingest API requests a minute per API token (429 with Retry-After above it), counted
# in the database so every web process shares the count. 0 turns the limit off.
INGEST_RATE_LIMIT_PER_MINUTE = env.int("INGEST_RATE_LIMIT_PER_MINUTE", default=600)
COMMERCE_API2CART_URL = env.str(
    "COMMERCE_API2CART_URL", default="https://api.api2cart.com/v1.1/"
)
# Each poll re-reads this far behind the newest modified_at it has seen, so records
# whose timestamps were written late (store clocks, slow transactions) are not missed.
COMMERCE_API2CART_OVERLAP_SECONDS = env.int(
    "COMMERCE_API2CART_OVERLAP_SECONDS", default=600
)
COMMERCE_API2CART_PAGE_SIZE = env.int("COMMERCE_API2CART_PAGE_SIZE", default=100)
