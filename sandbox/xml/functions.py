"""Generic dtd 3.0 functions: create, update, delete, read, readByName,
readByQuery, readMore, query, lookup, getDimensions and getAPISession."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from lxml import etree

from sandbox import errors, rules
from sandbox.objects import SPECS, UDD_OBJECT
from sandbox.xml import query as q
from sandbox.xml import render
from sandbox.xml.parse import children, schema_error, text, to_value

RESULT_KIND = "xml_result"  # store token kind for readByQuery resultIds


@dataclass
class Call:
    """Everything a function needs: who is calling, the element, the gateway facts."""

    sandbox: object
    ctx: rules.Context
    element: etree._Element
    endpoint: str = ""
    session: object = None  # the store Token when authenticated by sessionid


@dataclass
class Outcome:
    """A successful function: a detached <data> element and/or a legacy <key>."""

    data: etree._Element | None = None
    key: str | None = None


def _data(**attrs) -> etree._Element:
    return etree.Element("data", {k: str(v) for k, v in attrs.items()})


def _object_name(call: Call) -> str:
    name = text(call.element, "object")
    if not name:
        raise schema_error(f"<{call.element.tag}> requires <object>")
    return rules.resolve(name).name


def _keys(call: Call) -> list[str]:
    return [k.strip() for k in text(call.element, "keys").split(",") if k.strip()]


def _fields(call: Call) -> list[str] | None:
    raw = text(call.element, "fields", "*")
    if raw in ("", "*"):
        return None
    return [f.strip().upper() for f in raw.split(",") if f.strip()]


def _int(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = text(call.element, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise schema_error(f"<{name}> must be an integer") from None
    if not low <= value <= high:
        raise schema_error(f"<{name}> must be between {low} and {high}")
    return value


def _return_format(call: Call) -> None:
    if text(call.element, "returnFormat", "xml").lower() != "xml":
        raise schema_error("only returnFormat xml is supported by this sandbox")


# --- writes ---------------------------------------------------------------------------


def _write(call: Call, operation) -> Outcome:
    objects = children(call.element)
    if not objects:
        raise schema_error(f"<{call.element.tag}> needs at least one object")
    data = _data(listtype="objects", count=len(objects))
    for obj in objects:
        spec = rules.resolve(obj.tag)
        fields = to_value(obj)
        row = operation(call.ctx, spec.name, fields if isinstance(fields, dict) else {})
        node = render.sub(data, spec.element)
        render.sub(node, "RECORDNO", row["RECORDNO"])
        if spec.id_field:
            render.sub(node, spec.id_field, row.get(spec.id_field, ""))
    return Outcome(data)


def create(call: Call) -> Outcome:
    """<create><OBJECT>…</OBJECT>…</create>: one or more objects, atomically."""
    return _write(call, rules.create)


def update(call: Call) -> Outcome:
    """<update><OBJECT><RECORDNO|ID>…</OBJECT>…</update>."""
    return _write(call, rules.update)


def delete(call: Call) -> Outcome:
    """<delete><object/><keys>1,2</keys></delete>: status only."""
    obj = _object_name(call)
    keys = _keys(call)
    if not keys:
        raise schema_error("<delete> requires <keys>")
    for key in keys:
        rules.delete(call.ctx, obj, key)
    return Outcome()


# --- reads ----------------------------------------------------------------------------


def _rows_data(spec, rows, fields, **attrs) -> etree._Element:
    data = _data(listtype=spec.element, count=len(rows), **attrs)
    for row in rows:
        render.record(data, spec.element, row, fields, spec.lines)
    return data


def read(call: Call) -> Outcome:
    """<read><object/><keys/><fields/></read> by RECORDNO."""
    return _read(call, rules.read)


def read_by_name(call: Call) -> Outcome:
    """<readByName> by the object's ID field."""
    return _read(call, rules.read_by_id)


