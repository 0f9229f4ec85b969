"""Secrets never survive into excerpts, reprs or log records."""

import logging

from sync.intacct import Credentials, redact_excerpt
from sync.intacct.redaction import SecretFilter


def test_credentials_repr_masks_every_secret():
    creds = Credentials(
        company_id="co",
        user_id="u",
        user_password="UPW-123456",
        sender_id="s",
        sender_password="SPW-123456",
        client_id="cid",
        client_secret="CS-123456",
        refresh_token="RT-123456",
    )
    text = repr(creds) + str(creds) + f"{creds}"
    for secret in creds.secrets():
        assert secret not in text
    assert "company_id='co'" in text


def test_excerpt_masks_xml_json_form_and_headers():
    xml = (
        "<request><control><password>pw-one</password></control>"
        "<authentication><sessionid>sess-abc..</sessionid>"
        "<login><password>pw-two</password></login></authentication></request>"
    )
    json_body = (
        '{"access_token": "eyJhbGciOi.x.y", "refresh_token": "rt-1", '
        '"code": "tokenInvalid"}'
    )
    form = "grant_type=client_credentials&client_id=c&client_secret=cs-9&code=abc"
    header = "Authorization: Bearer eyJabc.def.ghi"
    out = redact_excerpt("\n".join([xml, json_body, form, header]))
    for secret in (
        "pw-one",
        "pw-two",
        "sess-abc..",
        "eyJhbGciOi",
        "rt-1",
        "cs-9",
        "code=abc",
        "eyJabc",
    ):
        assert secret not in out
    assert '"code": "tokenInvalid"' in out  # error codes stay readable


def test_excerpt_masks_literal_values_anywhere_and_bounds_length():
    out = redact_excerpt("x" * 10 + "hunter2-secret" + "y" * 5000, ["hunter2-secret"])
    assert "hunter2" not in out
    assert len(out) < 4100


def test_log_filter_rewrites_records():
    record = logging.LogRecord(
        "sync.intacct",
        logging.DEBUG,
        __file__,
        1,
        "sent %s",
        ("<password>p4ss</password>",),
        None,
    )
    SecretFilter().filter(record)
    assert "p4ss" not in record.getMessage()
