"""All documented REST error envelopes type the same way (WIRE.md B.5)."""

import pytest

from sync.intacct import errors


@pytest.mark.parametrize(
    ("status", "body", "expected", "errorno"),
    [
        (  # 1. guide shape, business error with details
            422,
            {
                "ia::error": {
                    "code": "operationFailed",
                    "message": "Operation create object HQemployee failed",
                    "supportId": "abc%7Edef",
                    "details": [
                        {
                            "code": "BL01001973",
                            "message": "Contact info cannot be empty",
                        }
                    ],
                }
            },
            errors.ValidationError,
            "BL01001973",
        ),
        (  # 2. OpenAPI error-response shape
            400,
            {
                "ia::result": {
                    "ia::error": {
                        "code": "invalidRequest",
                        "message": "A POST request requires a payload",
                        "errorId": "REST-1028",
                        "supportId": "Kxi78%7E",
                    }
                },
                "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1},
            },
            errors.ValidationError,
            "invalidRequest",
        ),
        (  # 3. token error shape
            401,
            {"error": {"code": "tokenInvalid", "message": "Token is not valid"}},
            errors.AuthError,
            "tokenInvalid",
        ),
        (  # gateway rate limit
            429,
            {"ia::error": {"code": "GW-0010", "message": "API rate limit exceeded"}},
            errors.RateLimited,
            "GW-0010",
        ),
        (  # RFC 6749 OAuth error
            401,
            {"error": "invalid_client", "error_description": "Client auth failed"},
            errors.AuthError,
            "invalid_client",
        ),
        (
            409,
            {"ia::error": {"code": "duplicateValue", "message": "already exists"}},
            errors.DuplicateRecord,
            "duplicateValue",
        ),
        (
            422,
            {
                "ia::error": {
                    "code": "operationFailed",
                    "message": "failed",
                    "details": [
                        {"code": "BL01001973", "message": "Periods are closed"}
                    ],
                }
            },
            errors.BusinessRuleError,
            "BL01001973",
        ),
        (503, {}, errors.ServiceUnavailable, ""),
        (
            403,
            {"ia::error": {"code": "forbidden", "message": "no"}},
            errors.PermissionDenied,
            "forbidden",
        ),
    ],
)
def test_rest_envelopes(status, body, expected, errorno):
    error = errors.from_rest_body(status, body, retry_after=3.0)
    assert type(error) is expected
    assert error.errorno == errorno
    assert error.protocol == "rest" and error.status_code == status
    if expected is errors.RateLimited:
        assert error.retry_after == 3.0 and error.retryable


def test_support_id_is_kept():
    error = errors.from_rest_body(
        500, {"ia::error": {"code": "internalError", "message": "x", "supportId": "S1"}}
    )
    assert error.support_id == "S1" and error.retryable


def test_a_custom_limiter_and_meter_are_used(make_client):
    calls = []

    class Limiter:
        def reserve(self, scope):
            calls.append(("reserve", scope))
            return 0.0

        def pause(self, scope, seconds):
            calls.append(("pause", scope))

    class Slots:
        def acquire(self, scope, timeout):
            calls.append(("acquire", scope))
            return True

        def release(self, scope):
            calls.append(("release", scope))

    class Meter:
        n = 0

        def add(self, scope, count):
            Meter.n += count

        def total(self, scope):
            return Meter.n

    client = make_client(
        "xml", rate_limiter=Limiter(), concurrency=Slots(), meter=Meter()
    )
    client.find("CUSTOMER", ["A"])
    assert ("reserve", "SANDBOX-DEMO") in calls
    assert calls.count(("acquire", "SANDBOX-DEMO")) == calls.count(
        ("release", "SANDBOX-DEMO")
    )
    assert client.transactions == 1
