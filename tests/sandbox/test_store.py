"""The sandbox store: rows, transactions, tokens, idempotency, counters, threads."""

from __future__ import annotations

import threading

import pytest

from sandbox.filters import matches, sort_rows
from sandbox.store import Store, xml_to_iso


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def test_insert_assigns_recordno_and_timestamps(store):
    row = store.insert("CO", "CUSTOMER", {"CUSTOMERID": "A", "NAME": "a"}, "CUSTOMERID")
    again = store.insert(
        "CO", "CUSTOMER", {"CUSTOMERID": "B", "NAME": "b"}, "CUSTOMERID"
    )
    assert (row["RECORDNO"], again["RECORDNO"]) == (1, 2)
    assert len(row["WHENCREATED"]) == len("01/09/2019 22:01:29")
    assert store.get("CO", "CUSTOMER", 1)["NAME"] == "a"
    assert store.get_by_id("CO", "CUSTOMER", "B")["RECORDNO"] == 2
    assert store.get("OTHER", "CUSTOMER", 1) is None  # companies are isolated


def test_update_replace_delete(store):
    store.insert("CO", "CLASS", {"CLASSID": "X", "NAME": "x"}, "CLASSID")
    store.update("CO", "CLASS", 1, {"NAME": "y"}, "CLASSID")
    assert store.get_by_id("CO", "CLASS", "X")["NAME"] == "y"
    with pytest.raises(KeyError):
        store.update("CO", "CLASS", 99, {"NAME": "z"})
    assert store.delete("CO", "CLASS", 1) is True
    assert store.delete("CO", "CLASS", 1) is False


def test_select_filters_orders_and_pages(store):
    for i in range(25):
        store.insert(
            "CO", "ITEM", {"ITEMID": f"I{i:02d}", "PRICE": str(i % 5)}, "ITEMID"
        )
    rows, total = store.select(
        "CO", "ITEM", ("ge", "PRICE", "3"), [("PRICE", "desc"), ("ITEMID", "asc")], 2, 4
    )
    assert total == 10
    assert [r["ITEMID"] for r in rows] == ["I14", "I19", "I24", "I03"]


def test_transaction_is_all_or_nothing_and_nests(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.insert("CO", "CLASS", {"CLASSID": "A"}, "CLASSID")
        raise RuntimeError
    assert store.count("CO", "CLASS") == 0
    with store.transaction():
        store.insert("CO", "CLASS", {"CLASSID": "B"}, "CLASSID")
        with pytest.raises(ValueError), store.transaction():
            store.insert("CO", "CLASS", {"CLASSID": "C"}, "CLASSID")
            raise ValueError
    assert [r["CLASSID"] for r in store.select("CO", "CLASS")[0]] == ["B"]


def test_tokens_slide_and_expire(store):
    token = store.issue_token("xml_session", "CO", "u", ttl=100, suffix="..")
    assert token.token.endswith("..")
    store.clock.advance(90)
    assert store.lookup_token(token.token, "xml_session") is not None  # slides to +100
    store.clock.advance(90)
    assert store.lookup_token(token.token) is not None
    assert store.lookup_token(token.token, "rest_access") is None  # wrong kind
    store.clock.advance(101)
    assert store.lookup_token(token.token) is None
    other = store.issue_token("rest_access", "CO", "u", ttl=100)
    assert store.expire_tokens() >= 1
    assert store.lookup_token(other.token) is None


def test_idempotency_records_roll_back_and_age(store):
    store.idempotency_put("CO:rest", "k1", body_hash="h", response={"status": 201})
    with pytest.raises(RuntimeError), store.transaction():
        store.idempotency_put("CO:rest", "k2", body_hash="h", response={})
        raise RuntimeError
    assert store.idempotency_get("CO:rest", "k1").response == {"status": 201}
    assert store.idempotency_get("CO:rest", "k2") is None
    store.clock.advance(10)
    assert store.idempotency_get("CO:rest", "k1", max_age=5) is None


def test_concurrent_writers_from_many_threads(tmp_path):
    store = Store(str(tmp_path / "sandbox.sqlite3"))

    def work(n):
        for i in range(50):
            store.insert("CO", "CUSTOMER", {"CUSTOMERID": f"T{n}-{i}"}, "CUSTOMERID")
            store.incr("CO", "writes")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows, total = store.select("CO", "CUSTOMER")
    assert total == 400 == len({r["RECORDNO"] for r in rows})
    assert store.counters()["CO"]["writes"] == 400
    store.close()
    assert Store(str(tmp_path / "sandbox.sqlite3")).count("CO", "CUSTOMER") == 400


def test_filter_semantics():
    row = {
        "NAME": "Acme Ltd",
        "AMOUNT": "10.50",
        "WHEN": "01/09/2019",
        "C": {"EMAIL": "a@b"},
    }
    assert matches(row, ("gt", "AMOUNT", "9"))  # numeric, not lexical
    assert matches(row, ("lt", "WHEN", "2019-02-01"))  # dates in either format
    assert matches(row, ("like", "NAME", "Acme%"))
    assert not matches(row, ("like", "NAME", "acme%"))
    assert matches(row, ("like", "NAME", "acme%"), case_insensitive=True)
    assert matches(row, ("eq", "C.EMAIL", "a@b"))
    assert matches(row, ("isnull", "MISSING", None))
    assert matches(row, ("between", "AMOUNT", ["10", "11"]))
    assert matches(row, ("not", ("in", "NAME", ["x", "y"])))
    rows = sort_rows([{"N": "10"}, {"N": "9"}, {"N": ""}], [("N", "asc")])
    assert [r["N"] for r in rows] == ["", "9", "10"]


def test_xml_to_iso():
    assert xml_to_iso("01/09/2019") == "2019-01-09"
    assert xml_to_iso("01/09/2019 22:01:29") == "2019-01-09T22:01:29Z"


def test_queries_see_writes_rollbacks_and_other_processes(tmp_path):
    """Decoded rows are cached for queries; every write, a rollback and a commit by
    another connection to the same file (another process) keep them true."""
    path = str(tmp_path / "shared.sqlite3")
    mine, theirs = Store(path), Store(path)
    mine.insert("C", "CUSTOMER", {"CUSTOMERID": "A"}, "CUSTOMERID")
    assert [r["CUSTOMERID"] for r in mine.select("C", "CUSTOMER")[0]] == ["A"]

    theirs.insert("C", "CUSTOMER", {"CUSTOMERID": "B"}, "CUSTOMERID")
    assert [r["CUSTOMERID"] for r in mine.select("C", "CUSTOMER")[0]] == ["A", "B"]

    try:
        with mine.transaction():
            mine.insert("C", "CUSTOMER", {"CUSTOMERID": "GONE"}, "CUSTOMERID")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    mine.update("C", "CUSTOMER", 1, {"NAME": "Ann"}, "CUSTOMERID")
    rows, total = mine.select("C", "CUSTOMER")
    assert total == 2 and rows[0]["NAME"] == "Ann"
    rows[0]["NAME"] = "changed by a caller"  # callers get copies
    assert mine.select("C", "CUSTOMER")[0][0]["NAME"] == "Ann"
    mine.delete("C", "CUSTOMER", 2)
    assert mine.select("C", "CUSTOMER")[1] == 1
