"""The write engine behind every write action.

1. Pre-read: one batched `find` per object for the writes that need it (always
   for upserts; for documents when `pre_read`), so a record that is already in
   Intacct is linked (or updated), never created twice.
2. Plan each write: create, update or link.
3. Send: several writes go as one multi-function XML request per `batch_size`
   (controlid = idempotency key, uniqueid=true); a single write follows the
   routing table. Results map back to their writes by controlid.
4. A create refused as a duplicate (an earlier attempt did land) is found by
   its reference and linked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sync.intacct import errors
from sync.intacct.constants import IDEMPOTENCY_KEY_MAX
from sync.intacct.objects import registry
from sync.intacct.reads import find
from sync.intacct.results import CREATED, LINKED, UPDATED, Found, Write, WriteResult
from sync.intacct.routing import REST, XML

if TYPE_CHECKING:
    from sync.intacct.client import IntacctClient

Outcome = WriteResult | errors.IntacctError


class _Planned:
    __slots__ = ("index", "write", "module", "ref", "verb", "found")

    def __init__(self, index: int, write: Write, module, ref: str):
        self.index, self.write, self.module, self.ref = index, write, module, ref
        self.verb = "create"
        self.found: Found | None = None

    @property
    def wire_key(self) -> str:
        """The key sent to Intacct (controlid / Idempotency-Key).

        An upsert whose create landed but whose answer was lost is retried as an
        update of what the pre-read found. Intacct would refuse the create's key
        on that different request, so the update carries a key derived from it:
        still the same on every retry of the update.
        """
        key = self.write.idempotency_key
        return f"{key}:update" if self.verb == "update" else key


def _check(write: Write) -> None:
    key = write.idempotency_key
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValueError(f"bad idempotency key {key!r} for {write.action}")


def post_many(
    client: IntacctClient,
    writes: Sequence[Write],
    *,
    pre_read: bool = True,
    atomic: bool = False,
) -> list[Outcome]:
    """Outcomes in the order of `writes`: a WriteResult or the write's error."""
    plans = []
    for i, w in enumerate(writes):
        _check(w)
        module = registry.module_for(w.action)
        plans.append(
            _Planned(i, w, module, module.reference(w.record, w.idempotency_key))
        )
    if len({p.write.idempotency_key for p in plans}) != len(plans):
        raise ValueError("two writes share one idempotency key")
    if atomic and len(plans) > client.batch_size:
        raise ValueError(f"an atomic batch holds at most {client.batch_size} writes")
    outcomes: list[Outcome | None] = [None] * len(plans)

    _pre_read(client, plans, outcomes, pre_read)
    todo = []
    for p in plans:
        if outcomes[p.index] is not None:
            continue
        if p.found is not None:
            if p.write.action in registry.UPSERTS and p.write.update:
                p.verb = "update"
            else:
                outcomes[p.index] = _result(
                    p, LINKED, p.found.key, p.found.id, p.found.protocol
                )
                continue
        todo.append(p)

    use_xml_batch = XML in client.router.available and (
        atomic or (len(todo) > 1 and client.router.routes["batch"] == XML)
    )
    if use_xml_batch:
        for start in range(0, len(todo), client.batch_size):
            group = todo[start : start + client.batch_size]
            for p, outcome in zip(group, _send_xml(client, group, atomic), strict=True):
                outcomes[p.index] = outcome
    else:
        for p in todo:
            outcomes[p.index] = _send_routed(client, p)
    _link_duplicates(client, plans, outcomes)
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def _pre_read(client, plans, outcomes, pre_read: bool) -> None:
    wanted: dict[str, list[_Planned]] = defaultdict(list)
    for p in plans:
        if p.write.action in registry.UPSERTS or pre_read:
            wanted[p.module.SPEC.xml_object].append(p)
    for obj, group in wanted.items():
        try:
            hits = find(client, obj, [p.ref for p in group])
        except errors.IntacctError as exc:
            for p in group:
                outcomes[p.index] = exc
            continue
        for p in group:
            p.found = hits.get(p.ref)


def _result(
    p: _Planned, outcome: str, key: str, id_: str, protocol: str
) -> WriteResult:
    return WriteResult(
        action=p.write.action,
        outcome=outcome,
        key=str(key or ""),
        id=str(id_ or p.ref),
        protocol=protocol,
        idempotency_key=p.write.idempotency_key,
        reference=p.ref,
    )


# -- XML ---------------------------------------------------------------------------


def _xml_function(p: _Planned):
    key = p.wire_key
    if p.verb == "update":
        return p.module.xml_update(p.write.record, p.found.key, key)
    return p.module.xml_create(p.write.record, key)


def _xml_outcome(p: _Planned, result) -> WriteResult:
    key, id_ = result.key, ""
    for row in result.rows():
        if isinstance(row, dict):
            key = row.get("RECORDNO", key)
            id_ = row.get(p.module.SPEC.xml_id, "") if p.module.SPEC.xml_id else ""
        break
    if key and not str(key).isdigit() and not id_:
        id_ = key  # legacy document functions answer with the document ID
    return _result(p, CREATED if p.verb == "create" else UPDATED, key, id_, XML)


