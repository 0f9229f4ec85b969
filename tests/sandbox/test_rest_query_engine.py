"""The query service's filter, expression, ordering and paging logic.

These run over REST-shaped customer objects directly, so every operator is pinned
down without the store; the HTTP tests cover the same service end to end.
"""

import datetime as dt

import pytest

from sandbox.rest.errors import RestError
from sandbox.rest.filters import compile_filters, date_macro
from sandbox.rest.objects import CUSTOMER
from sandbox.rest.query import run_query

PEOPLE = [
    {
        "key": "1",
        "id": "C-001",
        "name": "Acme Tools",
        "status": "active",
        "creditLimit": 500,
        "totalDue": "1000.50",
        "isOnHold": False,
        "contacts": {"default": {"email1": "ops@acme.example"}},
    },
    {
        "key": "2",
        "id": "C-002",
        "name": "acme labs",
        "status": "inactive",
        "creditLimit": 2000,
        "totalDue": "99.99",
        "isOnHold": True,
    },
    {
        "key": "10",
        "id": "C-010",
        "name": "Zeta & Sons <ltd>",
        "status": "active",
        "creditLimit": 90,
        "totalDue": "0.00",
        "isOnHold": False,
    },
    {
        "key": "11",
        "id": "C-011",
        "name": "Ωmega 😀",
        "status": "active",
        "totalDue": "250",
        "isOnHold": False,
    },
]


def ids(body, *, expression=None, **params):
    response = run_query(
        {
            "object": "accounts-receivable/customer",
            "fields": ["id"],
            "filters": body,
            "filterExpression": expression,
            "filterParameters": params,
            "size": 100,
        },
        CUSTOMER,
        PEOPLE,
    )
    return [row["id"] for row in response["ia::result"]]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"$eq": {"status": "inactive"}}, ["C-002"]),
        ({"$ne": {"status": "inactive"}}, ["C-001", "C-010", "C-011"]),
        ({"$lt": {"totalDue": "100"}}, ["C-002", "C-010"]),
        ({"$lte": {"totalDue": 99.99}}, ["C-002", "C-010"]),
        ({"$gt": {"totalDue": "250"}}, ["C-001"]),
        ({"$gte": {"totalDue": "250"}}, ["C-001", "C-011"]),
        ({"$gt": {"creditLimit": 100}}, ["C-001", "C-002"]),
        ({"$in": {"id": ["C-001", "C-011", "nope"]}}, ["C-001", "C-011"]),
        ({"$notIn": {"id": ["C-001", "C-011"]}}, ["C-002", "C-010"]),
        ({"$between": {"totalDue": ["50", "260"]}}, ["C-002", "C-011"]),
        ({"$notBetween": {"totalDue": ["50", "260"]}}, ["C-001", "C-010"]),
        ({"$contains": {"name": "acme"}}, ["C-002"]),
        ({"$notContains": {"name": "acme"}}, ["C-001", "C-010", "C-011"]),
        ({"$startsWith": {"name": "Zeta &"}}, ["C-010"]),
        ({"$notStartsWith": {"name": "Zeta"}}, ["C-001", "C-002", "C-011"]),
        ({"$endsWith": {"name": "😀"}}, ["C-011"]),
        ({"$notEndsWith": {"name": "<ltd>"}}, ["C-001", "C-002", "C-011"]),
        ({"$eq": {"isOnHold": True}}, ["C-002"]),
        ({"$eq": {"contacts.default.email1": "ops@acme.example"}}, ["C-001"]),
        ({"$eq": {"creditLimit": None}}, ["C-011"]),
    ],
)
def test_it_applies_each_operator(condition, expected):
    assert ids([condition]) == expected


def test_it_compares_case_insensitively_when_asked():
    assert ids([{"$contains": {"name": "ACME"}}], caseSensitiveComparison=False) == [
        "C-001",
        "C-002",
    ]
    assert ids([{"$contains": {"name": "ACME"}}]) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (None, []),
        ("and", []),
        ("or", ["C-001", "C-010", "C-011"]),
        ("1 and 2", ["C-010"]),
        ("1 and (2 or 3)", ["C-001", "C-010"]),
        ("(1 AND 3) OR 2", ["C-001", "C-010"]),
        ("1 or 2 and 3", ["C-001", "C-010", "C-011"]),  # and binds tighter
    ],
)
def test_it_combines_filters_by_expression(expression, expected):
    filters = [
        {"$eq": {"status": "active"}},
        {"$lt": {"creditLimit": 100}},
        {"$startsWith": {"name": "A"}},
    ]
    assert ids(filters, expression=expression) == expected


