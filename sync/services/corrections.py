"""Corrections with lineage: a posted document is never edited in place.

- refund → credit memo linked to its invoice (planned by ``plan_refund``);
- cancellation after posting → reverse or void (``plan_cancellation``);
- edited order after posting → reverse the posted document and re-post the new
  version under a suffixed document number. The client has no update action for AR
  documents (and Intacct refuses changes to posted ones), so "update in place" is
  never chosen for them; the rule lives here so it can change in one place.

Every correcting posting is linked to the one it corrects by a ``Correction`` row.
"""

import datetime as dt

from django.db import IntegrityError, transaction

from intacct_hub.rows import row_insert
from mappings.engine import map_record
from mappings.models import Action

from ..models import Correction, Posting

S = Posting.Status
#: Fields that legitimately differ between an original and its re-post.
IGNORED_IN_COMPARISON = ("invoice_number", "document_number")
NUMBER_FIELDS = {
    Action.POST_AR_INVOICE: "invoice_number",
    Action.POST_SALES_ORDER: "document_number",
}


def correction_link(*, original, correction, kind, reason=""):
    """Record that ``correction`` corrects ``original`` (idempotent)."""
    if original is None or correction is None:
        return None
    link = Correction(
        original=original, correction=correction, kind=kind, reason=reason[:300]
    )
    # One statement, no savepoint: a link already there is left as it is.
    if not row_insert(link, unique=("original_id", "correction_id")):
        link = Correction.objects.get(original=original, correction=correction)
    return link


def _comparable(payload):
    return {k: v for k, v in payload.items() if k not in IGNORED_IN_COMPARISON}


def reversal_key(*, connection_id, identity, posted):
    # One key per posted document: a cancellation after a correction finds the
    # correction's reversal instead of reversing the document a second time.
    return Posting.make_idempotency_key(
        connection_id=connection_id,
        action=Action.REVERSE_OR_VOID,
        source_identity=identity,
        version=f"of-{posted.pk}",
    )


def reversal_for(ctx, record, posted, *, identity, day):
    """The posting that reverses or voids ``posted`` (one per posted document, by
    its key); returns (posting, whether it was created now)."""
    return Posting.objects.get_or_create(
        idempotency_key=reversal_key(
            connection_id=ctx.connection.pk, identity=identity, posted=posted
        ),
        defaults={
            "connection": ctx.connection,
            "run": ctx.run,
            "source_record": record,
            "action": Action.REVERSE_OR_VOID,
            "intacct_object": posted.intacct_object,
            "depends_on": posted,
            "payload": {
                "object": posted.intacct_object,
                "key": posted.result_key,
                "id": posted.result_id,
                "date": str(day),
            },
        },
    )


def order_correct(ctx, record, earlier, *, identity, day, intacct_object):
    """An order changed after its documents were posted: reverse and re-post each
    document whose mapped payload changed; returns the postings created."""
    created = []
    for action in (Action.POST_SALES_ORDER, Action.POST_AR_INVOICE):
        posted = (
            earlier.filter(action=action, status=S.POSTED)
            .order_by("-source_record__version", "-id")
            .first()
        )
        if posted is None or posted.corrections.filter(kind="reversal").exists():
            continue
        mapped = map_record(record.payload, ctx.rules, action=action)
        if not mapped.ok or _comparable(mapped.body()) == _comparable(posted.payload):
            continue  # nothing the ledger shows changed (or it cannot be mapped)
        key = Posting.make_idempotency_key(
            connection_id=ctx.connection.pk,
            action=action,
            source_identity=identity,
            version=record.version,
        )
        if Posting.objects.filter(idempotency_key=key).exists():
            continue
        with transaction.atomic():
            reversal, _ = reversal_for(
                ctx, record, posted, identity=identity, day=day or dt.date.today()
            )
            body = mapped.body()
            number = NUMBER_FIELDS[action]
            if body.get(number):
                body[number] = f"{body[number]}-R{record.version}"[-40:]
            repost = Posting(
                connection=ctx.connection,
                run=ctx.run,
                source_record=record,
                action=action,
                intacct_object=intacct_object[action],
                idempotency_key=key,
                depends_on=reversal,
                payload=body,
                mapping_version=mapped.mapping_version,
            )
            try:
                with transaction.atomic():
                    repost.save()
            except IntegrityError:
                continue
            reason = f"version {record.version} changed after posting"
            correction_link(
                original=posted, correction=reversal, kind="reversal", reason=reason
            )
            correction_link(
                original=posted, correction=repost, kind="repost", reason=reason
            )
        created += [reversal, repost]
    ctx.created.extend(created)
    return created
