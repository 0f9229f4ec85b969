"""One-row INSERTs for the hot paths: the statement ``Model.save()`` would run for a
new row, without building a query object for every row.

The webhook's delivery and each planned posting are inserted once per record; the
ORM's query building cost more CPU than the statements (issue 7 bench). Only for
models with an automatic primary key and no save signals or ``save()`` override of
their own: this sends no signal and calls no ``save()``.
"""

from functools import cache

from django.db import connections


@cache
def _statement(model, using, unique):
    """The fields an INSERT of ``model`` names, and its SQL, for database ``using``."""
    meta = model._meta
    quote = connections[using].ops.quote_name
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    conflict = (
        f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO NOTHING"
        if unique
        else ""
    )
    # Every name here comes from the model's own metadata, never from input.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        f"{conflict} RETURNING {quote(meta.pk.column)}"
    )
    return fields, sql


def row_insert(obj, *, unique=(), using="default"):
    """INSERT ``obj`` as a new row and set its primary key; returns True.

    With ``unique`` (the columns of one of the table's unique constraints), a row
    already holding those values is left as it is and False is returned, without
    an error that would spoil the caller's transaction (ON CONFLICT DO NOTHING:
    PostgreSQL, and SQLite since 3.35).
    """
    connection = connections[using]
    fields, sql = _statement(type(obj), using, tuple(unique))
    # pre_save fills auto_now(_add) stamps on ``obj`` as Model.save() would.
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True
