"""The read path's fixed-shape statements, sent through the cursor.

The targets list reads its page through the ORM (so filters compose), then
the page's destinations; a single target is read joined to its outdial and
destinations. Those two statements have one shape whatever the request, and
through the ORM building and compiling them was the largest cost left on
those endpoints: for a page, preparing 100 UUID parameters for ``IN`` and
converting 200 owner ids back took 0.6 ms of 4.8; for one target, 0.3 ms of
1.5 (``make bench``, cProfile). Through the cursor each costs a tenth of that.

The statements are built once from the models' metadata and ``wire``'s field
lists. Ids come back in the database's own form (hex text on SQLite, uuid on
PostgreSQL): owners are matched in that form, answered ids converted once.
"""

import functools
import uuid
from collections import namedtuple

from django.db import connection

from ..models import DESTINATION_SLOTS, Destination, Outdial, OutdialTarget
from .wire import SLOT_FIELDS, TARGET_FIELDS

# A target's row: TARGET_FIELDS, then its outdial (what wire.target reads).
TargetRow = namedtuple("TargetRow", [*TARGET_FIELDS, "outdial_id"])


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
    return {
        "slots": f"SELECT {', '.join(slot_columns)} FROM {destinations} d"
        f" WHERE {slot_columns[0]} IN ",
        # Tenancy as in lookups.target_query: the target, in that outdial, of
        # the caller's customer; deleted ones too (a GET by id answers them).
        "target": f"SELECT {', '.join(target_columns + slot_columns[1:])}"
        f" FROM {targets} t JOIN {outdials} o ON o.id = t.outdial_id"
        f" LEFT JOIN {destinations} d ON {slot_columns[0]} = t.id"
        " WHERE t.id = %s AND t.outdial_id = %s AND o.customer_id = %s",
    }


def _key(value: uuid.UUID):
    """An id as the database takes it (every id here is a UUID field)."""
    return OutdialTarget._meta.pk.get_db_prep_value(value, connection)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def destination_slots(target_ids: list[uuid.UUID]) -> list[list]:
    """For each id in ``target_ids``, in order, its five slots: ``(type,
    target, target_name, name, detail, try_count)`` or ``None``."""
    if not target_ids:
        return []
    position = {_key(pk): n for n, pk in enumerate(target_ids)}
    slots = [[None] * len(DESTINATION_SLOTS) for _ in target_ids]
    marks = ", ".join(["%s"] * len(position))
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
            [_key(target_id), _key(outdial_id), _key(customer_id)],
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
