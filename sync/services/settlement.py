"""Settling a pass's outcomes: each answer Intacct gave becomes a PostingAttempt,
a status move through the transitions table, an ExternalRef or a Failure.

Fencing first: a pass settles a posting only while it still holds the posting's
lease (a guarded update that also locks the row until the settlement commits), so a
pass whose lease ran out never overwrites what another pass decided. Confirmed
writes of one request settle together, in one transaction of a few statements
(the common case: a batch of 100 that Intacct accepted); anything else settles one
posting at a time.
"""

import logging
from collections import Counter

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import F
from django.utils import timezone

from intacct_hub.rows import rows_insert
from mappings.models import Action

from .. import intacct
from ..intacct import WriteResult
from ..models import (
    Connection,
    ExternalRef,
    Failure,
    Posting,
    PostingAttempt,
    SyncRun,
)
from ..retry import retry_delay
from .failures import (
    failure_record,
    failures_retry_waiting_for_item,
    failures_supersede,
    failures_supersede_all,
)

log = logging.getLogger(__name__)

S = Posting.Status


class OwnershipConflict(intacct.IntacctError):
    """The ownership rule forbids the write the record needs."""


#: Answers that prove nothing was done: they wait, however long it takes, and never
#: send a posting to the failure queue (a 429 storm is not the posting's fault).
THROTTLED = (intacct.RateLimited, intacct.DeadlineReached)

#: Failure category of each client error, most specific first.
CATEGORIES = (
    (OwnershipConflict, "ownership_conflict"),
    (intacct.AuthError, "auth"),
    (intacct.PermissionDenied, "permission"),
    (intacct.ValidationError, "validation"),
    (intacct.RateLimited, "rate_limited"),
    (intacct.ServiceUnavailable, "transport"),
    (intacct.TransportError, "transport"),
    (intacct.IntacctError, "business"),
)


def category_of(error):
    # Intacct's business layer numbers its refusals BL…; REST still answers 422 for
    # them, but to a controller "unknown account" is a business error, not a typo.
    if isinstance(error, intacct.ValidationError) and error.errorno.startswith("BL"):
        return "business"
    return next(name for cls, name in CATEGORIES if isinstance(error, cls))


def settle(connection, group, outcomes, excerpt, duration_ms, report):
    """Settle every posting of one request by its outcome (``outcomes`` by pk)."""
    confirmed = [
        (posting, outcomes[posting.pk])
        for posting in group
        if isinstance(outcomes[posting.pk], WriteResult)
    ]
    done = _settle_confirmed(confirmed, excerpt, duration_ms, report)
    for posting in group:
        if posting.pk not in done:
            _settle_one(
                connection, posting, outcomes[posting.pk], excerpt, duration_ms, report
            )


def _settle_confirmed(confirmed, excerpt, duration_ms, report):
    """Confirmed writes, settled together while this pass holds every one of their
    leases; returns the pks settled (none when a lease was lost: then each settles
    on its own, which knows what to do about it)."""
    tokens = {posting.leased_by for posting, _ in confirmed}
    if len(confirmed) < 2 or len(tokens) != 1:
        return set()
    now = timezone.now()
    pks = [posting.pk for posting, _ in confirmed]
    with transaction.atomic():
        held = Posting.objects.filter(
            pk__in=pks, status=S.IN_FLIGHT, leased_by=tokens.pop()
        ).update(updated_at=now)
        if held != len(pks):
            return set()
        attempts = [
            _attempt(posting, excerpt, duration_ms, result)
            for posting, result in confirmed
        ]
        rows_insert(attempts)  # not bulk_create: see intacct_hub/rows.py
        for posting, result in confirmed:
            posting.result_key, posting.result_id = result.key or "", result.id or ""
            posting.set_status(S.POSTED, save=False)  # raises unless allowed
            posting.lease_expires_at, posting.leased_by = None, ""
            posting.updated_at = now
        _mark_posted([posting for posting, _ in confirmed], now)
        _bind_all(confirmed)
        runs = Counter(posting.run_id for posting, _ in confirmed if posting.run_id)
        for run_id, count in runs.items():
            SyncRun.objects.filter(pk=run_id).update(posted=F("posted") + count)
    for (posting, _), attempt in zip(confirmed, attempts, strict=True):
        report.posted += 1
        report.outcomes[posting.pk] = attempt.outcome
    _after_all_posted([posting for posting, _ in confirmed])
    return set(pks)


def _mark_posted(postings, now):
    """One statement run for every row (executemany): each row has its own Intacct
    key, and Django's bulk_update builds a CASE per row that costs more CPU than
    the updates it replaces."""
    table = db.ops.quote_name(Posting._meta.db_table)  # ours, not input
    stamp = db.ops.adapt_datetimefield_value(now)
    with db.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, result_key = %s, result_id = %s, "  # noqa: S608
            "lease_expires_at = NULL, leased_by = '', updated_at = %s WHERE id = %s",
            [
                (S.POSTED.value, p.result_key, p.result_id, stamp, p.pk)
                for p in postings
            ],
        )