def _send_xml(client, group: list[_Planned], atomic: bool) -> list[Outcome]:
    """One multi-function request; one outcome per planned write, in order.

    A write the builder refuses (text XML cannot carry) fails alone; its
    neighbours still go, unless the batch is atomic (all or nothing)."""
    built: dict[int, Any] = {}
    refused: dict[int, errors.IntacctError] = {}
    for i, p in enumerate(group):
        try:
            built[i] = _xml_function(p)
        except errors.ValidationError as exc:
            refused[i] = exc
    if refused and atomic:
        return [refused.get(i) or _not_sent_atomic() for i in range(len(group))]
    sent = [p for i, p in enumerate(group) if i in built]
    outcomes = iter(_send_built_xml(client, sent, list(built.values()), atomic))
    return [refused[i] if i in refused else next(outcomes) for i in range(len(group))]


def _not_sent_atomic() -> errors.IntacctError:
    return errors.ValidationError(
        "not sent: another write of this all-or-nothing batch was refused"
    )


def _send_built_xml(client, group: list[_Planned], functions, atomic) -> list:
    if not group:
        return []
    try:
        results = client.xml.run(functions, transaction=atomic)
    except errors.IntacctError as exc:
        return [_own(exc, p) for p in group]
    out: list[Outcome] = []
    for p, result in zip(group, results, strict=True):
        if result.ok:
            out.append(_xml_outcome(p, result))
            continue
        key = p.write.idempotency_key
        error = errors.from_xml_errors(result.errors, idempotency_key=key)
        if isinstance(error, errors.NotSupported) and REST in client.router.available:
            client.router.unsupported(p.write.action, XML)
            out.append(_send_one(client, p, REST))
        else:
            out.append(error)
    _resolve_record_numbers(client, group, out)
    return out


def _resolve_record_numbers(client, group: list[_Planned], out: list) -> None:
    """Legacy document functions answer with the document ID ("Sales Order-SO1"),
    not the RECORDNO: look those up, one query for the whole request."""
    pending = [
        (i, p)
        for i, p in enumerate(group)
        if isinstance(out[i], WriteResult) and not out[i].key.isdigit()
    ]
    by_obj: dict[str, list[tuple[int, _Planned]]] = defaultdict(list)
    for i, p in pending:
        by_obj[p.module.SPEC.xml_object].append((i, p))
    for obj, items in by_obj.items():
        try:
            hits = find(client, obj, [p.ref for _, p in items], protocol=XML)
        except errors.IntacctError:
            continue  # the ID is still right; the key stays as Intacct gave it
        for i, p in items:
            hit = hits.get(p.ref)
            if hit is not None:
                out[i] = replace(out[i], key=hit.key, id=hit.id or out[i].id)


# -- one write, routed ------------------------------------------------------


def _send_routed(client, p: _Planned) -> Outcome:
    order = client.router.order(
        p.write.action, needs_xml=registry.needs_xml(p.module, p.write.record)
    )
    if registry.rest_object(p.module, p.write.record) is None:
        order = [x for x in order if x == XML]
    error: errors.IntacctError | None = None
    for proto in order:
        outcome = _send_one(client, p, proto)
        if isinstance(outcome, errors.NotSupported):
            client.router.unsupported(p.write.action, proto)
            error = outcome
            continue
        return outcome
    return error or errors.NotSupported(f"{p.write.action} is not available")


def _send_one(client, p: _Planned, proto: str) -> Outcome:
    if proto == XML:
        return _send_xml(client, [p], atomic=False)[0]
    try:
        return _send_rest(client, p)
    except errors.IntacctError as exc:
        return _own(exc, p)


def _own(exc: errors.IntacctError, p: _Planned) -> errors.IntacctError:
    """The error as the hub should see it: carrying this write's own key."""
    if isinstance(exc, errors.OutcomeUnknown):
        mine = errors.OutcomeUnknown(
            exc.message,
            idempotency_keys=(p.write.idempotency_key,),
            protocol=exc.protocol,
            status_code=exc.status_code,
        )
        mine.__cause__ = exc
        return mine
    return exc


def _send_rest(client, p: _Planned) -> WriteResult:
    name = registry.rest_object(p.module, p.write.record)
    body: dict[str, Any] = p.module.rest_body(p.write.record, p.write.idempotency_key)
    key = p.wire_key
    if p.verb == "update":
        body.pop("id", None)  # the key addresses the record; IDs are not re-written
        data = client.rest.update(name, p.found.key, body, idempotency_key=key)
        return _result(p, UPDATED, data.get("key"), p.found.id or data.get("id"), REST)
    data = client.rest.create(name, body, idempotency_key=key)
    id_ = data.get(p.module.SPEC.rest_id) or p.ref
    return _result(p, CREATED, data.get("key"), id_, REST)


def _link_duplicates(client, plans: list[_Planned], outcomes: list) -> None:
    """A create refused as a duplicate landed earlier: find it and link it.

    An update refused for its already-used key did run before: it is updated.
    """
    dupes = []
    for p in plans:
        if not isinstance(outcomes[p.index], errors.DuplicateRecord):
            continue
        if p.verb == "update" and p.found is not None:
            outcomes[p.index] = _result(
                p, UPDATED, p.found.key, p.found.id, p.found.protocol
            )
        elif p.verb == "create":
            dupes.append(p)
    by_obj: dict[str, list[_Planned]] = defaultdict(list)
    for p in dupes:
        by_obj[p.module.SPEC.xml_object].append(p)
    for obj, group in by_obj.items():
        try:
            hits = find(client, obj, [p.ref for p in group])
        except errors.IntacctError:
            continue  # keep the duplicate error; the hub retries later
        for p in group:
            hit = hits.get(p.ref)
            if hit is not None:
                outcomes[p.index] = _result(p, LINKED, hit.key, hit.id, hit.protocol)
