"""INSERTs for the hot paths, without the ORM's cost per statement.

``row_insert``: the statement ``Model.save()`` would run for a new row, without
building a query object for every row. The webhook's delivery and each planned
posting are inserted once per record, and the ORM's query building cost more CPU
than the statements (issue 7 bench).

``rows_insert``: many rows in one round trip. On PostgreSQL, Django 5.2's
``bulk_create`` sends each column as one array (``UNNEST``), and psycopg builds
array literals element by element in Python: for 200 stored order records that
cost 0.54 ms of CPU per row against 0.08 here (issue 7 bench).

Only for models with an automatic primary key and no save signals or ``save()``
override of their own: these send no signal and call no ``save()``.
"""

from contextlib import nullcontext
from functools import lru_cache

from django.db import connections
from django.db.transaction import atomic


@lru_cache(maxsize=256)  # a few models, a few chunk sizes
def _statement(model, using, unique, rows=1):
    """The fields an INSERT of ``rows`` rows of ``model`` names, and its SQL, for
    database ``using``."""
    meta = model._meta
    quote = connections[using].ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    conflict = (
        f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO NOTHING"
        if unique
        else ""
    )
    # Every name here comes from the model's own metadata, never from input.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns})"  # noqa: S608
        f" VALUES {', '.join([row] * rows)}{conflict} RETURNING {quote(meta.pk.column)}"
    )
    return fields, sql


def _values(fields, obj, connection):
    # pre_save fills auto_now(_add) stamps on ``obj`` as Model.save() would.
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _inserted(obj, pk, using):
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = using


def row_insert(obj, *, unique=(), using="default"):
    """INSERT ``obj`` as a new row and set its primary key; returns True.

    With ``unique`` (the columns of one of the table's unique constraints), a row
    already holding those values is left as it is and False is returned, without
    an error that would spoil the caller's transaction (ON CONFLICT DO NOTHING:
    PostgreSQL, and SQLite since 3.35).
    """
    connection = connections[using]
    fields, sql = _statement(type(obj), using, tuple(unique))
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(fields, obj, connection))
        row = cursor.fetchone()
    if row is None:
        return False
    _inserted(obj, row[0], using)
    return True


def rows_insert(objs, *, using="default"):
    """INSERT ``objs`` (instances of one model) as new rows and set their primary
    keys, in as few round trips as the database allows: all of them or none."""
    if not objs:
        return objs
    connection = connections[using]
    model = type(objs[0])
    fields, one_row = _statement(model, using, ())
    values = [_values(fields, obj, connection) for obj in objs]
    # Inside the caller's transaction an error undoes it all anyway; alone, the
    # statements get one of their own.
    together = nullcontext() if connection.in_atomic_block else atomic(using=using)
    with together:
        if connection.vendor == "postgresql":
            pks = _pipelined(connection, one_row, values)
        else:
            pks = _multi_row(connection, model, using, fields, values)
    for obj, pk in zip(objs, pks, strict=True):
        _inserted(obj, pk, using)
    return objs


def _pipelined(connection, sql, values):
    """PostgreSQL: the one-row statement for every row, in one pipeline (one round
    trip), each returning its id. psycopg parses a statement's placeholders in
    Python and caches only short ones: one VALUES list for a hundred rows was
    parsed anew each time, at a hundred times the cost."""
    with connection.cursor() as cursor:
        logged = (
            cursor.debug_sql(sql, values, many=True)
            if hasattr(cursor, "debug_sql")  # DEBUG, or a test counting queries
            else nullcontext()
        )
        with logged, connection.wrap_database_errors:
            psycopg_cursor = cursor.cursor
            psycopg_cursor.executemany(sql, values, returning=True)
            pks = [psycopg_cursor.fetchone()[0]]
            while psycopg_cursor.nextset():
                pks.append(psycopg_cursor.fetchone()[0])
    return pks


def _multi_row(connection, model, using, fields, values):
    """SQLite: multi-row VALUES statements, as many rows each as its limit on
    parameters allows (both return rows in the order of the VALUES list)."""
    size = max(1, connection.ops.bulk_batch_size(fields, values))
    pks = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            sql = _statement(model, using, (), len(chunk))[1]
            cursor.execute(sql, [value for row in chunk for value in row])
            pks.extend(pk for (pk,) in cursor.fetchall())
    return pks
