import pytest

from sync.models import IllegalTransition, Posting
from tests.factories import make_posting

pytestmark = pytest.mark.django_db

S = Posting.Status


def test_it_allows_a_legal_path_to_posted():
    posting = make_posting()
    for status in (S.IN_FLIGHT, S.UNCERTAIN, S.IN_FLIGHT, S.POSTED):
        posting.set_status(status)
    posting.refresh_from_db()
    assert posting.status == S.POSTED


@pytest.mark.parametrize(
    ("start", "illegal"),
    [
        (S.PENDING, S.POSTED),  # never posted without being sent
        (S.PENDING, S.UNCERTAIN),
        (S.POSTED, S.PENDING),  # a posted write is final; corrections are new postings
        (S.POSTED, S.FAILED),
        (S.SKIPPED, S.POSTED),
        (
            S.FAILED,
            S.IN_FLIGHT,
        ),  # a failure goes back through pending (a person retried)
    ],
)
def test_it_rejects_an_illegal_change(start, illegal):
    posting = make_posting(status=start)
    with pytest.raises(IllegalTransition):
        posting.set_status(illegal)
    posting.refresh_from_db()
    assert posting.status == start


def test_every_status_has_a_row_in_the_table():
    assert set(Posting.TRANSITIONS) == set(S)
    for targets in Posting.TRANSITIONS.values():
        assert targets <= set(S)


def test_the_idempotency_key_is_deterministic_and_version_specific():
    key = Posting.make_idempotency_key
    a = key(
        connection_id=1, action="post_ar_invoice", source_identity="s/o/1", version=1
    )
    b = key(
        connection_id=1, action="post_ar_invoice", source_identity="s/o/1", version=1
    )
    c = key(
        connection_id=1, action="post_ar_invoice", source_identity="s/o/1", version=2
    )
    d = key(
        connection_id=2, action="post_ar_invoice", source_identity="s/o/1", version=1
    )
    assert a == b
    assert len({a, c, d}) == 3
    assert len(a) == 32
