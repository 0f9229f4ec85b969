"""The Posting table as an outbox: claiming due rows under a lease, and recovering
rows whose worker vanished.

A claim is a short transaction: pick due rows (``skip_locked`` on PostgreSQL, the
write lock of an IMMEDIATE transaction on SQLite), mark them in flight with a lease,
commit. Only then does a worker call Intacct. A row whose lease runs out is not
re-sent blindly: it becomes ``uncertain`` and is verified by a pre-read first.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Posting


def lease():
    """How long a claim holds a posting before it counts as abandoned."""
    return timedelta(seconds=settings.SYNC_LEASE_SECONDS)


S = Posting.Status


def due_postings(*, connection_id, now):
    """Rows whose time has come — pending ones, and uncertain ones awaiting their
    verifying pre-read — whose dependency, if any, is posted."""
    due = Q(status=S.PENDING) | Q(status=S.UNCERTAIN)
    return (
        Posting.objects.filter(
            due, connection_id=connection_id, next_attempt_at__lte=now
        )
        .filter(Q(depends_on__isnull=True) | Q(depends_on__status=S.POSTED))
        .order_by("next_attempt_at", "id")
    )


def postings_claim(*, connection_id, limit, worker="worker", now=None):
    """Lease up to ``limit`` due postings to this caller; returns the claimed rows."""
    now = now or timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    with transaction.atomic():
        due = due_postings(connection_id=connection_id, now=now)
        if db.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("id", flat=True)[:limit])
        # Guarded: a row another claimer took in between is no longer due.
        Posting.objects.filter(id__in=ids, status__in=[S.PENDING, S.UNCERTAIN]).update(
            status=S.IN_FLIGHT,
            leased_by=token,
            lease_expires_at=now + lease(),
            attempt_count=F("attempt_count") + 1,
            updated_at=now,
        )
    # Sending reads the record's identity and version, never its payload (the whole
    # order, slow to decode): a deferred field still loads if something asks.
    return list(
        Posting.objects.filter(leased_by=token, status=S.IN_FLIGHT)
        .select_related("source_record")
        .defer("source_record__payload")
    )


def postings_recover_expired(*, now=None):
    """In-flight rows past their lease: their outcome is unknown, so verify first."""
    now = now or timezone.now()
    return Posting.objects.filter(status=S.IN_FLIGHT, lease_expires_at__lt=now).update(
        status=S.UNCERTAIN, leased_by="", lease_expires_at=None, updated_at=now
    )


def connections_with_due_work(*, now=None):
    """Connection ids that have due or uncertain postings (for the dispatcher)."""
    now = now or timezone.now()
    due = Q(status=S.PENDING, next_attempt_at__lte=now) | Q(status=S.UNCERTAIN)
    ready = Q(depends_on__isnull=True) | Q(depends_on__status=S.POSTED)
    return list(
        Posting.objects.filter(due, connection__active=True, connection__paused_at=None)
        .filter(ready)
        .values_list("connection_id", flat=True)
        .distinct()
    )


#: Documents whose lines name items: an item the hub is still sending must exist in
#: Intacct before a document refers to it, or Intacct refuses it ("Invalid Item").
ITEM_USERS = {
    "post_ar_invoice",
    "post_sales_order",
    "post_credit_memo",
    "post_inventory_adjustment",
}
BUSY = [S.PENDING, S.IN_FLIGHT, S.UNCERTAIN]


def items_named(payload):
    """Item ids a document's lines refer to (as item or as the item dimension)."""
    named = set()
    for line in payload.get("lines") or ():
        if not isinstance(line, dict):
            continue
        dimensions = line.get("dimensions") or {}
        for value in (
            line.get("item_id"),
            line.get("dimensions.item"),
            dimensions.get("item") if isinstance(dimensions, dict) else None,
        ):
            if value:
                named.add(str(value))
    return named


def postings_hold_for_items(claimed, *, connection_id):
    """Give back the claimed documents that name an item whose own posting is not
    done yet (and is not in this claim, where items go first); returns the rest.

    A posting has one ``depends_on`` (its customer); items are many per document,
    so they are checked here, once per pass, instead of as dependencies.
    """
    named = {p.pk: items_named(p.payload) for p in claimed if p.action in ITEM_USERS}
    sending = {p.payload.get("item_id") for p in claimed if p.action == "upsert_item"}
    wanted = set().union(*named.values()) - sending if named else set()
    if not wanted:
        return claimed
    busy = set(
        Posting.objects.filter(
            connection_id=connection_id,
            action="upsert_item",
            status__in=BUSY,
            payload__item_id__in=sorted(wanted),
        ).values_list("payload__item_id", flat=True)
    )
    held = [p for p in claimed if named.get(p.pk, set()) & busy]
    if held:
        _release(held, wait=timedelta(seconds=settings.SYNC_RETRY_BASE_SECONDS / 10))
    return [p for p in claimed if p not in held]


def _release(postings, *, wait):
    """Hand claimed postings back unsent: no attempt was made, none is counted."""
    now = timezone.now()
    for posting in postings:
        Posting.objects.filter(
            pk=posting.pk, status=S.IN_FLIGHT, leased_by=posting.leased_by
        ).update(
            status=S.PENDING,
            leased_by="",
            lease_expires_at=None,
            attempt_count=F("attempt_count") - 1,
            next_attempt_at=now + wait,
            updated_at=now,
        )
