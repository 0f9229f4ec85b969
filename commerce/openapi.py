"""The OpenAPI 3.1 document of the ingest API, built around the normalized schemas.

The record schemas are the very files the hub validates with (schemas/v1), so the
document cannot drift from what the API enforces.
"""

from functools import cache

from .schema import load_schema

KIND_SCHEMAS = {
    "Customer": "customer",
    "Order": "order",
    "Refund": "refund",
    "Product": "product",
    "InventoryAdjustment": "inventory_adjustment",
    "Tombstone": "tombstone",
}


def rewrite_refs(node, *, local_prefix):
    """Point file-relative $refs at components; drop per-file $id/$schema."""
    if isinstance(node, list):
        return [rewrite_refs(item, local_prefix=local_prefix) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key in ("$id", "$schema"):
            continue
        if key == "$ref" and value.startswith("common.json#/$defs/"):
            value = "#/components/schemas/common." + value.rsplit("/", 1)[1]
        elif key == "$ref" and value.startswith("#/$defs/"):
            value = f"#/components/schemas/{local_prefix}" + value.rsplit("/", 1)[1]
        result[key] = rewrite_refs(value, local_prefix=local_prefix)
    return result


def component_schemas():
    schemas = {}
    common = load_schema("common")
    for name, definition in common["$defs"].items():
        schemas[f"common.{name}"] = rewrite_refs(definition, local_prefix="common.")
    for component, file_name in KIND_SCHEMAS.items():
        schemas[component] = rewrite_refs(load_schema(file_name), local_prefix="")
    schemas.update(API_SCHEMAS)
    return schemas


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


API_SCHEMAS = {
    "RecordEnvelope": {
        "type": "object",
        "description": "One record. data is validated against the schema of its kind "
        "(Customer, Order, Refund, Product, InventoryAdjustment), or Tombstone when "
        "deleted is true. data.id may be left out; it defaults to external_id.",
        "additionalProperties": False,
        "required": ["kind", "external_id", "data"],
        "properties": {
            "kind": {
                "enum": [
                    "customer",
                    "order",
                    "refund",
                    "product",
                    "inventory_adjustment",
                ]
            },
            "external_id": {"type": "string", "minLength": 1, "maxLength": 255},
            "deleted": {"type": "boolean", "default": False},
            "data": {"type": "object"},
        },
    },
    "Batch": {
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "items": ref("RecordEnvelope"),
            }
        },
    },
    "IngestResult": {
        "type": "object",
        "additionalProperties": False,
        "required": ["source", "received", "created", "unchanged", "stale", "records"],
        "properties": {
            "source": {"type": "string"},
            "received": {"type": "integer", "minimum": 1},
            "created": {"type": "integer", "minimum": 0},
            "unchanged": {"type": "integer", "minimum": 0},
            "stale": {"type": "integer", "minimum": 0},
            "records": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "external_id", "outcome", "version"],
                    "properties": {
                        "kind": {"type": "string"},
                        "external_id": {"type": "string"},
                        "outcome": {
                            "enum": ["created", "unchanged", "stale"],
                            "description": "created: a new version was stored; "
                            "unchanged: identical content is already stored; stale: "
                            "the source timestamp is older than the stored version's.",
                        },
                        "version": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
    "Error": {
        "type": "object",
        "additionalProperties": False,
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "limit": {"type": "integer"},
                    "records": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["index", "errors"],
                            "properties": {
                                "index": {"type": "integer"},
                                "kind": {"type": ["string", "null"]},
                                "external_id": {"type": ["string", "null"]},
                                "errors": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "additionalProperties": False,
                                        "required": ["field", "message"],
                                        "properties": {
                                            "field": {"type": "string"},
                                            "message": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            }
        },
    },
    "RecordState": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "source",
            "kind",
            "external_id",
            "latest_version",
            "versions",
            "is_tombstone",
            "received_at",
            "postings",
            "intacct",
            "open_failures",
        ],
        "properties": {
            "source": {"type": "string"},
            "kind": {"type": "string"},
            "external_id": {"type": "string"},
            "latest_version": {"type": "integer"},
            "versions": {"type": "integer"},
            "is_tombstone": {"type": "boolean"},
            "received_at": {"type": "string", "format": "date-time"},
            "postings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "version", "action", "status", "connection"],
                    "properties": {
                        "id": {"type": "integer"},
                        "version": {"type": "integer"},
                        "connection": {"type": "string"},
                        "action": {"type": "string"},
                        "status": {"type": "string"},
                        "intacct_key": {"type": "string"},
                        "skip_reason": {"type": "string"},
                        "updated_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "intacct": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["connection", "object", "key"],
                    "properties": {
                        "connection": {"type": "string"},
                        "object": {"type": "string"},
                        "key": {"type": "string"},
                        "id": {"type": "string"},
                        "linked": {"type": "boolean"},
                    },
                },
            },
            "open_failures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["posting", "category", "message", "created_at"],
                    "properties": {
                        "posting": {"type": "integer"},
                        "category": {"type": "string"},
                        "message": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    },
}


def error_responses(*codes):
    reasons = {
        400: "Malformed JSON, invalid UTF-8 or a bad header",
        401: "Missing or wrong bearer token",
        404: "No such record",
        413: "Body larger than the configured limit",
        415: "Content-Type is not application/json",
        422: "Invalid records (each bad record and field is named); nothing stored",
        429: "Too many requests for this token this minute (see Retry-After)",
    }
    return {
        str(code): {
            "description": reasons[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for code in codes
    }


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


@cache
def openapi_document():
    """The whole document (cached: it is built from files that do not change)."""
    result = {"application/json": {"schema": ref("IngestResult")}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Intacct Hub ingest API",
            "version": "1.0.0",
            "description": "Push commerce records into the hub in the normalized "
            "schema (v1). See docs/ingest-api.md and docs/normalized-schema.md.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/sources/{slug}/records/": {
                "post": {
                    "operationId": "records_create",
                    "summary": "Store one record or a batch (all-or-nothing)",
                    "parameters": [
                        SLUG,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 255},
                            "description": "Same key and body: the first answer is "
                            "replayed (Idempotent-Replayed: true). Same key, other "
                            "body: 422.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [ref("RecordEnvelope"), ref("Batch")]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "Nothing new", "content": result},
                        "201": {"description": "New versions", "content": result},
                        **error_responses(400, 401, 413, 415, 422, 429),
                    },
                }
            },
            "/api/v1/sources/{slug}/records/{kind}/{external_id}/": {
                "get": {
                    "operationId": "record_state",
                    "summary": "Sync state of one record",
                    "parameters": [
                        SLUG,
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "external_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The record's state",
                            "content": {
                                "application/json": {"schema": ref("RecordState")}
                            },
                        },
                        **error_responses(401, 404),
                    },
                }
            },
        },
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The source's API token (manage.py source_create).",
                }
            },
        },
    }
