"""Which actions this Intacct user may perform.

Intacct has no "may I create X?" call, so each write is probed with a create
that is deliberately empty: Intacct checks permissions before it validates, so a
permission error means "denied" and a validation error means "allowed". Nothing
is ever created. Reads are probed with a query that matches nothing. Every probe
travels in one multi-function XML request (REST when XML is not configured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.intacct import errors
from sync.intacct.objects import registry
from sync.intacct.routing import XML
from sync.intacct.xmlgw import builder

if TYPE_CHECKING:
    from sync.intacct.client import IntacctClient

PROBE_REFERENCE = "__permission_probe__"
# Write action -> the function whose empty form probes it.
LEGACY = {
    "ARINVOICE": "create_invoice",
    "ARADJUSTMENT": "create_aradjustment",
    "SODOCUMENT": "create_sotransaction",
    "ICDOCUMENT": "create_ictransaction",
}
READS = {
    "find": "CUSTOMER",
    "read_ar_status": "ARINVOICE",
    "read_dimensions": "LOCATION",
}


def _probe_functions() -> list[tuple[str, builder.Function]]:
    probes = []
    for action, module in registry.ACTIONS.items():
        obj = module.SPEC.xml_object
        if obj in LEGACY:
            fn = builder.function(LEGACY[obj], {}, write=False)
        else:
            fn = builder.function("create", {obj: {}}, write=False)
        probes.append((action, fn))
    for action, obj in READS.items():
        fn = builder.function(
            "readByQuery",
            {
                "object": obj,
                "query": "RECORDNO = -1",
                "fields": "RECORDNO",
                "pagesize": 1,
            },
        )
        probes.append((action, fn))
    return probes


def check_permissions(client: IntacctClient) -> dict[str, bool]:
    """Action name -> allowed, for every write action and the main reads."""
    if XML in client.router.order("check_permissions"):
        probes = _probe_functions()
        results = client.xml.run([fn for _, fn in probes])
        allowed = {}
        for (action, _), result in zip(probes, results, strict=True):
            # Denied, or not offered at all by this tenant's gateway.
            refused = not result.ok and isinstance(
                errors.from_xml_errors(result.errors),
                errors.PermissionDenied | errors.NotSupported,
            )
            allowed[action] = not refused
        return allowed
    return _rest_probes(client)


def _rest_probes(client: IntacctClient) -> dict[str, bool]:
    """The same probes over REST: an empty POST per object, a query per read."""
    allowed = {}
    for action, module in registry.ACTIONS.items():
        name = registry.rest_object(module)
        try:
            if name is None:
                raise errors.NotSupported(f"{action} has no REST object")
            client.rest.create(name, {}, idempotency_key="")
            allowed[action] = True  # (an empty body is never accepted in practice)
        except (errors.PermissionDenied, errors.NotSupported):
            allowed[action] = False
        except errors.IntacctError:
            allowed[action] = True
    for action, obj in READS.items():
        try:
            if obj in registry.OBJECTS:
                client.find(obj, [PROBE_REFERENCE])
            allowed[action] = True
        except (errors.PermissionDenied, errors.NotSupported):
            allowed[action] = False
    return allowed