def _read(call: Call, reader) -> Outcome:
    obj = _object_name(call)
    _return_format(call)
    spec = SPECS[obj]
    rows = [
        row for key in _keys(call) if (row := reader(call.ctx, obj, key)) is not None
    ]
    return Outcome(_rows_data(spec, rows, _fields(call)))


def read_by_query(call: Call) -> Outcome:
    """<readByQuery>: SQL-like filter, pagesize ≤ 1000, resultId for readMore."""
    obj = _object_name(call)
    _return_format(call)
    spec = SPECS[obj]
    where = q.parse_readbyquery(text(call.element, "query"))
    docparid = text(call.element, "docparid")
    if docparid:
        scope = ("eq", "DOCPARID", docparid)
        where = scope if where is None else ("and", [scope, where])
    pagesize = _int(call, "pagesize", 100, 1, 1000)
    rows, total = rules.query(call.ctx, obj, where)
    keys = [row["RECORDNO"] for row in rows]
    fields = _fields(call)
    state = {
        "object": obj,
        "keys": keys,
        "fields": fields,
        "pos": 0,
        "pagesize": pagesize,
    }
    return Outcome(_page(call, spec, rows[:pagesize], state, total))


def _page(call: Call, spec, rows, state, total) -> etree._Element:
    """One readByQuery/readMore page; keeps the cursor alive while rows remain."""
    store = call.sandbox.store
    state["pos"] += len(rows)
    remaining = max(0, total - state["pos"])
    if remaining > 0:
        user = call.ctx.user.user_id if call.ctx.user else None
        state.setdefault("result_id", secrets.token_hex(16))
        store.issue_token(
            RESULT_KIND,
            call.ctx.company_id,
            user,
            ttl=call.sandbox.config.readmore_ttl,
            data=state,
            token=state["result_id"],
            sliding=False,
        )
    elif state.get("result_id"):
        store.revoke_token(state["result_id"])
    data = _data(
        listtype=spec.element,
        count=len(rows),
        totalcount=total,
        numremaining=remaining,
        resultId=state.get("result_id", ""),
    )
    lines = spec.lines[0] if spec.lines else None
    for row in rows:
        # Like Intacct, query results carry header fields only unless asked for.
        names = state["fields"] or [
            "RECORDNO",
            *(k for k in row if k not in (lines, "RECORDNO")),
        ]
        render.record(data, spec.element, row, names, spec.lines)
    return data


def read_more(call: Call) -> Outcome:
    """<readMore><resultId/></readMore>: the next page of a readByQuery."""
    result_id = text(call.element, "resultId")
    token = call.sandbox.store.lookup_token(result_id, RESULT_KIND, slide=False)
    if token is None or token.company_id != call.ctx.company_id:
        raise errors.InvalidRequest(
            errors.ErrorDetail(
                "readMore failed",
                description2=(
                    "Attempt to readMore with an invalid or expired resultId: "
                    + result_id
                ),
            )
        )
    state = dict(token.data)
    spec = rules.resolve(state["object"])
    rules.authorize(call.ctx, spec, "read")
    rules.bill(call.ctx)
    keys = state["keys"][state["pos"] : state["pos"] + state["pagesize"]]
    store = call.sandbox.store
    rows = [r for k in keys if (r := store.get(call.ctx.company_id, spec.name, k))]
    state["pos"] += len(keys) - len(rows)  # rows deleted since count as consumed
    return Outcome(_page(call, spec, rows, state, len(state["keys"])))


def query(call: Call) -> Outcome:
    """<query>: select/filter/orderby/options, pagesize ≤ 2000, offset."""
    obj = _object_name(call)
    spec = SPECS[obj]
    select = call.element.find("select")
    fields = [
        (f.text or "").strip().upper()
        for f in (select.findall("field") if select is not None else [])
    ]
    if not fields or "*" in fields:
        raise q.query_failed(
            "<select> must list at least one <field> ('*' is not allowed)"
        )
    where = q.parse_filter(call.element.find("filter"))
    order = q.parse_orderby(call.element.find("orderby"))
    options = call.element.find("options")
    insensitive = text(options, "caseinsensitive").lower() == "true"
    pagesize = _int(call, "pagesize", 100, 1, 2000)
    offset = _int(call, "offset", 0, 0, 10**9)
    rows, total = rules.query(
        call.ctx, obj, where, order, offset, pagesize, insensitive
    )
    data = _data(
        listtype=spec.name,
        totalcount=total,
        offset=offset,
        count=len(rows),
        numremaining=max(0, total - offset - len(rows)),
    )
    for row in rows:
        render.record(data, spec.name, row, fields, spec.lines)
    return Outcome(data)


