"""The sandbox's SQLite store: rows, companies, counters (tokens and idempotency:
store_keys.py).

One connection guarded by a re-entrant lock: simple, safe from any number of
threads, and fast enough (an emulator, not a database server). `:memory:` is
one private database per Store. Nested `transaction()` blocks use SAVEPOINTs,
so an XML `transaction="true"` operation can wrap many functions that are each
atomic on their own.

Rows are plain dicts keyed by Intacct's upper-case XML field names. Nested
structures (DISPLAYCONTACT, line items) are nested dicts/lists, stored as JSON.
Dates are stored in Intacct's XML formats (`mm/dd/yyyy`, timestamps
`mm/dd/yyyy HH:MM:SS`, UTC); `xml_to_iso()` converts for REST.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sandbox import filters
from sandbox.store_keys import TokensAndKeys

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    company TEXT NOT NULL, object TEXT NOT NULL, recordno INTEGER NOT NULL,
    idval TEXT, data TEXT NOT NULL,
    PRIMARY KEY (company, object, recordno)
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_id ON objects (company, object, idval)
    WHERE idval IS NOT NULL;
CREATE TABLE IF NOT EXISTS sequences (
    company TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (company, name)
);
CREATE TABLE IF NOT EXISTS companies (company TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, company TEXT, userid TEXT, entity TEXT,
    data TEXT, ttl REAL NOT NULL, expires REAL NOT NULL, sliding INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    response TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (scope, key)
);
"""


class Clock:
    """Wall clock with an offset, so tests can jump forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, shifted by `advance()`."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move time forward (sessions, tokens and cursors expire accordingly)."""
        self.offset += seconds

    def __call__(self) -> float:
        """Calling the clock is the same as `now()`."""
        return self.now()

    def utcnow(self) -> datetime:
        """Current time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), UTC)


def xml_timestamp(moment: datetime) -> str:
    """Intacct's readByQuery timestamp format: mm/dd/yyyy HH:MM:SS."""
    return moment.strftime("%m/%d/%Y %H:%M:%S")


def xml_to_iso(value: str | None) -> str | None:
    """'01/09/2019' -> '2019-01-09'; '01/09/2019 22:01:29' -> '2019-01-09T22:01:29Z'."""
    if not value:
        return value
    try:
        if len(value) > 10:
            parsed = datetime.strptime(value, "%m/%d/%Y %H:%M:%S")
            return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")
        return datetime.strptime(value, "%m/%d/%Y").strftime("%Y-%m-%d")
    except ValueError:
        return value


