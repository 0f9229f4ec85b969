"""Connection credentials; the repr never shows a secret."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from sync.intacct.constants import DEFAULT_BASE_URL, MASK
from sync.intacct.redaction import REGISTRY

SECRET_FIELDS = (
    "sender_password",
    "user_password",
    "client_secret",
    "refresh_token",
    "authorization_code",
    "session_id",
)


@dataclass(frozen=True)
class Credentials:
    """Everything needed to talk to one Intacct company (and optionally entity).

    XML needs the sender and user logins; REST needs the OAuth client, plus either
    the user (client credentials grant) or a refresh token / authorization code
    (authorization code grant).
    """

    company_id: str
    user_id: str = ""
    user_password: str = field(default="", repr=False)
    sender_id: str = ""
    sender_password: str = field(default="", repr=False)
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    entity_id: str = ""
    base_url: str = DEFAULT_BASE_URL
    refresh_token: str = field(default="", repr=False)
    authorization_code: str = field(default="", repr=False)
    redirect_uri: str = ""
    session_id: str = field(default="", repr=False)  # a pre-made XML session

    def __post_init__(self) -> None:
        REGISTRY.add(*self.secrets())

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                value = MASK if value else ""
            parts.append(f"{f.name}={value!r}")
        return f"Credentials({', '.join(parts)})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """Every secret value set on these credentials."""
        return [v for v in (getattr(self, n) for n in SECRET_FIELDS) if v]

    @property
    def has_xml(self) -> bool:
        return bool(self.sender_id and self.sender_password and self.user_id)

    @property
    def has_rest(self) -> bool:
        return bool(self.client_id and (self.client_secret or self.refresh_token))

    @property
    def scope(self) -> str:
        """The key for per-company limits and caches: company[/entity]."""
        return (
            f"{self.company_id}/{self.entity_id}" if self.entity_id else self.company_id
        )

    def for_entity(self, entity_id: str) -> Credentials:
        return replace(self, entity_id=entity_id)

    @classmethod
    def from_dict(cls, data: dict, **overrides: str) -> Credentials:
        """From a plain dict (e.g. the sandbox's `demo_credentials()`)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in {**data, **overrides}.items() if k in names})
