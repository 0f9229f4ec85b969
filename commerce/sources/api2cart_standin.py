"""A small stand-in for API2Cart's unified API, as a WSGI app (tests, demos).

Speaks the same request/response shapes for ``order.list``, ``customer.list`` and
``product.list``: ``x-api-key``/``x-store-key`` headers, ``modified_from``,
``count``, ``sort_by``/``sort_direction``, ``is_deleted``, and cursor pagination
(``page_cursor`` may not be combined with filters). Answers look like
``{"return_code": 0, "return_message": "", "pagination": {"previous": …, "next": …},
"result": {"orders_count": N, "order": [...]}}``. Pages are computed afresh on every
request, as a real store does, so an edit during pagination shifts items between
pages. Fault hooks: ``fail_requests`` (request numbers answered with HTTP 500) and
``on_request`` (called with the request number after each answer).
"""

import base64
import json
from datetime import datetime
from urllib.parse import parse_qs

METHODS = {
    "order.list": ("orders", "order", "orders_count"),
    "customer.list": ("customers", "customer", "customers_count"),
    "product.list": ("products", "product", "products_count"),
}
FILTERS = {"modified_from", "modified_to", "is_deleted", "sort_by", "sort_direction"}
MAX_COUNT = 250


def a2c_time(moment):
    """An A2CDateTime, as API2Cart returns timestamps."""
    return {"value": moment.strftime("%Y-%m-%dT%H:%M:%S%z"), "format": "Y-m-d\\TH:i:sO"}


class Api2CartStandIn:
    """One store behind API2Cart: entities in memory, served like the real API."""

    def __init__(self, *, api_key, store_key):
        self.api_key, self.store_key = api_key, store_key
        self.entities = {"orders": {}, "customers": {}, "products": {}}
        self.requests = []
        self.fail_requests = set()
        self.on_request = None

    def put(self, collection, item, *, modified, deleted=False):
        """Create or replace an item, stamped with its modification time."""
        stored = {**item, "modified_at": a2c_time(modified)}
        stored["_deleted"] = deleted
        self.entities[collection][str(item["id"])] = stored
        return stored

    def __call__(self, environ, start_response):
        number = len(self.requests) + 1
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.requests.append((environ.get("PATH_INFO", ""), query))
        if number in self.fail_requests:
            return self.reply(start_response, {"error": "boom"}, "500 Internal Error")
        body = self.answer(environ, query)
        try:
            return self.reply(start_response, body)
        finally:
            if self.on_request:
                self.on_request(number)

    def reply(self, start_response, body, status="200 OK"):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]

    def answer(self, environ, query):
        if (
            environ.get("HTTP_X_API_KEY") != self.api_key
            or environ.get("HTTP_X_STORE_KEY") != self.store_key
        ):
            return error(2, "Incorrect API Key or store key")
        method = environ.get("PATH_INFO", "").rsplit("/", 1)[-1].removesuffix(".json")
        if method not in METHODS:
            return error(4, f"Method {method} is not supported")
        if "page_cursor" in query:
            if FILTERS & set(query):
                return error(109, "page_cursor can't be used with filters")
            try:
                state = json.loads(base64.urlsafe_b64decode(query["page_cursor"]))
            except ValueError:
                return error(109, "Invalid page_cursor")
            query, offset = state["filters"], state["offset"]
        else:
            offset = 0
        return self.page(method, query, offset)

    def page(self, method, query, offset):
        collection, key, count_key = METHODS[method]
        count = min(int(query.get("count", 10)), MAX_COUNT)
        items = self.matching(collection, query)
        chunk = items[offset : offset + count]
        next_cursor = None
        if offset + count < len(items):
            filters = {k: v for k, v in query.items() if k in FILTERS | {"count"}}
            state = {"filters": filters, "offset": offset + count}
            next_cursor = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        return {
            "return_code": 0,
            "return_message": "",
            "pagination": {"previous": None, "next": next_cursor},
            "result": {
                count_key: len(items),
                key: [
                    {k: v for k, v in item.items() if k != "_deleted"} for item in chunk
                ],
            },
        }

    def matching(self, collection, query):
        deleted = query.get("is_deleted", "false").lower() == "true"
        since = query.get("modified_from")
        since = datetime.fromisoformat(since + "+00:00") if since else None
        items = [
            item
            for item in self.entities[collection].values()
            if item["_deleted"] == deleted
            and (since is None or modified(item) >= since)
        ]
        items.sort(key=lambda item: (modified(item), item["id"]))
        if query.get("sort_direction") == "desc":
            items.reverse()
        return items


def modified(item):
    return datetime.fromisoformat(item["modified_at"]["value"])


def error(code, message):
    return {"return_code": code, "return_message": message, "result": None}
