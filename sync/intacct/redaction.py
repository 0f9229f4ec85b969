"""Keep secrets out of logs and stored request/response excerpts.

Two layers: patterns that blank the *places* secrets live in (XML elements, JSON
keys, form fields, Authorization headers), and the literal values of every
configured secret, in case one turns up anywhere else.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from sync.intacct.constants import EXCERPT_LIMIT, MASK

#: What a cut-short text's end may still hold after redaction (see redact_excerpt).
CUT_SLACK = 256

# Element / key names whose content is secret, in either protocol.
SECRET_NAMES = (
    "password",
    "sender_password",
    "user_password",
    "sessionid",
    "sessionId",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
)
# Form posts (OAuth) also carry the authorization code and revocable tokens;
# in JSON bodies "code" is an error code, so it stays readable there.
FORM_NAMES = (*SECRET_NAMES, "code", "token")
_NAMES = "|".join(re.escape(n) for n in SECRET_NAMES)
_FORM_NAMES = "|".join(re.escape(n) for n in FORM_NAMES)
_XML = re.compile(rf"(<(?:{_NAMES})(?:\s[^>]*)?>)([^<]*)(</)", re.IGNORECASE)
_JSON = re.compile(rf'("(?:{_NAMES})"\s*:\s*")((?:[^"\\]|\\.)*)(")', re.IGNORECASE)
# The same places in a text cut short: an element or string left open by the cut
# is masked to the end.
_XML_CUT = re.compile(rf"(<(?:{_NAMES})(?:\s[^>]*)?>)([^<]*)(</|\Z)", re.IGNORECASE)
_JSON_CUT = re.compile(
    rf'("(?:{_NAMES})"\s*:\s*")((?:[^"\\]|\\.?)*)("|\Z)', re.IGNORECASE
)
_FORM = re.compile(rf"((?:^|[?&\s])(?:{_FORM_NAMES})=)([^&\s]+)", re.IGNORECASE)
_HEADER = re.compile(
    r"((?:authorization|proxy-authorization)['\"]?\s*[:=,]\s*['\"]?"
    r"(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(\bBearer\s+)([A-Za-z0-9._~+/=-]{8,})")


class SecretRegistry:
    """The literal secret values known to this process (thread-safe)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= 4)

    def values(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)


REGISTRY = SecretRegistry()


def redact(text: str, secrets: Iterable[str | None] = (), *, cut: bool = False) -> str:
    """`text` with secret places and secret values masked. ``cut``: the text was cut
    from a longer one, so what was cut open at its end (an element, a string, the
    start of a secret value) is masked to the end too."""
    if not text:
        return text
    xml, json = (_XML_CUT, _JSON_CUT) if cut else (_XML, _JSON)
    text = xml.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = json.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _FORM.sub(lambda m: m.group(1) + MASK, text)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    values = {s for s in secrets if s and len(s) >= 4}
    values.update(REGISTRY.values())
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    if cut:
        text = _mask_cut_value(text, values)
    return text


def _mask_cut_value(text: str, values: Iterable[str]) -> str:
    """Mask the start of a secret value the cut left at the end of ``text``: the
    longest such start of any value (a shorter one of another value may match the
    last characters by chance)."""
    cut = max((_cut_start(text, value) for value in values), default=0)
    return text[:-cut] + MASK if cut else text


def _cut_start(text: str, value: str) -> int:
    """How many characters at the end of ``text`` begin ``value`` (0 if none)."""
    tail = text[-(len(value) - 1) :] if len(value) > 1 else ""
    for start, char in enumerate(tail):
        if char == value[0] and value.startswith(tail[start:]):
            return len(tail) - start
    return 0


def redact_excerpt(
    text: str | bytes, secrets: Iterable[str | None] = (), limit: int = EXCERPT_LIMIT
) -> str:
    """A redacted, length-bounded excerpt of a request or response body."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if len(text) > 2 * limit:
        # A batch's request or response runs to hundreds of kB: redacting all of it
        # to keep a few thousand characters cost a fifth of the client's CPU (issue
        # 7 bench). Twice the limit is redacted as a cut text; only a cut-open
        # bearer token's few characters can be left at its very end, and they
        # stay out of the excerpt unless masking shrank the text to near the limit
        # (then everything is redacted, as below).
        head = redact(text[: 2 * limit], secrets, cut=True)
        if len(head) >= limit + CUT_SLACK:
            return head[:limit] + f"…[cut from {len(text)} chars]"
    # Redact before cutting, so a cut never splits a secret out of its pattern.
    cleaned = redact(text, secrets)
    if len(cleaned) > limit:
        cleaned = cleaned[:limit] + f"…[{len(cleaned) - limit} more chars]"
    return cleaned


def redact_headers(
    headers: Iterable[tuple[str, str]], secrets: Iterable[str | None] = ()
) -> list[tuple[str, str]]:
    """Headers with Authorization (and anything carrying a secret) masked."""
    secrets = list(secrets)
    out = []
    for name, value in headers:
        if name.lower() in ("authorization", "proxy-authorization", "cookie"):
            out.append((name, MASK))
        else:
            out.append((name, redact(value, secrets)))
    return out


class SecretFilter(logging.Filter):
    """A logging filter that rewrites each record with secrets masked."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not our business
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


LOGGERS = (
    "sync.intacct",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
_installed = SecretFilter()


def install_log_filter(logger_names: Iterable[str] = LOGGERS) -> SecretFilter:
    """Attach the shared filter to our loggers and httpx's (idempotent).

    Filters on a logger do not see records from its children, so each known
    child logger gets it too.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if _installed not in logger.filters:
            logger.addFilter(_installed)
    return _installed
