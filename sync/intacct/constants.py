"""Every tunable of the Intacct client, in one place.

Values marked [M] were chosen by measurement against the sandbox (see
bench/README.md); the rest follow WIRE.md or Intacct's published limits.
"""

from __future__ import annotations

# --- endpoints -------------------------------------------------------------------
DEFAULT_BASE_URL = "https://api.intacct.com"
XML_PATH = "/ia/xml/xmlgw.phtml"
REST_PATH = "/ia/api/v1"
USER_AGENT = "intacct-hub-client/1.0"

# --- timeouts (seconds) ------------------------------------------------------------
CONNECT_TIMEOUT = 10.0
# Intacct keeps processing a synchronous request for up to 15 minutes; the SDKs
# wait 300 s. A write cut off earlier becomes OutcomeUnknown, never a blind re-send.
READ_TIMEOUT = 300.0
WRITE_TIMEOUT = 60.0
POOL_TIMEOUT = 30.0

# --- retries and backoff ----------------------------------------------------------
MAX_RETRIES = 5  # same as the official SDKs
BACKOFF_BASE = 0.5  # first retry waits up to 0.5 s (full jitter)
BACKOFF_CAP = 30.0  # min(base * 2**n, cap)
RETRY_AFTER_CAP = 120.0  # never sleep longer than this on one Retry-After
# Headers Intacct (and its gateway) use to say when to come back (WIRE.md B.5).
RETRY_AFTER_HEADERS = (
    "retry-after",
    "x-ia-throttle-limit-retryafter",
    "x-ia-throttle-limit-retry-after",
    "x-ia-minute-rate-limit-retry-after",
    "x-ia-hour-rate-limit-retry-after",
    "x-ia-tenant-throttle-limit-retry-after",
)

# --- per-company limits (in-memory defaults; the hub plugs in shared ones) ----------
RATE_LIMIT_PER_SECOND = 10.0
RATE_LIMIT_BURST = 10
CONCURRENCY_CAP = 2  # "most customers … 2 concurrent requests" (TEST-CATALOGUE)
CONCURRENCY_WAIT = 300.0  # how long a caller waits for a free slot

# --- XML gateway -------------------------------------------------------------------
DTD_VERSION = "3.0"
# Functions per request. ~100 is Intacct's own recommendation; at 100 the bench
# reaches its targets with room to spare and one request stays well under the
# sync timeout. [M]
XML_BATCH_SIZE = 100
# Renew a session this long before its sliding timeout expires.
SESSION_RENEW_MARGIN = 300.0
SESSION_DEFAULT_LIFETIME = 3600.0  # used when the response carries no timeout
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # refuse to parse anything larger
READ_BY_QUERY_PAGE = 1000  # readByQuery maximum (WIRE.md A.6)
QUERY_PAGE = 2000  # query maximum (WIRE.md A.7)
IN_LIST_MAX = 1000  # values per `in` filter (WIRE.md A.7)
FIND_BATCH = 100  # references per pre-read; TEST-CATALOGUE B4 asks ≤ 100

# --- REST --------------------------------------------------------------------------
TOKEN_REFRESH_MARGIN = 60.0  # refresh an access token this long before expiry
TOKEN_DEFAULT_LIFETIME = 3600.0
REST_QUERY_PAGE = 2000  # one billed query returns up to 2,000 rows
IDEMPOTENCY_KEY_MAX = 256

# --- redaction ----------------------------------------------------------------------
EXCERPT_LIMIT = 4000  # characters kept in a stored request/response excerpt
MASK = "***"
