"""``/objects/<application>/<object>[/<key>]``: list, get, create, patch, delete."""

from __future__ import annotations

from typing import Any

from sandbox.rest import errors
from sandbox.rest.fieldmap import Lines, RestObject, get_path
from sandbox.rest.http import Request, Response
from sandbox.rest.query import DEFAULT_SIZE, MAX_SIZE, page_meta

WRITE_META = {"totalCount": 1, "totalSuccess": 1, "totalError": 0}


def split_path(path: str) -> tuple[str, str]:
    """``/objects/a/b/12`` -> (``a/b``, ``12``); ``/objects/a/b`` -> (``a/b``, "")."""
    parts = [p for p in path.split("/") if p][1:]
    if len(parts) == 2:
        return "/".join(parts), ""
    if len(parts) == 3:
        return "/".join(parts[:2]), parts[2]
    raise errors.not_found(path)


def handle(request: Request, ctx, backend, catalogue) -> Response:
    """Dispatch one ``/objects/…`` request."""
    name, key = split_path(request.path)
    obj = catalogue.lookup(name)
    if obj is None:
        raise errors.not_found(f"objects/{name}")
    verb = {
        ("GET", False): _list,
        ("POST", False): _create,
        ("GET", True): _get,
        ("PATCH", True): _patch,
        ("DELETE", True): _delete,
    }.get((request.method, bool(key)))
    if verb is None:
        raise errors.method_not_allowed(request.method, request.path)
    return verb(request, ctx, backend, obj, key)


def _list(request: Request, ctx, backend, obj: RestObject, key: str) -> Response:
    rows = backend.rows(ctx, obj)
    start, size = _page_args(request)
    page = rows[start - 1 : start - 1 + size]
    return Response.json(
        200,
        {
            "ia::result": [_ref(obj, row) for row in page],
            "ia::meta": page_meta(len(rows), start, size),
        },
    )


def _get(request: Request, ctx, backend, obj: RestObject, key: str) -> Response:
    row = backend.get(ctx, obj, key)
    if row is None:
        raise errors.not_found(f"{obj.path}/{key}")
    result = obj.read(row, backend.resolver(ctx))
    fields = request.arg("fields")
    if fields:
        result = {f: get_path(result, f) for f in fields.split(",") if f}
    return Response.json(200, {"ia::result": result, "ia::meta": dict(WRITE_META)})


def _create(request: Request, ctx, backend, obj: RestObject, key: str) -> Response:
    body = request.json()
    values = obj.write(body, backend.resolver(ctx), creating=True)
    row = backend.create(ctx, obj, values)
    return Response.json(
        201, {"ia::result": obj.reference(row), "ia::meta": dict(WRITE_META)}
    )


def _patch(request: Request, ctx, backend, obj: RestObject, key: str) -> Response:
    body = request.json()
    existing = backend.peek(ctx, obj, key)
    if existing is None:
        raise errors.not_found(f"{obj.path}/{key}")
    values = obj.write(body, backend.resolver(ctx), creating=False)
    _merge_lines(obj, body, existing, values)
    row = backend.update(ctx, obj, key, values)
    return Response.json(
        200, {"ia::result": obj.reference(row), "ia::meta": dict(WRITE_META)}
    )


def _delete(request: Request, ctx, backend, obj: RestObject, key: str) -> Response:
    if backend.peek(ctx, obj, key) is None:
        raise errors.not_found(f"{obj.path}/{key}")
    backend.delete(ctx, obj, key)
    return Response(204)


def _ref(obj: RestObject, row: dict) -> dict[str, Any]:
    ref = obj.reference(row)
    ref.pop("documentType", None)
    return ref


def _page_args(request: Request) -> tuple[int, int]:
    try:
        start = int(request.arg("start") or 1)
        size = int(request.arg("size") or DEFAULT_SIZE)
    except ValueError:
        raise errors.invalid_request("start and size must be integers") from None
    if start < 1 or not 1 <= size <= MAX_SIZE:
        raise errors.invalid_request(f"start must be 1 or more, size 1..{MAX_SIZE}")
    return start, size


def _merge_lines(obj: RestObject, body: dict, existing: dict, values: dict) -> None:
    """PATCH lines like Intacct: keyed lines update, new ones append, rest stay.

    A line carrying ``"ia::operation": "delete"`` is removed.
    """
    spec = next((s for s in obj.specs if isinstance(s, Lines)), None)
    if spec is None or spec.rest not in body:
        return
    old = get_path(existing, spec.xml) or []
    old = [dict(line) for line in (old if isinstance(old, list) else [old])]
    new_rows = get_path(values, spec.xml) or []
    merged = list(old)
    for item, new in zip(body[spec.rest], new_rows, strict=True):
        key = str(item.get("key") or "")
        at = next(
            (
                i
                for i, line in enumerate(merged)
                if key and str(line.get("RECORDNO") or i + 1) == key
            ),
            None,
        )
        if item.get("ia::operation") == "delete":
            if at is not None:
                merged.pop(at)
        elif at is not None:
            merged[at] = _deep_merge(merged[at], new)
        else:
            merged.append(new)
    node = values
    *parents, last = spec.xml.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = merged


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for name, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(name), dict):
            out[name] = _deep_merge(out[name], value)
        else:
            out[name] = value
    return out
