"""The compiled fast path never accepts what the reference validator refuses: it
only skips the work of writing errors for a valid record. (Where the two regex
engines differ — Python's ``$`` also matches before a final newline — the fast path
is the stricter one, and the reference then decides.)"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.schema import fast_validator, validator
from tests.commerce.records import order_data

FIELDS = st.sampled_from(["email", "currency", "total_price", "created_at", "id"])
VALUES = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[^@\s]{1,8}@[^@\s]{1,8}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,7})?\n?", fullmatch=True),
    st.from_regex(r"[A-Za-z]{2,4}\n?", fullmatch=True),
    st.integers(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(field=FIELDS, value=VALUES)
def test_the_fast_path_accepts_only_what_the_reference_accepts(field, value):
    record = {**order_data(id="1", number="N1"), field: value}
    if fast_validator("order").is_valid(record):
        assert not list(validator("order").iter_errors(record)), (field, value)


@pytest.mark.parametrize("email", ["a\x1c@b.example", "a b@c.example", "a@@b"])
def test_an_email_with_control_or_space_characters_is_refused_by_both(email):
    record = {**order_data(id="1", number="N1"), "email": email}
    assert not fast_validator("order").is_valid(record)
    assert list(validator("order").iter_errors(record))
