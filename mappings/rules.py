"""A mapping set as plain, immutable data: what the engine reads, what export writes.

Loading rows from the database happens once (``selectors.mapping_rules``); the engine
then runs on this snapshot without touching the database, so previews, the sync engine
and an imported copy of a set all compute the same payload from the same record.
"""

from dataclasses import asdict, dataclass, field

from .models import Action, ObjectType, OwnershipRule, ValueMap
from .transforms import OMIT, TransformError

FORMAT = "intacct-hub.mapping-set/1"  # of an export file

#: Which ownership rule governs each action.
OBJECT_OF_ACTION = {
    Action.UPSERT_CUSTOMER: ObjectType.CUSTOMER,
    Action.UPSERT_ITEM: ObjectType.ITEM,
    Action.POST_SALES_ORDER: ObjectType.SALES_ORDER,
    Action.POST_AR_INVOICE: ObjectType.AR_INVOICE,
    Action.POST_CREDIT_MEMO: ObjectType.CREDIT_MEMO,
    Action.POST_INVENTORY_ADJUSTMENT: ObjectType.INVENTORY_ADJUSTMENT,
    Action.POST_GL_SUMMARY: ObjectType.JOURNAL_ENTRY,
}


@dataclass(frozen=True)
class FieldRule:
    action: str
    target_field: str
    source_expression: str = ""
    transform: str = ""
    line_scope: str = ""
    required: bool = False
    only_on_create: bool = False
    order: int = 0


@dataclass(frozen=True)
class ValueTable:
    name: str
    entries: dict = field(default_factory=dict)
    on_no_match: str = ValueMap.OnNoMatch.FAIL
    default_value: str = ""

    def translate(self, value):
        key = "" if value is None else str(value)
        if key in self.entries:
            return self.entries[key]
        if self.on_no_match == ValueMap.OnNoMatch.DEFAULT:
            return self.default_value
        if self.on_no_match == ValueMap.OnNoMatch.SKIP:
            return OMIT
        if self.on_no_match == ValueMap.OnNoMatch.KEEP:
            return value
        raise TransformError(
            f"value map {self.name!r} has no entry for {key!r}",
            category="missing_mapping",
        )


@dataclass(frozen=True)
class Ownership:
    object_type: str
    master: str = OwnershipRule.Master.COMMERCE
    hub_may: str = OwnershipRule.HubMay.CREATE_AND_UPDATE
    identity_order: tuple = ("external_id",)
    intacct_owned_fields: tuple = ()


#: What the hub assumes for an object type that has no rule: commerce is master.
DEFAULT_OWNERSHIP = Ownership(object_type="")


@dataclass(frozen=True)
class MappingRules:
    name: str
    version: int = 0
    fields: tuple = ()
    value_maps: dict = field(default_factory=dict)
    ownership: dict = field(default_factory=dict)
    policies: tuple = ()

    def fields_for(self, action):
        """The action's rules: header first, then each line scope in the order of
        its first rule (revenue lines before shipping, discount and tax lines)."""
        chosen = [f for f in self.fields if f.action == action]
        first = {}
        for f in chosen:
            first[f.line_scope] = min(f.order, first.get(f.line_scope, f.order))

        def key(f):
            scope = f.line_scope
            return (scope != "", first[scope], scope, f.order, f.target_field)

        return sorted(chosen, key=key)

    def policy_for(self, channel):
        """The posting policy of ``channel``, else the one for every channel."""
        by_channel = {p.get("channel") or "": p for p in self.policies}
        return by_channel.get(channel or "") or by_channel.get("")

    def ownership_for(self, action):
        object_type = OBJECT_OF_ACTION.get(action, "")
        return self.ownership.get(object_type) or DEFAULT_OWNERSHIP

    def to_dict(self):
        """A JSON-ready export of the whole set."""
        return {
            "format": FORMAT,
            "name": self.name,
            "fields": [asdict(f) for f in self.fields],
            "value_maps": [asdict(v) for v in self.value_maps.values()],
            "ownership": [
                {
                    **asdict(o),
                    "identity_order": list(o.identity_order),
                    "intacct_owned_fields": list(o.intacct_owned_fields),
                }
                for o in self.ownership.values()
            ],
            "policies": [dict(p) for p in self.policies],
        }

    @classmethod
    def from_dict(cls, data, *, version=0):
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not an Intacct Hub mapping set export")
        return cls(
            name=data["name"],
            version=version,
            fields=tuple(FieldRule(**f) for f in _objects(data, "fields")),
            value_maps={
                v["name"]: ValueTable(**v) for v in _objects(data, "value_maps")
            },
            ownership={
                o["object_type"]: Ownership(
                    **{
                        **o,
                        "identity_order": tuple(o.get("identity_order", ())),
                        "intacct_owned_fields": tuple(
                            o.get("intacct_owned_fields", ())
                        ),
                    }
                )
                for o in _objects(data, "ownership")
            },
            policies=tuple(_objects(data, "policies")),
        )


def _objects(data, key):
    """The list of objects under ``key`` of an export, or a ValueError saying why."""
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{key!r} must be a list of objects")
    return items
