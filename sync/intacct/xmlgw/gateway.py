"""Runs functions through the XML gateway: sessions, batching, paging."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from sync.intacct import errors
from sync.intacct.constants import QUERY_PAGE, READ_BY_QUERY_PAGE, XML_PATH
from sync.intacct.credentials import Credentials
from sync.intacct.transport import Transport
from sync.intacct.xmlgw import builder, parser
from sync.intacct.xmlgw.builder import Function
from sync.intacct.xmlgw.parser import Response, Result
from sync.intacct.xmlgw.session import (
    Session,
    SessionCache,
    choose_endpoint,
    lifetime,
    renew_margin,
)

log = logging.getLogger("sync.intacct.xml")


class XmlGateway:
    """One company's door to the XML gateway."""

    def __init__(
        self,
        credentials: Credentials,
        transport: Transport,
        sessions: SessionCache | None = None,
    ):
        self.credentials = credentials
        self.transport = transport
        self.sessions = sessions or SessionCache()
        self.scope = credentials.scope
        self.sessions_opened = 0

    # -- sessions ------------------------------------------------------------------

    def session(self, *, force: bool = False) -> Session:
        """A live session for this company+entity, opened or renewed as needed."""
        now = self.transport.clock()
        current = self.sessions.get(self.scope)
        if current and not force and current.fresh(now, 0):
            return current
        with self.sessions.lock_for(self.scope):
            current = self.sessions.get(self.scope)
            if current and not force and current.fresh(self.transport.clock(), 0):
                return current
            return self._open()

    def _open(self) -> Session:
        creds = self.credentials
        login = {
            "userid": creds.user_id,
            "companyid": creds.company_id,
            "password": creds.user_password,
        }
        if creds.entity_id:
            login["locationid"] = creds.entity_id
        fn = builder.function("getAPISession")
        body = builder.build_request(
            sender_id=creds.sender_id,
            sender_password=creds.sender_password,
            functions=[fn],
            login=login,
        )
        response = self._post(XML_PATH, body, write=False, keys=(), billed=0)
        result = self._single(response, fn)
        api = result.data.find("api") if result.data is not None else None
        session_id = api.findtext("sessionid") if api is not None else ""
        if not session_id:
            raise errors.AuthError(
                "getAPISession returned no session id", protocol="xml"
            )
        endpoint = choose_endpoint(
            str(self.transport.client.base_url),
            (api.findtext("endpoint") or "").strip(),
            XML_PATH,
        )
        span = lifetime(response)
        session = Session(
            session_id, endpoint, self.transport.clock() + span - renew_margin(span)
        )
        self.sessions.put(self.scope, session)
        self.sessions_opened += 1
        log.debug("opened XML session for %s (%.0f s)", self.scope, span)
        return session

    # -- running functions ------------------------------------------------------------

    def run(
        self, functions: Sequence[Function], *, transaction: bool = False
    ) -> list[Result]:
        """Send `functions` in one request; return their results in order.

        An expired or invalid session (authentication-level failure: nothing ran)
        is re-established once, transparently.
        """
        write = any(f.write for f in functions)
        keys = tuple(f.controlid for f in functions if f.write)
        billed = sum(f.billed for f in functions)
        for attempt in (0, 1):
            session = self.session(force=attempt == 1)
            body = builder.build_request(
                sender_id=self.credentials.sender_id,
                sender_password=self.credentials.sender_password,
                functions=functions,
                session_id=session.session_id,
                uniqueid=write,
                transaction=transaction,
            )
            response = self._post(
                session.endpoint,
                body,
                write=write,
                keys=keys,
                billed=billed,
                session=session,
            )
            if response.level == "authentication" and attempt == 0:
                error = errors.from_xml_errors(response.errors)
                if isinstance(error, errors.AuthError):
                    log.info("XML session for %s refused; signing in again", self.scope)
                    self.sessions.drop(self.scope, session.session_id)
                    continue
            if response.errors:
                raise errors.from_xml_errors(
                    response.errors, idempotency_key=keys[0] if keys else ""
                )
            return self._ordered(response, functions)
        raise AssertionError("unreachable")

    def _post(
        self,
        path: str,
        body: bytes,
        *,
        write: bool,
        keys: tuple[str, ...],
        billed: int,
        session: Session | None = None,
    ) -> Response:
        http = self.transport.request(
            "POST",
            path,
            protocol="xml",
            write=write,
            idempotency_keys=keys,
            billed=billed,
            content=body,
            headers={"Content-Type": "application/xml"},
        )
        try:
            response = parser.parse_response(http.content)
        except parser.ResponseParseError as exc:
            if write:
                raise errors.OutcomeUnknown(
                    f"unreadable gateway answer to a write: {exc}",
                    idempotency_keys=keys,
                    protocol="xml",
                ) from exc
            raise errors.TransportError(str(exc), protocol="xml") from exc
        if session is not None and response.auth_status == "success":
            # Sliding timeout: every successful call extends the session.
            span = lifetime(response)
            session.expires_at = self.transport.clock() + span - renew_margin(span)
        return response

    def _ordered(
        self, response: Response, functions: Sequence[Function]
    ) -> list[Result]:
        by_id = response.by_controlid()
        out = []
        for i, fn in enumerate(functions):
            result = by_id.get(fn.controlid)
            if result is None and i < len(response.results):
                result = response.results[i]  # fall back to position
            if result is None:
                result = Result(
                    "failure",
                    fn.name,
                    fn.controlid,
                    errors=[
                        errors.ErrorDetail("missing", description2="No result returned")
                    ],
                )
            out.append(result)
        return out

    def _single(self, response: Response, fn: Function) -> Result:
        if response.errors:
            raise errors.from_xml_errors(response.errors)
        result = self._ordered(response, [fn])[0]
        if not result.ok:
            raise errors.from_xml_errors(result.errors, idempotency_key=fn.controlid)
        return result

    def call(self, fn: Function) -> Result:
        """Run one function and raise its typed error if it failed."""
        result = self.run([fn])[0]
        if not result.ok:
            key = fn.controlid if fn.write else ""
            raise errors.from_xml_errors(result.errors, idempotency_key=key)
        return result

    # -- paging (constant memory: one page at a time) ------------------------------

    def read_by_query(
        self,
        obj: str,
        query: str = "",
        *,
        fields: str = "*",
        pagesize: int = READ_BY_QUERY_PAGE,
        docparid: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Rows of a readByQuery, following readMore until nothing remains."""
        spec: dict[str, Any] = {
            "object": obj,
            "query": query,
            "fields": fields,
            "pagesize": min(pagesize, READ_BY_QUERY_PAGE),
            "returnFormat": "xml",
        }
        if docparid:
            spec["docparid"] = docparid
        result = self.call(builder.function("readByQuery", spec))
        while True:
            yield from result.rows()
            remaining = int(result.attr("numremaining", "0") or 0)
            result_id = result.attr("resultId")
            if remaining <= 0 or not result_id:
                return
            result.data = None  # drop this page before fetching the next
            result = self.call(builder.function("readMore", {"resultId": result_id}))

    def query(
        self,
        obj: str,
        select: Sequence[str],
        filter: Any = None,
        *,
        orderby: Sequence[tuple[str, bool]] = (("RECORDNO", True),),
        pagesize: int = QUERY_PAGE,
        extra: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Rows of a `query`, paging by offset (each page is one billed query)."""
        offset = 0
        while True:
            spec: dict[str, Any] = {
                "object": obj,
                "select": {"field": list(select)},
            }
            if filter is not None:
                spec["filter"] = filter
            if orderby:
                spec["orderby"] = {
                    "order": [
                        {"field": f, ("ascending" if asc else "descending"): ""}
                        for f, asc in orderby
                    ]
                }
            if extra:
                spec.update(extra)
            spec["pagesize"] = min(pagesize, QUERY_PAGE)
            spec["offset"] = offset
            result = self.call(builder.function("query", spec))
            count = 0
            for row in result.rows():
                count += 1
                yield row
            remaining = int(result.attr("numremaining", "0") or 0)
            if remaining <= 0 or count == 0:
                return
            offset += count