def _attempt(posting, excerpt, duration_ms, result=None):
    request_excerpt, response_excerpt, status = excerpt
    attempt = PostingAttempt(
        posting=posting,
        number=posting.attempt_count,
        request_excerpt=request_excerpt,
        response_excerpt=response_excerpt,
        http_status=status,
        duration_ms=duration_ms,
    )
    if result is not None:
        _confirmed(attempt, result)
    return attempt


def _confirmed(attempt, result):
    attempt.protocol = result.protocol
    attempt.outcome = (
        PostingAttempt.Outcome.LINKED
        if result.outcome == "linked"
        else PostingAttempt.Outcome.POSTED
    )


def _bind_all(confirmed):
    """One upsert for every binding; if one of them collides with another source
    identity's binding, each goes on its own (``_bind`` keeps the first)."""
    bindings = [_binding(p, r) for p, r in confirmed]
    bindings = [b for b in bindings if b is not None]
    try:
        with transaction.atomic():
            _upsert(bindings)
    except IntegrityError:
        for posting, result in confirmed:
            _bind(posting, result)


def _settle_one(connection, posting, outcome, excerpt, duration_ms, report):
    attempt = _attempt(posting, excerpt, duration_ms)
    with transaction.atomic():
        if _lease_held(posting):
            _settle_leased(connection, posting, outcome, attempt, report)
        else:
            _settle_after_lease_lost(posting, outcome, attempt)
    report.outcomes[posting.pk] = attempt.outcome


def _lease_held(posting):
    """Fencing: whether this pass still holds the posting's lease. The guarded
    update also locks the row (and, on SQLite, the database) until the settlement
    commits, so a pass whose lease ran out cannot overwrite what another decided."""
    return bool(
        Posting.objects.filter(
            pk=posting.pk, status=S.IN_FLIGHT, leased_by=posting.leased_by
        ).update(updated_at=timezone.now())
    )


def _settle_after_lease_lost(posting, outcome, attempt):
    """Another pass took this posting over. Keep this attempt for the record; only
    a write Intacct confirmed is news the other pass may not have: record it."""
    log.warning("posting %s: settled after its lease ran out", posting.pk)
    if not isinstance(outcome, WriteResult):
        attempt.outcome = (
            PostingAttempt.Outcome.UNKNOWN
            if isinstance(outcome, intacct.OutcomeUnknown)
            else PostingAttempt.Outcome.TRANSIENT_ERROR
        )
        attempt.error_code = (outcome.errorno or outcome.code or "")[:40]
        attempt.save()
        return
    attempt.protocol = outcome.protocol
    attempt.outcome = PostingAttempt.Outcome.POSTED
    attempt.save()
    landed = Posting.objects.filter(
        pk=posting.pk, status__in=[S.PENDING, S.UNCERTAIN, S.IN_FLIGHT, S.FAILED]
    ).update(
        status=S.POSTED,
        result_key=outcome.key or "",
        result_id=outcome.id or "",
        leased_by="",
        lease_expires_at=None,
        updated_at=timezone.now(),
    )
    if landed:
        posting.refresh_from_db()
        _bind(posting, outcome)
        posting.failures.filter(resolved_at=None).update(
            resolution=Failure.Resolution.LINKED,
            resolution_note="Intacct confirmed an earlier attempt's write",
            resolved_at=timezone.now(),
        )
        failures_supersede(posting=posting)
        if posting.action == Action.UPSERT_ITEM:
            failures_retry_waiting_for_item(posting=posting)


def _settle_leased(connection, posting, outcome, attempt, report):
    if isinstance(outcome, WriteResult):
        _confirmed(attempt, outcome)
        _posted(posting, outcome, attempt)
        report.posted += 1
    elif isinstance(outcome, intacct.OutcomeUnknown):
        attempt.outcome = PostingAttempt.Outcome.UNKNOWN
        _save_with(attempt, posting, S.UNCERTAIN, next_attempt_at=timezone.now())
        report.uncertain += 1
    elif isinstance(outcome, intacct.AuthError):
        attempt.outcome = PostingAttempt.Outcome.TRANSIENT_ERROR
        attempt.error_code = outcome.errorno or ""
        _pause(connection, outcome)
        _save_with(attempt, posting, S.PENDING, next_attempt_at=timezone.now())
        report.paused = True
    else:
        _errored(posting, outcome, attempt, report)


def _save_with(attempt, posting, status, **fields):
    with transaction.atomic():
        attempt.save()
        posting.set_status(status, save=False)
        for name, value in fields.items():
            setattr(posting, name, value)
        posting.lease_expires_at, posting.leased_by = None, ""
        posting.save()


