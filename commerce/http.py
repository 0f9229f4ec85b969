"""Plumbing shared by the machine endpoints: bounded bodies, JSON, uniform errors."""

import json

from django.conf import settings
from django.http import JsonResponse


class HttpProblem(Exception):
    """An answer other than success, with a machine code and a sentence for people."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self):
        return problem(self.status, self.code, self.message, **self.extra)


def problem(status, code, message, **extra):
    return JsonResponse(
        {"error": {"code": code, "message": message, **extra}}, status=status
    )


def max_body_bytes():
    return settings.COMMERCE_MAX_BODY_BYTES


def read_body(request):
    """The raw body, refusing more than COMMERCE_MAX_BODY_BYTES with a 413.

    Reads the stream directly (not request.body) so the limit is ours, and a body
    that lies about its length is still cut off.
    """
    limit = max_body_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HttpProblem(400, "bad_length", "Content-Length is not a number") from None
    if declared > limit:
        raise too_large(limit)
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large(limit)
    return body


def too_large(limit):
    return HttpProblem(
        413, "body_too_large", f"the body is larger than {limit} bytes", limit=limit
    )


def require_json(request):
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HttpProblem(
            415,
            "unsupported_media_type",
            f"Content-Type must be application/json, not {media_type or 'missing'!r}",
        )


def parse_json(body):
    """Decode strict UTF-8 JSON; 400 with the reason otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpProblem(
            400, "invalid_utf8", f"the body is not UTF-8 (byte {exc.start})"
        ) from None
    try:
        return json.loads(text, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        raise HttpProblem(
            400, "malformed_json", f"the body is not JSON: {exc}"
        ) from None


def reject_constant(name):
    # NaN and Infinity are not JSON, whatever Python's parser allows by default.
    raise ValueError(f"{name} is not valid JSON")
