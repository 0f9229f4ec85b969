"""Closed periods for summary entries: the posting date a business day gets under
the policy (shift, hold, fail), what Intacct's refusals teach about the books'
closed-through date (``summaries_settle_closed``), and releasing a held entry
(``summary_release``)."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from mappings.models import Action, PostingPolicy
from mappings.selectors import mapping_rules

from ..models import AuditEvent, Failure, LedgerState, Posting, SummaryEntry
from .failures import ResolutionError, failure_retry

S = Posting.Status
#: How a held entry's skip reason starts (policy "hold"): a person releases it.
HELD = "held for approval"
CLOSED_PERIOD = re.compile(r"closed period|periods are closed", re.I)
CLOSED_THROUGH = re.compile(r"closed through (\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2})")


def period_for(policy, day, closed_through):
    """(posting date, note, closed-period behaviour or "") for a business day."""
    if closed_through is None or day > closed_through:
        return day, "", ""
    behaviour = (
        policy.get("closed_period_behaviour") or PostingPolicy.ClosedPeriod.SHIFT
    )
    closed = f"{day} is in a closed period (books closed through {closed_through})"
    if behaviour == PostingPolicy.ClosedPeriod.SHIFT:
        first_open = closed_through + dt.timedelta(days=1)
        return first_open, f"{closed}: shifted to {first_open}", ""
    if behaviour == PostingPolicy.ClosedPeriod.HOLD:
        return day, f"{HELD}: {closed}", behaviour
    return day, f"{closed}; the policy says fail", behaviour


def _closed_through(failure):
    text = f"{failure.message} {failure.description2}"
    if not CLOSED_PERIOD.search(text):
        return None
    found = CLOSED_THROUGH.search(text)
    if not found:
        return "unknown"
    value = found.group(1)
    if "/" in value:
        return dt.datetime.strptime(value, "%m/%d/%Y").date()
    return dt.date.fromisoformat(value)


def _month_end(day):
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )


def summaries_settle_closed(*, connection):
    """Apply the closed-period policy to summaries Intacct refused for a closed
    period; returns how many were shifted or held. Remembers the closed-through date
    so later entries are dated right before they are sent."""
    rules = mapping_rules(connection.mapping_set_id)
    state, _ = LedgerState.objects.get_or_create(connection=connection)
    failures = Failure.objects.filter(
        resolved_at=None,
        posting__connection=connection,
        posting__action=Action.POST_GL_SUMMARY,
        posting__status=S.FAILED,
    ).select_related("posting__summary_entry")
    settled = 0
    for failure in failures:
        closed = _closed_through(failure)
        entry = getattr(failure.posting, "summary_entry", None)
        if closed is None or entry is None:
            continue
        if closed == "unknown":  # Intacct did not say: assume monthly periods
            closed = _month_end(dt.date.fromisoformat(failure.posting.payload["date"]))
        if state.closed_through is None or closed > state.closed_through:
            state.closed_through = closed
            state.save(update_fields=["closed_through"])
        policy = rules.policy_for(entry.channel)
        posting_date, note, behaviour = period_for(policy, entry.day, closed)
        if behaviour == PostingPolicy.ClosedPeriod.FAIL:
            continue  # stays in the failure queue, as the policy says
        with transaction.atomic():
            entry.note = note[:500]
            if behaviour == PostingPolicy.ClosedPeriod.HOLD:
                _resolve_held(failure, note)
            else:
                entry.posting_date = posting_date
                failure_retry(
                    failure=failure,
                    user=None,
                    payload={**failure.posting.payload, "date": str(posting_date)},
                )
            entry.save(update_fields=["note", "posting_date"])
        settled += 1
    return settled


def _resolve_held(failure, note):
    posting = failure.posting
    posting.skip_reason = note[:500]
    posting.set_status(S.SKIPPED, save=False)
    posting.save(update_fields=["status", "skip_reason", "updated_at"])
    failure.resolution = Failure.Resolution.IGNORED
    failure.resolution_note = note
    failure.resolved_at = timezone.now()
    failure.save(update_fields=["resolution", "resolution_note", "resolved_at"])
    AuditEvent.objects.create(
        action=AuditEvent.Action.IGNORED,
        failure=failure,
        posting=posting,
        details={"reason": note, "closed_period": "hold"},
    )


@transaction.atomic
def summary_release(*, entry, user, date=None):
    """Approve a held summary: send it, dated ``date`` (default: as planned)."""
    posting = Posting.objects.select_for_update().get(pk=entry.posting_id)
    if posting.status != S.SKIPPED or not posting.skip_reason.startswith(HELD):
        raise ResolutionError("this summary entry is not held: nothing to release")
    before = dict(posting.payload)
    if date is not None:
        posting.payload = {**posting.payload, "date": date.isoformat()}
        entry.posting_date = date
    entry.note = f"{entry.note}; released by {user or 'system'}"[:500]
    entry.save(update_fields=["posting_date", "note"])
    posting.skip_reason = ""
    posting.set_status(S.PENDING, save=False)
    posting.next_attempt_at = timezone.now()
    posting.save()
    AuditEvent.objects.create(
        user=user,
        action=AuditEvent.Action.EDITED if date else AuditEvent.Action.RETRIED,
        posting=posting,
        details={"before": before, "after": posting.payload, "released": True},
    )
    return posting


def summaries_held(*, connection_id=None):
    """Summary entries held for a closed period, waiting for a person, oldest day
    first."""
    held = SummaryEntry.objects.filter(
        posting__status=S.SKIPPED, posting__skip_reason__startswith=HELD
    )
    if connection_id:
        held = held.filter(connection_id=connection_id)
    return held.select_related("connection", "posting").order_by(
        "day", "channel", "sequence"
    )


def first_open_day(connection_id):
    """The day after the books' closed-through date the hub learned, or None."""
    closed = (
        LedgerState.objects.filter(connection_id=connection_id)
        .values_list("closed_through", flat=True)
        .first()
    )
    return closed + dt.timedelta(days=1) if closed else None
