"""The REST v1 WSGI application: authentication, routing, error answers."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sandbox.rest import errors, model, query, resources
from sandbox.rest.fieldmap import flatten
from sandbox.rest.http import MAX_BODY_BYTES, Request, Response
from sandbox.rest.idempotency import Idempotency
from sandbox.rest.oauth import OAuth
from sandbox.rest.tokens import ACCESS, TokenService

log = logging.getLogger(__name__)

ENTITY_HEADERS = ("x-ia-api-param-entity", "x-ia-api-paramentity")


@dataclass(frozen=True)
class Caller:
    """Who is calling, from the access token and the entity header."""

    company_id: str
    user_id: str
    entity_id: str
    client_id: str


class RestApp:
    """WSGI callable for everything below ``/ia/api/v1``."""

    def __init__(
        self,
        backend,
        catalogue,
        *,
        config=None,
        secret: bytes | None = None,
        access_ttl: float | None = None,
        refresh_ttl: float | None = None,
        idempotency_ttl: float | None = None,
        max_body: int | None = None,
    ):
        self.backend, self.catalogue, self.config = backend, catalogue, config
        self._views: dict[tuple, tuple[int, list[dict]]] = {}  # see _view()
        self._max_body = max_body
        # Tokens are signed with a per-process key; the store decides if they live.
        self.tokens = TokenService(
            backend.store,
            secret or secrets.token_bytes(32),
            config=config,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
        self.oauth = OAuth(backend, self.tokens)
        self.idempotency = Idempotency(backend.store, config, idempotency_ttl)

    @property
    def max_body(self) -> int:
        """Largest accepted body: fixed, else the sandbox's max_body_bytes."""
        default = getattr(self.config, "max_body_bytes", MAX_BODY_BYTES)
        return self._max_body or default

    def __call__(self, environ, start_response):
        return self.respond(environ)(start_response)

    def respond(self, environ) -> Response:
        """The Response for one WSGI environ; never raises."""
        try:
            request = Request.from_environ(environ, self.max_body)
            return self.handle(request)
        except errors.RestError as exc:
            return Response.error(exc)
        except Exception:  # a sandbox bug must still answer like Intacct's 500
            log.exception("REST sandbox failure")
            return Response.error(
                errors.RestError(
                    500,
                    "internalError",
                    "Internal server error; quote the supportId",
                    error_id="REST-1000",
                    message_id="IA.INTERNAL_ERROR",
                )
            )

    def handle(self, request: Request) -> Response:
        """Route by the first path segments."""
        parts = [p for p in request.path.split("/") if p]
        if parts[:1] == ["oauth2"]:
            return self.oauth.dispatch(request, "/".join(parts[1:]))
        if not parts or parts[0] not in ("objects", "services"):
            raise errors.not_found(request.path)
        caller = self.authenticate(request)
        ctx = self.backend.context(caller)
        scope = f"{caller.company_id}:rest:{caller.user_id}"
        return self.idempotency.run(
            request, scope, lambda: self.route(request, parts, ctx)
        )

    def route(self, request: Request, parts: list[str], ctx) -> Response:
        """Objects and the two core services."""
        if parts[0] == "objects":
            return resources.handle(request, ctx, self.backend, self.catalogue)
        service = "/".join(parts[1:])
        if service == "core/query":
            if request.method != "POST":
                raise errors.method_not_allowed(request.method, request.path)
            return self.query(request, ctx)
        if service == "core/model":
            if request.method != "GET":
                raise errors.method_not_allowed(request.method, request.path)
            return Response.json(
                200, model.model_response(request.arg("name"), self.catalogue.objects())
            )
        raise errors.not_found(request.path)

    def query(self, request: Request, ctx) -> Response:
        """Run the query service over the caller's visible records."""
        body = request.json()
        name = body.get("object") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise errors.invalid_request(
                "object is required, e.g. accounts-receivable/customer"
            )
        obj = self.catalogue.lookup(name.removeprefix("objects/"))
        if obj is None:
            raise errors.not_found(f"objects/{name}")
        return Response.json(200, query.run_query_flat(body, obj, self._view(ctx, obj)))

    def _view(self, ctx, obj) -> list[dict]:
        """Every visible row of ``obj`` as flattened REST objects. Paging through a
        large object asks for the same view page after page, so the last one is kept
        per company, entity and object until any stored row changes."""
        generation = self.backend.store.generation  # read first: a write after it
        rows = self.backend.rows(ctx, obj)  # authorizes and bills, every page
        key = (ctx.company_id, ctx.entity, obj.name)
        kept = self._views.get(key)
        if kept is not None and kept[0] == generation:
            return kept[1]
        resolver = self.backend.resolver(ctx)
        view = [flatten(obj.read(row, resolver)) for row in rows]
        self._views[key] = (generation, view)
        return view

    def authenticate(self, request: Request) -> Caller:
        """The caller behind a live bearer token, or a 401."""
        header = request.header("authorization")
        if not header.startswith("Bearer "):
            raise errors.gateway(401, "GW-0034", "Invalid Authorization Header")
        claims = self.tokens.decode(header[7:].strip())
        if claims is None:
            raise errors.gateway(401, "GW-0031", "Invalid Token")
        found = self.tokens.live(header[7:].strip(), ACCESS)
        if found is None:
            raise errors.token_invalid()
        grant = found[0]
        entity = next(
            (request.header(h) for h in ENTITY_HEADERS if request.header(h)),
            grant.entity_id,
        )
        return Caller(grant.company_id, grant.user_id, entity, grant.client_id)
