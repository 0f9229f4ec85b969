"""``GET /services/core/model``: the object model, built from the field tables."""

from __future__ import annotations

from typing import Any

from sandbox.rest import errors
from sandbox.rest.fieldmap import Field, Lines, Ref, RestObject

HTTP_METHODS = "OPTIONS,GET,POST,DELETE,PATCH"
TYPES = {
    "decimal": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "date": "string",
    "datetime": "string",
    "string": "string",
}
FORMATS = {"decimal": "decimal-precision-2", "date": "date", "datetime": "date-time"}


def model_response(
    request_name: str, catalogue: dict[str, RestObject]
) -> dict[str, Any]:
    """The model body: a resource list without ``name``, one model with it."""
    meta = {"totalCount": 1, "totalSuccess": 1, "totalError": 0}
    if not request_name:
        listing = [_summary(obj) for obj in catalogue.values()]
        return {
            "ia::result": listing,
            "ia::meta": {
                **meta,
                "totalCount": len(listing),
                "totalSuccess": len(listing),
            },
        }
    name = request_name.removeprefix("objects/")
    obj = catalogue.get(name)
    if obj is None:
        raise errors.not_found(request_name)
    return {"ia::result": object_model(obj), "ia::meta": meta}


def _summary(obj: RestObject) -> dict[str, str]:
    return {
        "apiObject": f"objects/{obj.path}",
        "type": "rootObject",
        "httpMethods": HTTP_METHODS,
        "href": f"/services/core/model?version=v1&name=objects/{obj.path}",
    }


def object_model(obj: RestObject) -> dict[str, Any]:
    """fields / groups / refs / lists for one object, like Intacct's model."""
    model: dict[str, Any] = {"fields": {}, "groups": {}, "refs": {}, "lists": {}}
    model["fields"]["key"] = _field("string", read_only=True, nullable=True)
    model["fields"]["id"] = _field("string", read_only=not obj.id_writable)
    model["fields"]["href"] = _field("string", read_only=True)
    for spec in obj.specs:
        _add(model, spec)
    audit = model["groups"].setdefault("audit", {"fields": {}})
    for name in ("createdDateTime", "modifiedDateTime"):
        audit["fields"][name] = _field("datetime", read_only=True, nullable=True)
    for name in ("createdBy", "modifiedBy"):
        audit["fields"][name] = _field("string", read_only=True, nullable=True)
    # Intacct's PHP back end serialises an empty map as [], as in its own example.
    for part in ("groups", "refs", "lists"):
        if not model[part]:
            model[part] = []
    model.update(
        apiObject=f"objects/{obj.path}",
        type="rootObject",
        httpMethods=HTTP_METHODS,
        idempotenceSupported=True,
    )
    return model


def _add(model: dict[str, Any], spec: Field | Ref | Lines) -> None:
    if isinstance(spec, Lines):
        model["lists"][spec.rest] = {
            "apiObject": spec.object_name,
            "fields": {
                f.rest: _describe(f) for f in spec.fields if isinstance(f, Field)
            },
        }
        return
    *groups, last = spec.rest.split(".")
    node = model
    for group in groups:
        node = node["groups"].setdefault(
            group, {"fields": {}, "groups": {}, "refs": {}}
        )
    if isinstance(spec, Ref):
        fields = {"id": _field("string"), "key": _field("string", nullable=True)}
        if spec.name_field:
            fields["name"] = _field("string", read_only=True, nullable=True)
        node["refs"][last] = {"apiObject": spec.target, "fields": fields}
    else:
        node["fields"][last] = _describe(spec)


def _describe(spec: Field) -> dict[str, Any]:
    entry = _field(spec.kind, read_only=spec.read_only, nullable=True)
    if spec.choices:
        entry["enum"] = list(spec.choices)
    return entry


def _field(
    kind: str, *, read_only: bool = False, nullable: bool = False
) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": TYPES.get(kind, "string")}
    if kind in FORMATS:
        entry["format"] = FORMATS[kind]
    entry.update(
        readOnly=read_only,
        writeOnly=False,
        required=False,
        nullable=nullable,
        mutable=not read_only,
    )
    return entry