def lookup(call: Call) -> Outcome:
    """<lookup><object/></lookup>: the object's field definitions."""
    spec = SPECS[_object_name(call)]
    data = _data(listtype="All", count=1)
    node = render.sub(data, "Type", Name=spec.name, DocumentType="")
    fields = render.sub(node, "Fields")
    for name in ("RECORDNO", *spec.fields, "WHENCREATED", "WHENMODIFIED"):
        field = render.sub(fields, "Field")
        render.sub(field, "ID", name)
        render.sub(field, "LABEL", name.replace("_", " ").title())
        render.sub(field, "DESCRIPTION", "")
        render.sub(field, "REQUIRED", name in spec.required)
        render.sub(
            field, "READONLY", name in ("RECORDNO", "WHENCREATED", "WHENMODIFIED")
        )
        render.sub(field, "DATATYPE", _datatype(spec, name))
        render.sub(field, "ISCUSTOM", False)
    return Outcome(data)


def _datatype(spec, name: str) -> str:
    if name == "RECORDNO":
        return "INTEGER"
    if name in spec.dates:
        return "DATE"
    if name in spec.amounts or name.startswith("TOTAL"):
        return "CURRENCY"
    return "TEXT"


_DIMENSIONS = [
    ("DEPARTMENT", "Department", False, True),
    ("LOCATION", "Location", False, True),
    ("CUSTOMER", "Customer", False, True),
    ("ITEM", "Item", False, True),
    ("CLASS", "Class", False, True),
    ("WAREHOUSE", "Warehouse", False, False),
    (UDD_OBJECT, "Channel", True, True),
]


def get_dimensions(call: Call) -> Outcome:
    """<getDimensions/>: standard dimensions plus the user-defined one. [S: fixture]"""
    data = _data()
    dims = render.sub(data, "dimensions")
    for name, label, user_defined, in_gl in _DIMENSIONS:
        dim = render.sub(dims, "dimension")
        render.sub(dim, "objectName", name)
        render.sub(dim, "objectLabel", label)
        render.sub(dim, "termLabel", label)
        render.sub(dim, "userDefinedDimension", user_defined)
        render.sub(dim, "enabledInGL", in_gl)
    return Outcome(data)


def get_api_session(call: Call) -> Outcome:
    """<getAPISession [<locationid/>]>: a sliding session, endpoint = this sandbox."""
    from sandbox.company import check_entity

    requested = call.element.find("locationid")
    entity = call.ctx.entity
    if requested is not None:
        entity = (requested.text or "").strip() or None
        check_entity(call.ctx.company, entity)
    session = call.session
    if session is None or entity != session.entity:
        session = call.sandbox.store.issue_token(
            "xml_session",
            call.ctx.company_id,
            call.ctx.user.user_id,
            ttl=call.ctx.company.session_ttl,
            entity=entity,
            suffix="..",
        )
    data = _data()
    api = render.sub(data, "api")
    render.sub(api, "sessionid", session.token)
    render.sub(api, "endpoint", call.endpoint)
    render.sub(api, "locationid", entity or "")
    return Outcome(data)


GENERIC = {
    "create": create,
    "update": update,
    "delete": delete,
    "read": read,
    "readByName": read_by_name,
    "readByQuery": read_by_query,
    "readMore": read_more,
    "query": query,
    "lookup": lookup,
    "getDimensions": get_dimensions,
    "getAPISession": get_api_session,
}