@pytest.mark.parametrize("expression", ["1 and", "(1 or 2", "4", "1 xor 2", "1 2", ")"])
def test_it_refuses_a_bad_expression(expression):
    with pytest.raises(RestError) as caught:
        ids(
            [{"$eq": {"status": "active"}}, {"$eq": {"id": "C-001"}}],
            expression=expression,
        )
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "filters",
    [
        [{"$like": {"name": "x"}}],
        [{"$eq": {"nope": "x"}}],
        [{"$eq": {"name": "x"}, "$ne": {"name": "y"}}],
        [{"$in": {"id": "C-001"}}],
        [{"$between": {"totalDue": ["1"]}}],
        "not a list",
    ],
)
def test_it_refuses_bad_filters(filters):
    with pytest.raises(RestError) as caught:
        ids(filters)
    assert caught.value.status == 400


def test_it_orders_numbers_as_numbers_and_pages_with_next_and_previous():
    query = {
        "object": "accounts-receivable/customer",
        "fields": ["key", "name"],
        "orderBy": [{"key": "desc"}],
        "start": 1,
        "size": 3,
    }
    first = run_query(query, CUSTOMER, PEOPLE)
    assert [r["key"] for r in first["ia::result"]] == ["11", "10", "2"]
    assert first["ia::meta"] == {
        "totalCount": 4,
        "start": 1,
        "pageSize": 3,
        "next": 4,
        "previous": None,
    }
    last = run_query({**query, "start": 4}, CUSTOMER, PEOPLE)
    assert [r["key"] for r in last["ia::result"]] == ["1"]
    assert last["ia::meta"]["next"] is None
    assert last["ia::meta"]["previous"] == 1


def test_it_returns_flat_dotted_fields_and_null_for_missing_values():
    response = run_query(
        {
            "object": "accounts-receivable/customer",
            "fields": ["id", "contacts.default.email1"],
            "size": 2,
        },
        CUSTOMER,
        PEOPLE,
    )
    assert response["ia::result"] == [
        {"id": "C-001", "contacts.default.email1": "ops@acme.example"},
        {"id": "C-002", "contacts.default.email1": None},
    ]


def test_it_aggregates_by_the_plain_fields():
    response = run_query(
        {
            "object": "accounts-receivable/customer",
            "fields": ["status", "count:id", "sum:totalDue"],
            "orderBy": [{"status": "asc"}],
        },
        CUSTOMER,
        PEOPLE,
    )
    assert response["ia::result"] == [
        {"status": "active", "count:id": 3, "sum:totalDue": "1250.50"},
        {"status": "inactive", "count:id": 1, "sum:totalDue": "99.99"},
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"fields": []},
        {"fields": ["*"]},
        {"fields": ["nope"]},
        {"size": 4001},
        {"start": 0},
        {"orderBy": [{"id": "up"}]},
        {"unexpected": 1},
    ],
)
def test_it_refuses_bad_query_bodies(change):
    body = {"object": "accounts-receivable/customer", "fields": ["id"], **change}
    with pytest.raises(RestError) as caught:
        run_query(body, CUSTOMER, PEOPLE)
    assert caught.value.status == 400


def test_date_macros_are_ranges():
    today = dt.date(2024, 5, 15)
    assert date_macro("priorMonth", today) == (
        dt.date(2024, 4, 1),
        dt.date(2024, 4, 30),
    )
    assert date_macro("currentQuarter", today) == (
        dt.date(2024, 4, 1),
        dt.date(2024, 6, 30),
    )
    assert date_macro("priorYear", today) == (
        dt.date(2023, 1, 1),
        dt.date(2023, 12, 31),
    )
    rows = [{"postingDate": "2024-04-30"}, {"postingDate": "2024-05-01"}]
    kinds = {"postingDate": "date"}
    in_prior = compile_filters(
        [{"$eq": {"postingDate": "priorMonth"}}], None, kinds, as_of=today
    )
    assert [in_prior(r) for r in rows] == [True, False]
    before = compile_filters(
        [{"$lt": {"postingDate": "currentMonth"}}], None, kinds, as_of=today
    )
    assert [before(r) for r in rows] == [True, False]
