"""The failure queue: recording why a posting needs a person, and every way a person
resolves it. Each resolution is audited (AuditEvent) with who, when and what."""

from django.db import transaction
from django.utils import timezone

from ..models import AuditEvent, ExternalRef, Failure, Posting
from ..outbox import ITEM_USERS, items_named

S = Posting.Status


class ResolutionError(Exception):
    """A resolution that cannot be applied; the message says why."""


def failure_record(
    *,
    posting,
    category,
    message,
    errorno="",
    description2="",
    correction="",
    support_id="",
    details=None,
):
    """Move ``posting`` to failed and open a Failure with Intacct's own words."""
    with transaction.atomic():
        posting.set_status(S.FAILED, save=False)
        posting.lease_expires_at = None
        posting.leased_by = ""
        posting.save(
            update_fields=["status", "lease_expires_at", "leased_by", "updated_at"]
        )
        # One open failure per posting: a repeat failure refreshes the open one.
        failure, _ = Failure.objects.update_or_create(
            posting=posting,
            resolved_at=None,
            defaults={
                "category": category,
                "message": message,
                "errorno": errorno or "",
                "description2": description2 or "",
                "correction": correction or "",
                "support_id": support_id or "",
                "details": details or {},
            },
        )
    return failure


def _open(failure):
    failure = (
        Failure.objects.select_for_update().select_related("posting").get(pk=failure.pk)
    )
    if not failure.is_open:
        raise ResolutionError(f"failure {failure.pk} is already resolved")
    return failure


def _resolve(failure, *, resolution, user, note=""):
    failure.resolution = resolution
    failure.resolution_note = note
    failure.resolved_by = user
    failure.resolved_at = timezone.now()
    failure.save(
        update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"]
    )


@transaction.atomic
def failure_retry(*, failure, user, payload=None):
    """Send the posting again (with an edited payload, if given) on the next run."""
    failure = _open(failure)
    posting = failure.posting
    details = {}
    if payload is not None:
        if not isinstance(payload, dict):
            raise ResolutionError("an edited payload must be a JSON object")
        details = {"before": posting.payload, "after": payload}
        posting.payload = payload
    posting.set_status(S.PENDING, save=False)
    posting.next_attempt_at = timezone.now()
    posting.save(update_fields=["status", "payload", "next_attempt_at", "updated_at"])
    edited = payload is not None
    _resolve(
        failure,
        resolution=Failure.Resolution.EDITED if edited else Failure.Resolution.RETRIED,
        user=user,
    )
    action = AuditEvent.Action.EDITED if edited else AuditEvent.Action.RETRIED
    AuditEvent.objects.create(
        user=user, action=action, failure=failure, posting=posting, details=details
    )
    return posting


def failure_link(*, failure, user, intacct_key, intacct_id="", verify):
    """Bind the posting to a record already in Intacct, after ``verify`` has read it.

    ``verify(posting, intacct_key)`` reads the record from Intacct and returns its
    business id; it raises if there is no such record. It runs before the database
    transaction: no lock is held across a remote call.
    """
    intacct_key = str(intacct_key).strip()
    if not intacct_key:
        raise ResolutionError("give the key of the Intacct record to link")
    found_id = verify(failure.posting, intacct_key)
    with transaction.atomic():
        failure = _open(failure)
        posting = failure.posting
        record = posting.source_record
        if record is not None:
            ExternalRef.objects.create(
                connection_id=posting.connection_id,
                source_id=record.source_id,
                source_kind=record.kind,
                external_id=record.external_id,
                intacct_object=posting.intacct_object,
                intacct_key=intacct_key,
                intacct_id=found_id or intacct_id,
                linked=True,
            )
        posting.set_status(S.POSTED, save=False)
        posting.result_key, posting.result_id = intacct_key, found_id or intacct_id
        posting.save(update_fields=["status", "result_key", "result_id", "updated_at"])
        _resolve(failure, resolution=Failure.Resolution.LINKED, user=user)
        AuditEvent.objects.create(
            user=user,
            action=AuditEvent.Action.LINKED,
            failure=failure,
            posting=posting,
            details={"intacct_key": intacct_key, "intacct_id": posting.result_id},
        )
        if posting.action == "upsert_item":
            failures_retry_waiting_for_item(posting=posting)
    return posting