def _posted(posting, result, attempt):
    with transaction.atomic():
        attempt.save()
        posting.result_key, posting.result_id = result.key or "", result.id or ""
        posting.set_status(S.POSTED, save=False)
        posting.lease_expires_at, posting.leased_by = None, ""
        posting.save()
        _bind(posting, result)
        if posting.run_id:
            SyncRun.objects.filter(pk=posting.run_id).update(posted=F("posted") + 1)
    _after_posted(posting)


def _after_posted(posting):
    _after_all_posted([posting])


def _after_all_posted(postings):
    """What posted writes settle elsewhere: failures of their earlier versions, and
    documents refused for want of an item one of them sent."""
    failures_supersede_all(postings=postings)  # only earlier versions can have failed
    for posting in postings:
        if posting.action == Action.UPSERT_ITEM:
            failures_retry_waiting_for_item(posting=posting)


def _bind(posting, result):
    binding = _binding(posting, result)
    if binding is None:
        return
    try:
        with transaction.atomic():
            _upsert([binding])
    except IntegrityError:
        # Another source identity is already bound to this Intacct record (two
        # storefront customers matched one Intacct customer): keep the first binding.
        log.warning(
            "posting %s: %s %s is already bound to another record",
            posting.pk,
            posting.intacct_object,
            result.key,
        )


def _binding(posting, result):
    """The ExternalRef a confirmed write makes, or None if it binds nothing."""
    record = posting.source_record
    if record is None or not result.key or posting.action == Action.REVERSE_OR_VOID:
        return None
    return ExternalRef(
        connection_id=posting.connection_id,
        source_id=record.source_id,
        source_kind=record.kind,
        external_id=record.external_id,
        intacct_object=posting.intacct_object,
        intacct_key=result.key,
        intacct_id=result.id or "",
        linked=result.outcome == "linked",
    )


BINDING_IDENTITY = [
    "connection",
    "source",
    "source_kind",
    "external_id",
    "intacct_object",
]


def _upsert(bindings):
    """INSERT … ON CONFLICT DO UPDATE. One statement may not touch a row twice, so
    of two bindings of one identity (two versions of a record in one batch) the
    later, as one-at-a-time upserts would leave it, is kept."""
    latest = {
        (
            b.connection_id,
            b.source_id,
            b.source_kind,
            b.external_id,
            b.intacct_object,
        ): b
        for b in bindings
    }
    ExternalRef.objects.bulk_create(
        list(latest.values()),
        update_conflicts=True,
        unique_fields=BINDING_IDENTITY,
        update_fields=["intacct_key", "intacct_id", "linked"],
    )


def _errored(posting, error, attempt, report):
    attempt.protocol = getattr(error, "protocol", "") or ""
    attempt.error_code = (error.errorno or error.code or "")[:40]
    attempt.http_status = error.status_code or attempt.http_status
    retry_after = getattr(error, "retry_after", None)
    if isinstance(error, THROTTLED):
        attempt.outcome = PostingAttempt.Outcome.THROTTLED
        delay = retry_delay(1, retry_after=retry_after)
        _save_with(attempt, posting, S.PENDING, next_attempt_at=timezone.now() + delay)
        report.retrying += 1
        return
    delay = None
    # A duplicate means an earlier attempt did land; linking it failed this time
    # (the lookup errored), so the next attempt verifies by pre-read and links.
    if error.retryable or isinstance(error, intacct.DuplicateRecord):
        throttled = posting.attempts.filter(outcome=PostingAttempt.Outcome.THROTTLED)
        spent = posting.attempt_count - throttled.count()
        delay = retry_delay(spent, retry_after=retry_after)
    if delay is not None:
        attempt.outcome = PostingAttempt.Outcome.TRANSIENT_ERROR
        _save_with(attempt, posting, S.PENDING, next_attempt_at=timezone.now() + delay)
        report.retrying += 1
        return
    attempt.outcome = PostingAttempt.Outcome.PERMANENT_ERROR
    attempt.save()
    failure_record(
        posting=posting,
        category=category_of(error),
        message=error.message,
        errorno=error.errorno,
        description2=error.description2,
        correction=error.correction,
        support_id=error.support_id,
        details={"description": error.description, "protocol": error.protocol},
    )
    if posting.run_id:
        SyncRun.objects.filter(pk=posting.run_id).update(failed=F("failed") + 1)
    report.failed += 1


def _pause(connection, error):
    """Intacct refused our credentials: stop every posting of this connection until a
    person fixes them, instead of failing each one."""
    Connection.objects.filter(pk=connection.pk, paused_at=None).update(
        paused_at=timezone.now(),
        pause_reason=f"Intacct refused the login: {error}"[:500],
    )
