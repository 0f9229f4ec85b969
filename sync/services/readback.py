"""Read-back: what Intacct says about the invoices the hub posted.

``readback_run`` reads invoice payment state and open balance with
``read_ar_status(since=checkpoint)`` — incrementally by Intacct's modification time,
one paged query — and stores it on the binding (``IntacctDocumentState``). With
``verify_existence`` it also checks, in batches of 100 references, that every bound
invoice still exists: one deleted in Intacct, or reversed there without a hub
reversal, is flagged for review.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from mappings.models import Action

from ..clients import client_for
from ..models import ExternalRef, IntacctDocumentState, LedgerState, Posting

log = logging.getLogger(__name__)

S = Posting.Status
P = IntacctDocumentState.Payment
#: The checkpoint is the newest modification stamp Intacct itself returned, never the
#: hub's clock, so a skew between the two cannot hide a change (tests/faults/
#: test_clock_skew.py). The query is ">= checkpoint": Intacct stamps to the second, so
#: rows modified in the checkpoint's own second are read again (harmless: storing a
#: state is idempotent) rather than missed. Widen this if a tenant is seen to commit
#: rows stamped before rows it committed earlier (long transactions).
OVERLAP = dt.timedelta(0)


@dataclass
class ReadbackReport:
    read: int = 0
    updated: int = 0
    flagged: int = 0
    missing: int = 0


def payment_of(state, total, due):
    if state.lower() in ("reversed", "voided"):
        return P.REVERSED
    if due <= 0 and total > 0:
        return P.PAID
    if 0 < due < total:
        return P.PARTIALLY_PAID
    return P.OPEN


def _aware(moment):
    if moment is None:
        return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def _reversed_by_hub(connection, binding):
    return Posting.objects.filter(
        connection=connection,
        action=Action.REVERSE_OR_VOID,
        status=S.POSTED,
        payload__key=binding.intacct_key,
    ).exists()


def readback_run(*, connection, client=None, verify_existence=False, **client_options):
    """Bring AR status back for ``connection``; returns a report."""
    report = ReadbackReport()
    state, _ = LedgerState.objects.get_or_create(connection=connection)
    since = state.readback_since - OVERLAP if state.readback_since else None
    owned = client is None
    client = client or client_for(connection, **client_options)
    try:
        bindings = {
            b.intacct_key: b
            for b in ExternalRef.objects.filter(
                connection=connection, intacct_object="ARINVOICE"
            )
        }
        newest = state.readback_since
        for status in client.read_ar_status(since=since):
            report.read += 1
            modified = _aware(status.modified)
            if modified and (newest is None or modified > newest):
                newest = modified
            binding = bindings.get(status.key)
            if binding is None:
                continue  # an invoice the hub did not post
            report.updated += 1
            flagged = _store(connection, binding, status, modified)
            report.flagged += flagged
        if verify_existence:
            report.missing = _verify(connection, client, list(bindings.values()))
            report.flagged += report.missing
    finally:
        if owned:
            client.close()
    state.readback_since = newest
    state.readback_at = timezone.now()
    state.save(update_fields=["readback_since", "readback_at"])
    return report


def _store(connection, binding, status, modified):
    payment = payment_of(status.state, status.total, status.due)
    review = ""
    if payment == P.REVERSED and not _reversed_by_hub(connection, binding):
        review = "reversed or voided in Intacct, not by the hub"
    with transaction.atomic():
        doc, _ = IntacctDocumentState.objects.select_for_update().get_or_create(
            binding=binding
        )
        doc.intacct_state = status.state
        doc.payment = payment
        doc.total, doc.due = status.total, status.due
        doc.modified_at = modified
        doc.read_at = timezone.now()
        doc.missing_since = None
        if review and not doc.needs_review:
            doc.needs_review, doc.review_reason = True, review
        doc.save()
    return bool(review)


def _verify(connection, client, bindings):
    """Flag bindings whose invoice is gone from Intacct (batched finds)."""
    found = client.find("ARINVOICE", [b.intacct_id for b in bindings if b.intacct_id])
    missing = 0
    now = timezone.now()
    for binding in bindings:
        if not binding.intacct_id or binding.intacct_id in found:
            continue
        if _reversed_by_hub(connection, binding):
            continue  # voided by the hub's own delete: expected to be gone
        doc, _ = IntacctDocumentState.objects.get_or_create(binding=binding)
        if doc.payment == P.MISSING and doc.needs_review:
            continue
        doc.payment = P.MISSING
        doc.missing_since = doc.missing_since or now
        doc.read_at = now
        doc.needs_review = True
        doc.review_reason = "not found in Intacct: deleted outside the hub?"
        doc.save()
        missing += 1
    return missing


def bindings_for_review(*, connection):
    """Bindings flagged by read-back, oldest first (for the dashboard)."""
    return (
        IntacctDocumentState.objects.filter(
            binding__connection=connection, needs_review=True
        )
        .select_related("binding")
        .order_by("read_at")
    )
