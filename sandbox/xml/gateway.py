"""The XML gateway: control block, authentication, functions, transactions.

Three error levels, as Intacct answers them (WIRE.md A.3):
control (nothing runs, no <operation>), authentication (no <result>), and
function (only that function fails, unless transaction="true" rolls back all).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from sandbox import company as companies
from sandbox import errors, rules
from sandbox.errors import ErrorDetail
from sandbox.xml import functions, legacy, render
from sandbox.xml.parse import ParseError, children, parse_request, text

log = logging.getLogger(__name__)

SESSION_KIND = "xml_session"
_CONTROL_FIELDS = ("senderid", "controlid", "uniqueid", "dtdversion")


@dataclass
class Request:
    """A parsed (or unparseable) gateway request, read before limits are applied."""

    root: etree._Element | None
    error: str = ""
    company: str | None = None
    control: dict = field(default_factory=dict)


@dataclass
class FunctionResult:
    """What one <function> produced."""

    name: str
    controlid: str
    status: str = "success"
    outcome: functions.Outcome | None = None
    errors: list[ErrorDetail] = field(default_factory=list)


class _RollBack(Exception):
    """Raised inside a transaction="true" operation to undo every function."""


def _support_id() -> str:
    return f" [Support ID: {secrets.token_urlsafe(12)}]"


def read_request(sandbox, body: bytes) -> Request:
    """Parse the body and find the company it targets (for rate limiting)."""
    try:
        root = parse_request(body)
    except ParseError as exc:
        return Request(None, str(exc))
    control_el = root.find("control")
    control = {name: text(control_el, name) for name in _CONTROL_FIELDS}
    auth = root.find("operation/authentication")
    company = None
    if auth is not None:
        login = auth.find("login")
        if login is not None:
            company = text(login, "companyid") or None
        else:
            token = sandbox.store.lookup_token(
                text(auth, "sessionid"), SESSION_KIND, slide=False
            )
            company = token.company_id if token else None
    return Request(root, company=company, control=control)


def too_large():
    """HTTP 413 for a body above the configured limit."""
    from sandbox.app import Response

    body = render.gateway_error("GW-0011", "Invalid Request: request body too large")
    return Response(413, [("Content-Type", render.CONTENT_TYPE)], body)


def handle(sandbox, environ, request: Request):
    """Answer one gateway request (HTTP 200 even for business failures)."""
    from sandbox.app import Response

    pretty = request.control.get("includewhitespace", "true") != "false"
    if request.root is not None:
        pretty = (
            text(request.root.find("control"), "includewhitespace", "true") != "false"
        )
    body, company, names = _respond(sandbox, environ, request, pretty)
    return Response(200, [("Content-Type", render.CONTENT_TYPE)], body, company, names)


def _respond(sandbox, environ, request: Request, pretty: bool):
    control = dict(request.control)
    if request.error:
        failure = ErrorDetail(errors.PARSE, description2=request.error + _support_id())
        return render.control_failure(control, [failure], pretty), None, []
    root = request.root
    control["uniqueid"] = control.get("uniqueid") or "true"  # docs: default is true
    problem = _check_control(sandbox, root, control)
    if problem is not None:
        return render.control_failure(control, [problem], pretty), None, []
    operation = root.find("operation")
    function_elements = children(operation.find("content"))
    names = [children(f)[0].tag for f in function_elements]

    response = etree.Element("response")
    render.control_block(response, "success", control)
    op_el = render.sub(response, "operation")
    try:
        ctx, auth, session = _authenticate(sandbox, operation, control["senderid"])
    except errors.IntacctError as exc:
        render.authentication_block(op_el, "failure", _login_echo(operation))
        render.errormessage(op_el, exc.errors)
        return render.serialize(response, pretty), request.company, names
    render.authentication_block(op_el, "success", auth)

    base = functions.Call(sandbox, ctx, None, _endpoint(environ), session)
    scope = f"{ctx.company_id}:xml:{control['senderid']}"
    uniqueid = control["uniqueid"].lower() == "true"
    atomic = operation.get("transaction", "false").lower() == "true"
    results = _run_all(sandbox, base, function_elements, uniqueid, scope, atomic)
    for result in results:
        _render_result(op_el, result)
    return render.serialize(response, pretty), ctx.company_id, names


# --- control and authentication -------------------------------------------------------


def _check_control(sandbox, root, control: dict) -> ErrorDetail | None:
    control_el = root.find("control")
    if control_el is None:
        return ErrorDetail(
            errors.PARSE, description2="XML Parse schema error: missing <control>."
        )
    policy = text(control_el, "policyid")
    if policy:
        # Asynchronous transport policies are not emulated. [S: text of the real error]
        return ErrorDetail(
            errors.AUTH, description2=f"{policy} is not a valid transport policy."
        )
    for name in ("senderid", "controlid", "dtdversion"):
        if not control.get(name):
            return ErrorDetail(
                errors.PARSE, description2=f"XML Parse schema error: missing <{name}>."
            )
    if len(control["controlid"]) > 256:
        return ErrorDetail(
            errors.PARSE, description2="XML Parse schema error: controlid too long."
        )
    if control["dtdversion"] != "3.0":
        return ErrorDetail(
            errors.PARSE,
            description2=f"dtdversion {control['dtdversion']} is not supported; "
            "use 3.0.",
        )
    if not companies.sender_valid(
        sandbox.store, control["senderid"], text(control_el, "password")
    ):
        return ErrorDetail(
            errors.AUTH,
            description2="Incorrect Intacct XML Partner ID or password."
            + _support_id(),
        )
    return _check_operation(root)


def _check_operation(root) -> ErrorDetail | None:
    operation = root.find("operation")
    problem = None
    if operation is None or operation.find("authentication") is None:
        problem = "missing <operation>/<authentication>"
    elif operation.find("content") is None or not children(operation.find("content")):
        problem = "missing <content> or it holds no <function>"
    else:
        for function in children(operation.find("content")):
            if function.tag != "function" or len(children(function)) != 1:
                problem = "each <function> must hold exactly one function element"
            elif not (function.get("controlid") or "").strip():
                problem = "every <function> needs a controlid attribute"
            elif len(function.get("controlid")) > 256:
                problem = "function controlid longer than 256 characters"
    if problem is None:
        return None
    return ErrorDetail(errors.PARSE, description2=f"XML Parse schema error: {problem}.")


def _authenticate(sandbox, operation, sender_id: str):
    """(Context, auth echo, session token or None); raises AuthenticationFailed."""
    auth_el = operation.find("authentication")
    login = auth_el.find("login")
    store = sandbox.store
    if login is not None:
        company, user = companies.authenticate(
            store,
            text(login, "companyid"),
            text(login, "userid"),
            _raw(login, "password"),
            text(login, "locationid") or None,
        )
        entity, session, expires = text(login, "locationid") or None, None, None
    else:
        session = store.lookup_token(text(auth_el, "sessionid"), SESSION_KIND)
        company = companies.load(store, session.company_id) if session else None
        user = company.user(session.user_id) if company else None
        if user is None:
            raise errors.invalid_session()
        entity, expires = session.entity, session.expires_at
    if sender_id not in company.senders:
        raise errors.sender_not_authorized(sender_id, company.company_id)
    now = store.clock.now()
    auth = {
        "userid": user.user_id,
        "companyid": company.company_id,
        "locationid": entity or "",
        "sessiontimestamp": _iso(now),
        "sessiontimeout": _iso(expires or now + company.session_ttl),
    }
    return rules.Context(store, company, user, entity, "xml"), auth, session


def _raw(element, name: str) -> str:
    """Passwords are compared exactly: no stripping."""
    found = element.find(name)
    return found.text or "" if found is not None else ""


def _login_echo(operation) -> dict:
    login = operation.find("authentication/login")
    if login is None:
        return {}
    return {name: text(login, name) for name in ("userid", "companyid", "locationid")}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _endpoint(environ) -> str:
    """This sandbox's own gateway URL, honouring the mount prefix (SCRIPT_NAME)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    prefix = environ.get("SCRIPT_NAME", "").rstrip("/")
    return f"{scheme}://{host}{prefix}/ia/xml/xmlgw.phtml"


