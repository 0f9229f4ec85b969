"""A request's Content-Length never makes the sandbox read without bound: a
negative one is read as no length (XML, REST) or refused (controls)."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

from sandbox import Sandbox, make_app


class BoundedStream(io.BytesIO):
    """A request body that fails the test if asked for all of itself."""

    def read(self, size=-1):
        assert size is not None and size >= 0, f"unbounded read({size})"
        return super().read(size)


def call(path, body, length):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json" if "_sandbox" in path else "x-intacct",
        "CONTENT_LENGTH": str(length),
        "wsgi.input": BoundedStream(body),
    }
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    chunks = make_app(Sandbox())(environ, start_response)
    return answer["status"], b"".join(chunks)


@pytest.mark.parametrize(
    "path", ["/ia/xml/xmlgw.phtml", "/ia/api/v1/objects/accounts-receivable/customer"]
)
def test_a_negative_length_is_read_as_no_length_up_to_the_limit(path):
    status, _ = call(path, b"x" * 10_000_000, -5)

    assert status in (400, 401, 413)


def test_a_negative_length_is_a_bad_control_request():
    status, body = call("/_sandbox/reset", json.dumps({}).encode(), -5)

    assert status == 400
    assert b"negative" in body
