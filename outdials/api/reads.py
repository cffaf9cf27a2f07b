"""The read path's fixed-shape statements, sent through the cursor.

A dialer polls the targets list without filters all day: that page, its
destinations, and a single target joined to its outdial and destinations
have one shape whatever the request. Through the ORM, building and compiling
them (and converting what comes back) was the largest cost left on those
endpoints: for a page, 100 UUID parameters for ``IN`` and 200 owner ids back
took 0.6 ms of 4.8, the page query 0.7 ms more; for one target, 0.3 ms of
1.5 (``make bench``, cProfile). Through the cursor each costs a tenth of that.
A filtered list still reads its page as a queryset, so filters compose.

The statements are built once from the models' metadata and ``wire``'s field
lists. Ids come back in the database's own form (hex text on SQLite, uuid on
PostgreSQL): owners are matched in that form, answered ids converted once.
"""

import functools
import uuid
from collections import namedtuple

from django.db import connection

from ..models import DESTINATION_SLOTS, Destination, Outdial, OutdialTarget
from ..rawsql import db_id, placeholders
from .wire import SLOT_FIELDS, TARGET_FIELDS

# A target's row: TARGET_FIELDS, then its outdial (what wire.target reads).
TargetRow = namedtuple("TargetRow", [*TARGET_FIELDS, "outdial_id"])
PageRow = namedtuple("PageRow", TARGET_FIELDS)


def _columns(model, names, alias: str) -> list[str]:
    quote = connection.ops.quote_name
    fields = [model._meta.pk if n == "pk" else model._meta.get_field(n) for n in names]
    return [f"{alias}.{quote(field.column)}" for field in fields]


@functools.cache
def _statements() -> dict[str, str]:
    quote = connection.ops.quote_name
    targets = quote(OutdialTarget._meta.db_table)
    outdials = quote(Outdial._meta.db_table)
    destinations = quote(Destination._meta.db_table)
    slot_columns = _columns(Destination, SLOT_FIELDS, "d")
    target_columns = _columns(OutdialTarget, [*TARGET_FIELDS, "outdial"], "t")
    page_columns = _columns(OutdialTarget, TARGET_FIELDS, "t")
    return {
        # lookups.outdial_of checked the outdial first; pagination's keyset.
        "page": f"SELECT {', '.join(page_columns)} FROM {targets} t"
        " WHERE t.outdial_id = %s AND t.tm_delete IS NULL{after}"
        " ORDER BY t.tm_create DESC, t.id DESC LIMIT %s",
        "slots": f"SELECT {', '.join(slot_columns)} FROM {destinations} d"
        f" WHERE {slot_columns[0]} IN ",
        # Tenancy as in lookups.target_query: the target, in that outdial, of
        # the caller's customer; deleted ones too (a GET by id answers them).
        "target": f"SELECT {', '.join(target_columns + slot_columns[1:])}"
        f" FROM {targets} t JOIN {outdials} o ON o.id = t.outdial_id"
        f" LEFT JOIN {destinations} d ON {slot_columns[0]} = t.id"
        " WHERE t.id = %s AND t.outdial_id = %s AND o.customer_id = %s",
    }


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def destination_slots(target_ids: list[uuid.UUID]) -> list[list]:
    """For each id in ``target_ids``, in order, its five slots: ``(type,
    target, target_name, name, detail, try_count)`` or ``None``."""
    if not target_ids:
        return []
    position = {db_id(pk): n for n, pk in enumerate(target_ids)}
    slots = [[None] * len(DESTINATION_SLOTS) for _ in target_ids]
    marks = placeholders(len(position))
    with connection.cursor() as cursor:
        cursor.execute(f"{_statements()['slots']}({marks})", list(position))
        for owner, index, *address_and_tries in cursor.fetchall():
            slots[position[owner]][index] = address_and_tries
    return slots


def target_with_slots(customer_id, outdial_id: uuid.UUID, target_id: uuid.UUID):
    """The customer's target ``target_id`` in outdial ``outdial_id`` as a
    ``TargetRow`` and its five slots, or ``None`` if it is not theirs."""
    with connection.cursor() as cursor:
        cursor.execute(
            _statements()["target"],
            [db_id(target_id), db_id(outdial_id), db_id(customer_id)],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    width = len(TargetRow._fields)
    head = rows[0][:width]
    target = TargetRow(_uuid(head[0]), *head[1:-1], _uuid(head[-1]))
    slots = [None] * len(DESTINATION_SLOTS)
    for row in rows:
        if row[width] is not None:
            slots[row[width]] = list(row[width + 1 :])
    return target, slots


def live_targets(outdial_id: uuid.UUID, after: tuple | None, limit: int) -> list:
    """The outdial's live targets newest first, after ``after`` (a parsed page
    token: ``(tm_create, id or None)``), at most ``limit``, as ``PageRow``s."""
    params = [db_id(outdial_id)]
    condition = ""
    if after is not None:
        tm_create, pk = after
        params.append(connection.ops.adapt_datetimefield_value(tm_create))
        if pk is None:
            condition = " AND t.tm_create < %s"
        else:
            # A row value, like pagination.KeysetBound: the index seeks to it.
            condition = " AND (t.tm_create, t.id) < (%s, %s)"
            params.append(db_id(pk))
    with connection.cursor() as cursor:
        cursor.execute(_statements()["page"].format(after=condition), [*params, limit])
        rows = cursor.fetchall()
    return [PageRow(_uuid(row[0]), *row[1:]) for row in rows]
