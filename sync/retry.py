"""The app's own retry schedule for transient failures (django-q2 never retries work).

| attempt | base delay | with full jitter |
|---|---|---|
| 1 | 30 s | 0–30 s |
| 2 | 1 min | 0–1 min |
| 3 | 2 min | 0–2 min |
| 4 | 4 min | 0–4 min |
| 5 | 8 min | 0–8 min |
| 6 | 16 min | 0–16 min |
| 7 | 32 min | 0–32 min |
| 8 | — | to the failure queue |

Intacct's ``Retry-After`` (429/503) is a floor under the jittered delay. A 429 (or a
pass whose lease ran short before it could send) proves nothing was done: it waits
the first row's delay (or the Retry-After) and does not count as an attempt, so a
429 storm never sends a posting to the failure queue. The base
(30 s) is ``settings.SYNC_RETRY_BASE_SECONDS``; fault tests shrink it.
"""

import random
from datetime import timedelta

from django.conf import settings

CAP_SECONDS = 60 * 60
MAX_ATTEMPTS = 8


def retry_delay(attempt, *, retry_after=None, rng=random.random):
    """Seconds to wait before attempt ``attempt + 1``; None when attempts are spent."""
    if attempt >= MAX_ATTEMPTS:
        return None
    base = settings.SYNC_RETRY_BASE_SECONDS
    ceiling = min(base * 2 ** (attempt - 1), CAP_SECONDS)
    delay = rng() * ceiling
    if retry_after:
        delay = max(delay, float(retry_after))
    return timedelta(seconds=delay)
