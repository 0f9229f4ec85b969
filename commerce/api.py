"""The ingest API: POST records (one or a batch), and the OpenAPI document."""

import re

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .auth import source_authenticate
from .http import HttpProblem, parse_json, read_body, require_json
from .ingest import ingest_parse, ingest_store, prior_response, request_hash
from .openapi import openapi_document
from .ratelimit import ingest_rate_limit

# Printable ASCII, no spaces: what clients put in keys in practice (UUIDs, hashes).
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@csrf_exempt  # A machine endpoint: authenticated by the bearer token, not a cookie.
@require_POST
def records_create(request, slug):
    """Store one record or a batch of up to COMMERCE_INGEST_MAX_BATCH."""
    try:
        source = source_authenticate(request, slug)
        ingest_rate_limit(source)  # before the body is read: a refusal stores nothing
        body = read_body(request)
        require_json(request)
        parsed = parse_json(body)
        key = idempotency_key(request)
        digest = request_hash(body)
        if key and (prior := prior_response(source=source, key=key, digest=digest)):
            response = JsonResponse(prior[1], status=prior[0])
            response["Idempotent-Replayed"] = "true"
            return response
        records = ingest_parse(parsed)
        status, answer = ingest_store(
            source=source, records=records, key=key, digest=digest
        )
    except HttpProblem as problem:
        return with_auth_challenge(problem)
    return JsonResponse(answer, status=status)


def idempotency_key(request):
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise HttpProblem(
            400,
            "bad_idempotency_key",
            "Idempotency-Key must be 1-255 printable ASCII characters",
        )
    return key


def with_auth_challenge(problem):
    response = problem.response()
    if problem.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="intacct-hub"'
    elif problem.status == 429:
        response["Retry-After"] = str(problem.extra["retry_after"])
    return response


@require_GET
def openapi_json(request):
    """The OpenAPI 3.1 document of the ingest API."""
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 1})
