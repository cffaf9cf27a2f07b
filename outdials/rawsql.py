"""Parameters for the hand-written statements of the hot paths (claims, the
read path): values in the form the database driver takes, as the ORM would
send them."""

import re
import uuid
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

_UUID = models.UUIDField()


def db_id(value: uuid.UUID):
    """A UUID key as the database takes it (hex text on SQLite, uuid on
    PostgreSQL); every model here keys on UUID fields alike."""
    return _UUID.get_db_prep_value(value, connection)


def db_ids(values) -> list:
    """``db_id`` of each value, the connection asked once (a page's keys)."""
    if connection.features.has_native_uuid_field:
        return [
            value if isinstance(value, uuid.UUID) else db_id(value) for value in values
        ]
    return [
        value.hex
        if isinstance(value, uuid.UUID)
        else value.replace("-", "")
        if isinstance(value, str) and _UUID_TEXT.fullmatch(value)
        else db_id(value)
        for value in values
    ]


# A UUID's own text (a listed row's id on SQLite): its hex is the text less
# its dashes, no UUID made for it.
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an ``IN (…)`` of ``count`` values."""
    return ", ".join(["%s"] * count)


def rows(
    sql: str,
    params: list,
    driver_sql: str | None = None,
    db=None,
    *,
    native: tuple[str, list] | None = None,
    prepare: bool | None = None,
    planned_with_values: bool = False,
) -> list:
    """Run a hot path's statement and answer its rows. ``driver_sql``: the
    same statement as the driver takes it (SQLite's ``?``), when it differs.
    ``native``: on PostgreSQL, the statement in its own ``$n`` placeholders
    and their values, for a statement too long for psycopg to keep its
    reading of the placeholders (over 4 KB: the claim statement, whose
    reading took a third of a claim's Python time). ``prepare``: prepared
    on its first run on a connection, not its fifth (a statement whose
    planning costs more than several runs of it). ``planned_with_values``:
    see ``_driver_cursor``.

    Through the driver's own cursor, as Django's wrapper would reach it
    (after the same health check, with the same error translation): the
    wrapper's bookkeeping and SQLite's placeholder rewrite cost a credential
    lookup as much as running it. When queries are counted (a test, or
    DEBUG), through Django's cursor."""
    db = db or connections[DEFAULT_DB_ALIAS]
    if db.queries_logged:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    native = native if db.vendor == "postgresql" else None
    with db.wrap_database_errors:
        cursor = _driver_cursor(db, native is not None, planned_with_values)
        try:
            if native:
                cursor.execute(*native, prepare=prepare)
            elif db.vendor == "postgresql":
                cursor.execute(driver_sql or sql, params, prepare=prepare)
            else:
                cursor.execute(driver_sql or sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()


def _driver_cursor(db, native: bool = False, planned_with_values: bool = False):
    """A cursor of the driver's own connection. On PostgreSQL psycopg's
    server-side binding cursor (Django's binds on the client, which psycopg
    never prepares): a statement run ``prepare_threshold`` times on a
    connection (settings) is prepared on the server, which then skips
    parsing and planning it, as a driver-only app does. The claim
    statement's planning took 9 ms of its 11. ``native``: the cursor that
    takes ``$n`` placeholders and reads none.

    Such a statement keeps one generic plan (``plan_cache_mode`` in the
    settings), made without its values, and so does one bound on the server
    and not prepared. That plan is wrong for a statement whose best plan
    depends on them: a keyset page of one list among many small ones is
    planned for the average list (about ten rows: read them, sort them), and
    the first page of a 20,000-target list then read and sorted all 20,000
    (41 ms, against 0.4 ms through the list's index). ``planned_with_values``
    binds on the client, as Django does: the server plans each call with its
    values (and nothing is prepared)."""
    if db.vendor == "postgresql":
        import psycopg

        if native:
            return psycopg.RawCursor(db.connection)
        if planned_with_values:
            return psycopg.ClientCursor(db.connection)
        return psycopg.Cursor(db.connection)
    return db.connection.cursor()
