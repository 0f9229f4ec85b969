"""What the hub may do to an Intacct object, given its ownership rule and whether a
matching record already exists there."""

from dataclasses import dataclass
from enum import StrEnum

from .models import OwnershipRule

HubMay = OwnershipRule.HubMay


class Decision(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    LINK = "link"  # bind to the existing record, send nothing
    SKIP = "skip"  # the hub never touches this object type
    CONFLICT = "conflict"  # the rule forbids what the record needs


@dataclass(frozen=True)
class OwnershipDecision:
    decision: Decision
    reason: str

    @property
    def sends_write(self):
        return self.decision in (Decision.CREATE, Decision.UPDATE)


def decide(ownership, *, exists):
    """Create, update, link, skip or conflict, with the reason in plain words."""
    hub_may = ownership.hub_may
    if hub_may == HubMay.NEVER:
        return OwnershipDecision(Decision.SKIP, "the hub never touches this object")
    if hub_may == HubMay.LINK_ONLY:
        if exists:
            return OwnershipDecision(
                Decision.LINK, "link-only: bound to the existing record"
            )
        return OwnershipDecision(
            Decision.CONFLICT,
            "link-only: no matching record exists in Intacct and the hub may not "
            "create one",
        )
    if not exists:
        return OwnershipDecision(Decision.CREATE, "no matching record in Intacct")
    if hub_may == HubMay.CREATE_ONLY:
        return OwnershipDecision(
            Decision.LINK, "create-only: the existing record is not updated"
        )
    return OwnershipDecision(Decision.UPDATE, "create-and-update: the record exists")