# --- functions ------------------------------------------------------------------------


def _run_all(sandbox, base, elements, uniqueid: bool, scope: str, atomic: bool):
    if not atomic:
        return [_run_one(sandbox, base, el, uniqueid, scope) for el in elements]
    results: list[FunctionResult] = []
    try:
        with sandbox.store.transaction():
            for element in elements:
                results.append(_run_one(sandbox, base, element, uniqueid, scope))
                if results[-1].status == "failure":
                    raise _RollBack
    except _RollBack:
        return _aborted(results, elements)
    return results


def _aborted(results: list[FunctionResult], elements) -> list[FunctionResult]:
    """transaction="true" failed: the failing one fails, every other one is aborted."""
    rolled_back = ErrorDetail(
        errors.ROLLED_BACK,
        description2="The entire transaction in this operation has been rolled "
        "back due to an error.",
    )
    final = []
    for index, element in enumerate(elements):
        name, controlid = children(element)[0].tag, element.get("controlid")
        if index < len(results) and results[index].status == "failure":
            failed = results[index]
            final.append(
                FunctionResult(
                    name, controlid, "failure", None, [*failed.errors, rolled_back]
                )
            )
        else:
            final.append(
                FunctionResult(name, controlid, "aborted", None, [rolled_back])
            )
    return final


