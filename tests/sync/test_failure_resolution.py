import pytest

from sync.models import AuditEvent, ExternalRef, Failure, IllegalTransition, Posting
from sync.services.failures import (
    ResolutionError,
    failure_assign,
    failure_ignore,
    failure_link,
    failure_record,
    failure_retry,
    failures_bulk,
    failures_supersede,
    failures_supersede_all,
)
from tests.factories import make_posting, make_record, make_user

pytestmark = pytest.mark.django_db

S = Posting.Status


def failed_posting(**fields):
    posting = make_posting(status=S.IN_FLIGHT, intacct_object="ARINVOICE", **fields)
    failure = failure_record(
        posting=posting,
        category="business",
        message="Customer C-9 does not exist",
        errorno="BL01001973",
        correction="Create the customer first",
        support_id="abc123",
    )
    return posting, failure


def test_recording_a_failure_moves_the_posting_and_keeps_intacct_words():
    posting, failure = failed_posting()
    posting.refresh_from_db()
    assert posting.status == S.FAILED
    assert (failure.errorno, failure.correction, failure.support_id) == (
        "BL01001973",
        "Create the customer first",
        "abc123",
    )


def test_a_second_failure_of_the_same_posting_refreshes_the_open_one():
    posting, first = failed_posting()
    failure_retry(failure=first, user=None)
    posting.refresh_from_db()
    posting.set_status(S.IN_FLIGHT)
    second = failure_record(posting=posting, category="transport", message="timeout")
    assert second.pk != first.pk
    assert Failure.objects.filter(posting=posting, resolved_at=None).count() == 1


def test_retry_puts_the_posting_back_in_line_and_is_audited():
    user = make_user(group="finance")
    posting, failure = failed_posting()
    failure_retry(failure=failure, user=user)
    posting.refresh_from_db()
    failure.refresh_from_db()
    assert posting.status == S.PENDING
    assert failure.resolution == "retried" and failure.resolved_by == user
    event = AuditEvent.objects.get(failure=failure)
    assert (event.user, event.action) == (user, "retried")


def test_retry_with_an_edited_payload_keeps_before_and_after():
    user = make_user(group="finance")
    posting, failure = failed_posting(payload={"CUSTOMERID": "C-9"})
    failure_retry(failure=failure, user=user, payload={"CUSTOMERID": "C-10"})
    posting.refresh_from_db()
    assert posting.payload == {"CUSTOMERID": "C-10"}
    event = AuditEvent.objects.get(failure=failure)
    assert event.action == "edited"
    assert event.details == {
        "before": {"CUSTOMERID": "C-9"},
        "after": {"CUSTOMERID": "C-10"},
    }
    with pytest.raises(ResolutionError, match="already resolved"):
        failure_retry(failure=failure, user=user)


def test_link_verifies_then_binds_the_existing_record():
    user = make_user(group="finance")
    posting, failure = failed_posting()
    seen = []

    def verify(posting, key):
        seen.append(key)
        return "INV-1001"

    failure_link(failure=failure, user=user, intacct_key=" 42 ", verify=verify)
    posting.refresh_from_db()
    assert seen == ["42"]
    assert (posting.status, posting.result_key, posting.result_id) == (
        S.POSTED,
        "42",
        "INV-1001",
    )
    ref = ExternalRef.objects.get(connection=posting.connection)
    assert (ref.intacct_object, ref.intacct_key, ref.linked) == (
        "ARINVOICE",
        "42",
        True,
    )
    assert AuditEvent.objects.get(failure=failure).details["intacct_key"] == "42"


def test_a_link_whose_record_cannot_be_read_changes_nothing():
    posting, failure = failed_posting()

    def verify(posting, key):
        raise LookupError("no ARINVOICE with key 99")

    with pytest.raises(LookupError):
        failure_link(failure=failure, user=None, intacct_key="99", verify=verify)
    posting.refresh_from_db()
    failure.refresh_from_db()
    assert posting.status == S.FAILED and failure.is_open
    assert not ExternalRef.objects.exists()


def test_ignore_needs_a_reason_and_skips_the_posting():
    posting, failure = failed_posting()
    with pytest.raises(ResolutionError, match="say why"):
        failure_ignore(failure=failure, user=None, reason="  ")
    failure_ignore(failure=failure, user=None, reason="test order, never shipped")
    posting.refresh_from_db()
    assert posting.status == S.SKIPPED
    assert "test order" in posting.skip_reason


def test_assign_and_bulk_actions_report_what_they_refused():
    user, assignee = make_user(group="finance"), make_user(group="finance")
    (_, first), (_, second) = failed_posting(), failed_posting()
    failure_assign(failure=first, user=user, assignee=assignee)
    first.refresh_from_db()
    assert first.assigned_to == assignee
    failure_ignore(failure=second, user=user, reason="dup")
    done, refused = failures_bulk(failures=[first, second], user=user, action="retry")
    assert done == 1
    assert list(refused) == [second.pk]


def test_a_later_successful_version_supersedes_older_failures():
    record = make_record(payload={"v": 1})
    posting, failure = failed_posting(record=record)
    newer = make_record(
        source=record.source, kind=record.kind, external_id=record.external_id,
        payload={"v": 2}, version=2,
    )  # fmt: skip
    success = make_posting(connection=posting.connection, record=newer, status=S.POSTED)
    assert failures_supersede(posting=success) == 1
    failure.refresh_from_db()
    assert failure.resolution == "superseded"
    assert AuditEvent.objects.filter(failure=failure, action="auto_resolved").exists()


def test_a_batch_just_posted_supersedes_only_its_own_records_older_failures():
    record = make_record(payload={"v": 1})
    posting, failure = failed_posting(record=record)
    other, others_failure = failed_posting(
        connection=posting.connection, record=make_record(payload={"v": 1})
    )
    newer = make_record(
        source=record.source, kind=record.kind, external_id=record.external_id,
        payload={"v": 2}, version=2,
    )  # fmt: skip
    batch = [
        make_posting(connection=posting.connection, record=newer, status=S.POSTED),
        make_posting(connection=posting.connection, status=S.POSTED),
    ]

    assert failures_supersede_all(postings=batch) == 1

    failure.refresh_from_db()
    others_failure.refresh_from_db()
    assert failure.resolution == "superseded"
    assert others_failure.resolved_at is None


def test_a_posted_posting_cannot_be_failed():
    posting = make_posting(status=S.POSTED)
    with pytest.raises(IllegalTransition):
        failure_record(posting=posting, category="transport", message="late")
    assert not Failure.objects.exists()