@transaction.atomic
def failure_ignore(*, failure, user, reason):
    """Close the failure without posting; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ResolutionError("say why this failure is ignored")
    failure = _open(failure)
    posting = failure.posting
    posting.set_status(S.SKIPPED, save=False)
    posting.skip_reason = f"ignored: {reason}"[:500]
    posting.save(update_fields=["status", "skip_reason", "updated_at"])
    _resolve(failure, resolution=Failure.Resolution.IGNORED, user=user, note=reason)
    AuditEvent.objects.create(
        user=user,
        action=AuditEvent.Action.IGNORED,
        failure=failure,
        posting=posting,
        details={"reason": reason},
    )
    return posting


@transaction.atomic
def failure_assign(*, failure, user, assignee):
    failure = _open(failure)
    failure.assigned_to = assignee
    failure.save(update_fields=["assigned_to"])
    AuditEvent.objects.create(
        user=user,
        action=AuditEvent.Action.ASSIGNED,
        failure=failure,
        posting=failure.posting,
        details={"assignee": assignee.get_username() if assignee else None},
    )
    return failure


def failures_bulk(*, failures, user, action, **kwargs):
    """Apply one resolution to many failures; returns (done, {failure id: reason})."""
    service = {
        "retry": failure_retry,
        "ignore": failure_ignore,
        "assign": failure_assign,
    }[action]
    done, refused = 0, {}
    for failure in failures:
        try:
            service(failure=failure, user=user, **kwargs)
            done += 1
        except (ResolutionError, Posting.DoesNotExist) as exc:
            refused[failure.pk] = str(exc)
    return done, refused


@transaction.atomic
def failures_supersede(*, posting):
    """A later posting of the same record and action succeeded: close older failures."""
    record = posting.source_record
    if record is None:
        return 0
    stale = Failure.objects.filter(
        resolved_at=None,
        posting__connection_id=posting.connection_id,
        posting__action=posting.action,
        posting__source_record__source_id=record.source_id,
        posting__source_record__kind=record.kind,
        posting__source_record__external_id=record.external_id,
        posting__source_record__version__lt=record.version,
    ).select_related("posting")
    count = 0
    for failure in stale:
        failures_supersede_one(
            failure=failure,
            reason=f"superseded by posting {posting.pk}",
            details={"superseded_by": posting.pk},
        )
        count += 1
    return count


def failures_supersede_all(*, postings):
    """``failures_supersede`` for a batch of postings just posted: one query finds
    which of them have an open failure of an earlier version at all (almost none
    do), and only those are looked at one by one."""
    later = [p for p in postings if p.source_record and p.source_record.version > 1]
    if not later:
        return 0
    failed = set(
        Failure.objects.filter(
            resolved_at=None,
            posting__connection_id__in={p.connection_id for p in later},
            posting__source_record__external_id__in={
                p.source_record.external_id for p in later
            },
        ).values_list(
            "posting__action",
            "posting__source_record__source_id",
            "posting__source_record__kind",
            "posting__source_record__external_id",
        )
    )
    return sum(
        failures_supersede(posting=p)
        for p in later
        if (p.action, *_identity(p.source_record)) in failed
    )


def _identity(record):
    return record.source_id, record.kind, record.external_id


def failures_supersede_one(*, failure, reason, details=None):
    """Close one failure because newer work replaced its posting."""
    failure.posting.set_status(S.SKIPPED, save=False)
    failure.posting.skip_reason = reason[:500]
    failure.posting.save(update_fields=["status", "skip_reason", "updated_at"])
    _resolve(failure, resolution=Failure.Resolution.SUPERSEDED, user=None, note=reason)
    AuditEvent.objects.create(
        action=AuditEvent.Action.AUTO_RESOLVED,
        failure=failure,
        posting=failure.posting,
        details=details or {"reason": reason},
    )


def failures_retry_waiting_for_item(*, posting):
    """Item ``posting`` just reached Intacct: documents Intacct refused because that
    item did not exist yet go back to pending, audited. A product and an order for
    it race (the product's webhook later, or its delivery redispatched after an
    outage); the refusal was right when made, and the cause is now fixed."""
    item_id = str(posting.payload.get("item_id") or "")
    if not item_id:
        return 0
    waiting = Failure.objects.filter(
        resolved_at=None,
        category=Failure.Category.BUSINESS,
        posting__connection_id=posting.connection_id,
        posting__action__in=ITEM_USERS,
        posting__status=S.FAILED,
        message__contains=item_id,
    ).select_related("posting")
    count = 0
    for failure in waiting:
        if not _refused_for_missing_item(failure, item_id):
            continue
        document = failure.posting
        document.set_status(S.PENDING, save=False)
        document.next_attempt_at = timezone.now()
        document.save(update_fields=["status", "next_attempt_at", "updated_at"])
        reason = f"item {item_id} posted (posting {posting.pk}): retried"
        _resolve(failure, resolution=Failure.Resolution.RETRIED, user=None, note=reason)
        AuditEvent.objects.create(
            action=AuditEvent.Action.AUTO_RESOLVED,
            failure=failure,
            posting=document,
            details={"reason": reason, "item_posting": posting.pk},
        )
        count += 1
    return count


def _refused_for_missing_item(failure, item_id):
    """Intacct's refusal names this item as unknown, and the document uses it."""
    text = f"{failure.message} {failure.description2}"
    return (
        f"'{item_id}'" in text
        and "item" in text.lower()
        and item_id in items_named(failure.posting.payload)
    )