def _run_one(sandbox, base, element, uniqueid: bool, scope: str) -> FunctionResult:
    function = children(element)[0]
    controlid = element.get("controlid").strip()
    result = FunctionResult(function.tag, controlid)
    store = sandbox.store
    try:
        if uniqueid and store.idempotency_get(scope, controlid) is not None:
            store.incr(base.ctx.company_id, "rejected_duplicates")
            store.incr(base.ctx.company_id, "rejected_controlids")
            raise _duplicate_controlid(sandbox, controlid)
        with store.transaction():
            result.outcome = _dispatch(base, function)
            if uniqueid:
                store.idempotency_put(
                    scope, controlid, response={"function": function.tag}
                )
    except errors.IntacctError as exc:
        result.status, result.errors = "failure", exc.errors
    except Exception:  # a sandbox bug must still produce a well-formed answer
        log.exception("sandbox XML function %s crashed", function.tag)
        result.status = "failure"
        result.errors = [
            ErrorDetail(
                "DL02000001",
                description="Error",
                description2="There was an error processing the request.",
            )
        ]
    return result


def _dispatch(base, function) -> functions.Outcome:
    call = functions.Call(base.sandbox, base.ctx, function, base.endpoint, base.session)
    handler = functions.GENERIC.get(function.tag)
    if handler is not None:
        return handler(call)
    legacy_handler = legacy.LEGACY.get(function.tag)
    if legacy_handler is not None:
        return functions.Outcome(key=legacy_handler(base.ctx, function))
    raise errors.InvalidRequest(
        ErrorDetail(
            errors.PARSE,
            description2=f"XML Parse schema error: unknown function <{function.tag}>.",
        )
    )


def _duplicate_controlid(sandbox, controlid: str) -> errors.IntacctError:
    """[I] Our documented, configurable answer to a repeated controlid."""
    return errors.DuplicateValue(
        ErrorDetail(
            sandbox.config.duplicate_controlid_errorno,
            description="Duplicate function controlid",
            description2=(
                f"A function with controlid '{controlid}' was already executed "
                "for this sender and company; it was not executed again."
            ),
            correction="Use a new controlid, or send uniqueid false to allow repeats.",
        )
    )


def _render_result(parent, result: FunctionResult) -> None:
    node = render.sub(parent, "result")
    render.sub(node, "status", result.status)
    render.sub(node, "function", result.name)
    render.sub(node, "controlid", result.controlid)
    outcome = result.outcome
    if outcome is not None and outcome.data is not None:
        node.append(outcome.data)
    if outcome is not None and outcome.key is not None:
        render.sub(node, "key", outcome.key)
    if result.status == "failure" and result.name in ("create", "update"):
        render.sub(node, "data", listtype="objects", count=0)
    if result.errors:
        render.errormessage(node, result.errors)
