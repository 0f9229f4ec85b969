"""Secrets never survive into excerpts, reprs or log records."""

import logging
import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync.intacct import Credentials, redact_excerpt
from sync.intacct.constants import EXCERPT_LIMIT
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


SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
OTHER_SECRETS = [letter * 4 + "-other" for letter in SECRET_ALPHABET]
FRAGMENTS = (
    "<password>{}</password>",
    '{{"access_token": "{}"}}',
    "client_secret={}&x=1",
    "Authorization: Bearer {}",
    " {} ",  # a literal secret value, known to the redactor
)


@settings(max_examples=300, deadline=None)
@given(
    # Up to longer than the excerpt itself: a token can run to kilobytes.
    length=st.one_of(
        st.integers(min_value=8, max_value=300),
        st.integers(min_value=300, max_value=3 * EXCERPT_LIMIT),
    ),
    seed=st.integers(min_value=0, max_value=2**32),
    fragment=st.sampled_from(FRAGMENTS),
    offset=st.integers(min_value=-3 * EXCERPT_LIMIT, max_value=40),
    earlier=st.integers(min_value=0, max_value=60),
)
# Cut open at the boundary, starting inside the excerpt: an element, a literal value.
@example(length=7990, seed=0, fragment=FRAGMENTS[0], offset=0, earlier=1)
@example(length=6000, seed=1, fragment=FRAGMENTS[4], offset=-5000, earlier=0)
@example(length=6000, seed=2, fragment=FRAGMENTS[1], offset=-5000, earlier=0)
def test_a_long_text_cut_anywhere_never_shows_a_secret(
    length, seed, fragment, offset, earlier
):
    # Long texts are redacted only as far as the excerpt needs: a secret cut open
    # at that boundary, or a text shrunk by many masked secrets before it, must
    # still never show.
    secret = "".join(random.Random(seed).choices(SECRET_ALPHABET, k=length))
    shown = fragment.format(secret)
    before = "<sessionid>" + secret + "</sessionid>."
    filler = "." * max(0, 2 * EXCERPT_LIMIT + offset - earlier * len(before))
    text = before * earlier + filler + shown + "." * 3 * EXCERPT_LIMIT

    # Other known secrets, one of which may end the text by chance with a
    # character or two of its own start: the longest start must be masked.
    out = redact_excerpt(text, [secret, *OTHER_SECRETS])

    assert len(out) < EXCERPT_LIMIT + 100
    windows = {secret[i : i + 6] for i in range(len(secret) - 5)}
    assert not any(window in out for window in windows)