class Store(TokensAndKeys):
    """All persistent state of one sandbox. Thread-safe; see module docstring."""

    def __init__(self, path: str = ":memory:", clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or Clock()
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.executescript(SCHEMA)
        # Counters live in memory: they describe this process's traffic and must
        # not be rolled back with a failed transaction (a rejected call still counts).
        self._counters: dict[str, dict[str, int]] = {}
        self._companies: dict[str, dict] = {}
        # Decoded rows per (company, object), {recordno: (row, json text)}, loaded on
        # the first select and kept in step by every write: a query filters these
        # instead of decoding every row of the object again (which made paging and
        # batched look-ups quadratic). Cleared whenever a transaction rolls back.
        self._rows: dict[tuple[str, str], dict[int, tuple[dict, str]]] = {}
        self._data_version = None
        # Bumped by every change to object rows (writes, rollbacks, another process's
        # commit): callers may cache what they derive from rows per generation.
        self._generation = 0

    # --- transactions ---------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing block; nests with savepoints; holds the store lock."""
        with self._lock:
            savepoint = f"sp{self._depth}"
            self._conn.execute(
                "BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {savepoint}"
            )
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {savepoint}")
                    self._conn.execute(f"RELEASE {savepoint}")
                self._companies.clear()  # company rows may have been rolled back
                self._rows.clear()  # and so may object rows
                self._generation += 1
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {savepoint}")

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    # --- object rows ----------------------------------------------------------

    def insert(
        self, company: str, obj: str, fields: dict, id_field: str | None = None
    ) -> dict:
        """Store a new row; assigns RECORDNO, WHENCREATED (if absent), WHENMODIFIED."""
        with self.transaction():
            row = dict(fields)
            row["RECORDNO"] = self.next_number(company, f"RECORDNO:{obj}")
            stamp = xml_timestamp(self.clock.utcnow())
            row.setdefault("WHENCREATED", stamp)
            row["WHENMODIFIED"] = stamp
            idval = _id_value(row, id_field)
            text = json.dumps(row)
            self._execute(
                "INSERT INTO objects (company, object, recordno, idval, data) "
                "VALUES (?,?,?,?,?)",
                (company, obj, row["RECORDNO"], idval, text),
            )
            self._cached(company, obj, row["RECORDNO"], text)
            self._generation += 1
            return row

    def get(self, company: str, obj: str, recordno) -> dict | None:
        """Row by RECORDNO, or None."""
        try:
            recordno = int(recordno)
        except (TypeError, ValueError):
            return None
        cur = self._execute(
            "SELECT data FROM objects WHERE company=? AND object=? AND recordno=?",
            (company, obj, recordno),
        )
        found = cur.fetchone()
        return json.loads(found[0]) if found else None

    def get_by_id(self, company: str, obj: str, idval) -> dict | None:
        """Row by the object's ID field value (CUSTOMERID, ACCOUNTNO…), or None."""
        if idval is None:
            return None
        cur = self._execute(
            "SELECT data FROM objects WHERE company=? AND object=? AND idval=?",
            (company, obj, str(idval)),
        )
        found = cur.fetchone()
        return json.loads(found[0]) if found else None

    def update(
        self,
        company: str,
        obj: str,
        recordno,
        changes: dict,
        id_field: str | None = None,
    ) -> dict:
        """Merge `changes` into the row, bump WHENMODIFIED; KeyError if absent."""
        with self.transaction():
            row = self.get(company, obj, recordno)
            if row is None:
                raise KeyError(recordno)
            row.update(changes)
            row["RECORDNO"] = int(recordno)
            return self.replace(company, obj, row, id_field)

    def replace(
        self, company: str, obj: str, row: dict, id_field: str | None = None
    ) -> dict:
        """Write a whole row back (RECORDNO taken from the row)."""
        row = dict(row)
        row["WHENMODIFIED"] = xml_timestamp(self.clock.utcnow())
        text = json.dumps(row)
        with self._lock:
            cur = self._execute(
                "UPDATE objects SET data=?, idval=? "
                "WHERE company=? AND object=? AND recordno=?",
                (text, _id_value(row, id_field), company, obj, int(row["RECORDNO"])),
            )
            if cur.rowcount:
                self._cached(company, obj, int(row["RECORDNO"]), text)
                self._generation += 1
        return row

    def delete(self, company: str, obj: str, recordno) -> bool:
        """Remove a row; True when something was deleted."""
        with self._lock:
            cur = self._execute(
                "DELETE FROM objects WHERE company=? AND object=? AND recordno=?",
                (company, obj, int(recordno)),
            )
            self._rows.get((company, obj), {}).pop(int(recordno), None)
            self._generation += 1
        return cur.rowcount > 0

    def _cached(self, company: str, obj: str, recordno: int, text: str) -> None:
        """Keep a loaded object's decoded rows in step with a write."""
        rows = self._rows.get((company, obj))
        if rows is not None:
            rows[int(recordno)] = (json.loads(text), text)

    @property
    def generation(self) -> int:
        """Changes whenever any object row may have changed (see ``_generation``)."""
        with self._lock:
            self._check_data_version()
            return self._generation

    def _check_data_version(self) -> None:
        # Another process sharing the file (a command seeding a company while the
        # server runs) bumps data_version when it commits: start afresh.
        version = self._execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._rows.clear()
            self._data_version = version
            self._generation += 1

    def _all_rows(self, company: str, obj: str) -> list[tuple[dict, str]]:
        """Every row of one object, decoded once, in RECORDNO order."""
        with self._lock:
            self._check_data_version()
            rows = self._rows.get((company, obj))
            if rows is None:
                cur = self._execute(
                    "SELECT recordno, data FROM objects "
                    "WHERE company=? AND object=? ORDER BY recordno",
                    (company, obj),
                )
                rows = {n: (json.loads(text), text) for n, text in cur.fetchall()}
                self._rows[(company, obj)] = rows
            return [rows[n] for n in sorted(rows)]

    def select(
        self,
        company: str,
        obj: str,
        where=None,
        order: list[tuple[str, str]] | None = None,
        offset: int = 0,
        limit: int | None = None,
        case_insensitive: bool = False,
    ) -> tuple[list[dict], int]:
        """Rows matching `where` (filter tree or callable), ordered, paged; + total."""
        pairs = self._all_rows(company, obj)
        if callable(where):
            pairs = [(r, t) for r, t in pairs if where(r)]
        elif where is not None:
            pairs = [
                (r, t) for r, t in pairs if filters.matches(r, where, case_insensitive)
            ]
        total = len(pairs)
        end = None if limit is None else offset + limit
        if not order:
            # Callers own what they get: fresh copies, never the cached rows.
            return [json.loads(t) for _, t in pairs[offset:end]], total
        rows = [json.loads(t) for _, t in pairs]
        filters.sort_rows(rows, order, case_insensitive)
        return rows[offset:end], total

    def count(self, company: str, obj: str) -> int:
        """Number of rows of one object in one company."""
        cur = self._execute(
            "SELECT COUNT(*) FROM objects WHERE company=? AND object=?", (company, obj)
        )
        return cur.fetchone()[0]

    def counts(self) -> dict[str, dict[str, int]]:
        """{company: {OBJECT: n}} for every company that has rows or exists."""
        result: dict[str, dict[str, int]] = {c: {} for c in self.company_ids()}
        cur = self._execute(
            "SELECT company, object, COUNT(*) FROM objects GROUP BY 1, 2"
        )
        for company, obj, n in cur.fetchall():
            result.setdefault(company, {})[obj] = n
        return result

    def next_number(self, company: str, name: str) -> int:
        """Next value of a named per-company sequence (RECORDNO, BATCHNO, DOCNO…)."""
        with self.transaction():
            self._execute(
                "INSERT INTO sequences (company, name, value) VALUES (?,?,1) "
                "ON CONFLICT (company, name) DO UPDATE SET value = value + 1",
                (company, name),
            )
            cur = self._execute(
                "SELECT value FROM sequences WHERE company=? AND name=?",
                (company, name),
            )
            return cur.fetchone()[0]

    # --- companies ------------------------------------------------------------

    def company_put(self, company_id: str, config: dict) -> None:
        """Create or replace a company's configuration (a JSON-able dict)."""
        self._execute(
            "INSERT OR REPLACE INTO companies (company, data) VALUES (?,?)",
            (company_id, json.dumps(config)),
        )
        self._companies[company_id] = json.loads(json.dumps(config))

    def company_get(self, company_id: str) -> dict | None:
        """A company's configuration dict, or None (cached; treat as read-only)."""
        with self._lock:
            # A file database may be shared by several processes: always re-read it.
            if company_id not in self._companies or self.path != ":memory:":
                cur = self._execute(
                    "SELECT data FROM companies WHERE company=?", (company_id,)
                )
                found = cur.fetchone()
                if found is None:
                    return None
                self._companies[company_id] = json.loads(found[0])
            return self._companies[company_id]

    def company_ids(self) -> list[str]:
        """Every company id, sorted."""
        cur = self._execute("SELECT company FROM companies ORDER BY company")
        return [c for (c,) in cur.fetchall()]

    def company_drop(self, company_id: str) -> None:
        """Forget a company and everything stored for it."""
        with self.transaction():
            for table in ("objects", "sequences", "companies"):
                self._execute(f"DELETE FROM {table} WHERE company=?", (company_id,))  # noqa: S608
            self._execute("DELETE FROM tokens WHERE company=?", (company_id,))
            self._execute(
                "DELETE FROM idempotency WHERE scope LIKE ?", (f"{company_id}:%",)
            )
            self._companies.pop(company_id, None)
            self._rows = {k: v for k, v in self._rows.items() if k[0] != company_id}
            self._generation += 1

    # --- counters -----------------------------------------------------------------

    def incr(self, scope: str, name: str, n: int = 1) -> None:
        """Add `n` to counter scope/name (in memory, never rolled back)."""
        with self._lock:
            bucket = self._counters.setdefault(scope, {})
            bucket[name] = bucket.get(name, 0) + n

    def counters(self) -> dict[str, dict[str, int]]:
        """A copy of every counter: {scope: {name: n}}."""
        with self._lock:
            return {scope: dict(values) for scope, values in self._counters.items()}

    def reset_counters(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._counters.clear()

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._conn.close()


def _id_value(row: dict, id_field: str | None) -> str | None:
    if not id_field:
        return None
    value = row.get(id_field)
    return None if value in (None, "") else str(value)


Where = Callable[[dict], bool] | tuple | None
