"""REST v1 object CRUD and the query service, over one transport."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from sync.intacct import errors
from sync.intacct.constants import REST_PATH, REST_QUERY_PAGE
from sync.intacct.credentials import Credentials
from sync.intacct.rest.oauth import TokenProvider
from sync.intacct.transport import Transport


def object_path(name: str, key: str | None = None) -> str:
    """`/objects/<app>/<object>[/<key>]`, URL-encoding named documents."""
    path = f"{REST_PATH}/objects/{quote(name, safe='/:')}"
    return f"{path}/{quote(str(key), safe='')}" if key is not None else path


class RestApi:
    """One company's door to REST v1."""

    def __init__(
        self, credentials: Credentials, transport: Transport, tokens: TokenProvider
    ):
        self.credentials = credentials
        self.transport = transport
        self.tokens = tokens

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str = "",
        billed: int = 0,
        collection: bool = False,
    ) -> Any:
        """One call with a fresh token; re-authenticates once on tokenInvalid."""
        write = method in ("POST", "PATCH", "DELETE") and not path.endswith(
            "/core/query"
        )
        for attempt in (0, 1):
            token = self.tokens.access_token(force=attempt == 1)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if self.credentials.entity_id:
                headers["X-IA-API-Param-Entity"] = self.credentials.entity_id
            if idempotency_key and method in ("POST", "PATCH"):
                headers["Idempotency-Key"] = idempotency_key
            try:
                response = self.transport.request(
                    method,
                    path,
                    protocol="rest",
                    write=write,
                    idempotency_keys=(idempotency_key,) if idempotency_key else (),
                    billed=billed,
                    # An unknown object answers 404 on its collection path: for the
                    # router that is "not supported here", not "record missing".
                    not_supported_on_404=collection,
                    json=json,
                    params=params,
                    headers=headers,
                )
            except errors.AuthError:
                if attempt == 0:
                    self.tokens.invalidate(token)
                    continue
                raise
            if response.status_code == 204 or not response.content:
                return None
            return response.json()
        raise AssertionError("unreachable")

    # -- objects ----------------------------------------------------------------------

    def create(self, name: str, body: dict[str, Any], *, idempotency_key: str) -> dict:
        data = self.send(
            "POST",
            object_path(name),
            json=body,
            idempotency_key=idempotency_key,
            billed=1,
            collection=True,
        )
        return data["ia::result"]

    def update(
        self, name: str, key: str, body: dict[str, Any], *, idempotency_key: str
    ) -> dict:
        data = self.send(
            "PATCH",
            object_path(name, key),
            json=body,
            idempotency_key=idempotency_key,
            billed=1,
        )
        return data["ia::result"]

    def delete(self, name: str, key: str) -> None:
        self.send("DELETE", object_path(name, key), billed=1)

    def get(self, name: str, key: str) -> dict:
        return self.send("GET", object_path(name, key), billed=1)["ia::result"]

    def model(self, name: str) -> dict:
        data = self.send(
            "GET",
            f"{REST_PATH}/services/core/model",
            params={"name": f"objects/{name}"},
            collection=True,
        )
        return data["ia::result"]

    # -- the query service -----------------------------------------------------------

    def query(
        self,
        name: str,
        fields: Sequence[str],
        filters: list[dict[str, Any]] | None = None,
        *,
        filter_expression: str = "",
        order_by: Sequence[tuple[str, str]] = (("key", "asc"),),
        page_size: int = REST_QUERY_PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Rows of a query, one page (one billed transaction) at a time."""
        start = 1
        while True:
            body: dict[str, Any] = {
                "object": name,
                "fields": list(fields),
                "start": start,
                "size": min(page_size, REST_QUERY_PAGE),
            }
            if filters:
                body["filters"] = filters
            if filter_expression:
                body["filterExpression"] = filter_expression
            if order_by:
                body["orderBy"] = [{f: d} for f, d in order_by]
            data = self.send(
                "POST",
                f"{REST_PATH}/services/core/query",
                json=body,
                billed=1,
                collection=True,
            )
            rows = data.get("ia::result") or []
            nxt = (data.get("ia::meta") or {}).get("next")
            del data  # hold one page at a time, never two
            if not rows:
                return
            rows.reverse()  # hand rows out and let each go once it is read
            while rows:
                yield rows.pop()
            if not nxt:
                return
            start = int(nxt)
