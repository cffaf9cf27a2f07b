"""The one home of the read rules: lookups by owner, and the hot read shapes.

Every rule is the models' QuerySet methods (``live()``, ``owned_by()``,
``usable()``, ``overdue()``, ``newest_first()`` and the keyset of
``paging.py``); the API, the staff pages, the admin, the commands and the
benchmark floor read through them.

A few shapes run on every request all day: the caller's credential, a
dialer's unfiltered poll of the targets list (its page and the page's
destinations) and one target by id. Building and compiling those querysets
(and converting what comes back) cost several times the statements
themselves: for one target, 0.3 ms of 1.5; for a page, 1.3 ms of 4.8; for a
credential 0.27 ms (SQLite) to 0.4 ms (PostgreSQL) against 0.03 ms to run it
(``make bench``, cProfile). So each shape is its queryset compiled once per
process with example values (:class:`Compiled`); a call sends the cached SQL
through the cursor with its own values in the examples' places. The rule is
still written once, in the queryset: the SQL is what Django makes of it.

Rows come back as the driver gives them: ids in the database's own form (hex
text on SQLite, uuid on PostgreSQL) are converted where the answer needs them.
"""

import functools
import uuid
from collections import namedtuple
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from . import paging, rawsql
from .models import (
    DESTINATION_SLOTS,
    AccessKey,
    Attempt,
    Destination,
    Outdial,
    OutdialTarget,
    User,
)
from .rawsql import db_id, db_ids, db_time

# What a target's answer reads: lists fetch just these (not outdial_id: every
# row of a list shares it), and each destination's SLOT_FIELDS: its target,
# its slot, then what a slot holds.
TARGET_FIELDS = (
    "pk",
    "name",
    "detail",
    "data",
    "status",
    "tm_create",
    "tm_update",
    "tm_delete",
)
SLOT_FIELDS = (
    "outdial_target_id",
    "index",
    "type",
    "target",
    "target_name",
    "name",
    "detail",
    "try_count",
)
OUTDIAL_FIELDS = (
    "pk",
    "customer_id",
    "campaign_id",
    "name",
    "detail",
    "data",
    "tm_create",
    "tm_update",
    "tm_delete",
)
# What the API reads of a caller: ids, the key's prefix, the user's name and
# password hash (credentials.py loads the rest on first use).
USER_FIELDS = ("id", "username", "password", "customer", "token_version")
ACCESS_KEY_FIELDS = ("id", "customer", "token_prefix")

# A target's row: TARGET_FIELDS, then its outdial (what wire.target reads).
TargetRow = namedtuple("TargetRow", [*TARGET_FIELDS, "outdial_id"])
PageRow = namedtuple("PageRow", TARGET_FIELDS)
OutdialRow = namedtuple("OutdialRow", OUTDIAL_FIELDS)

# Example values a shape is compiled with: none equals a constant of a query.
_EXAMPLE_TIME = datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


def _example_id(n: int = 0) -> uuid.UUID:
    return uuid.UUID(int=0x5EED_0000_0000_4000_8000_0000_0000_0000 + n)


def _prepared(value):
    """A value as the ORM sends it to the driver."""
    if isinstance(value, uuid.UUID):
        return db_id(value)
    if isinstance(value, datetime):
        return db_time(value)
    return value


class Compiled:
    """A queryset's SQL, compiled once; run with other values in its places.

    ``examples`` name the values the queryset was built with; every
    parameter Django made of one of them takes the caller's value of that
    name, every other parameter (a constant of the rule) stays as compiled.
    """

    def __init__(self, queryset: QuerySet, planned_with_values=False, **examples):
        self.planned_with_values = planned_with_values  # see rawsql._driver_cursor
        self.sql, compiled = queryset.query.sql_with_params()
        self.driver_sql = _driver_sql(self.sql)
        names = {_prepared(value): name for name, value in examples.items()}
        self.places = [(names.get(param), param) for param in compiled]
        missing = set(examples) - {name for name, _ in self.places}
        if missing:
            raise ValueError(f"the statement does not take {sorted(missing)}")

    def params(self, db=None, /, **values) -> list:
        db = db or connections[DEFAULT_DB_ALIAS]
        native_ids = db.features.has_native_uuid_field
        prepared = {}
        for name, value in values.items():
            if isinstance(value, uuid.UUID):  # as UUIDField.get_db_prep_value
                value = value if native_ids else value.hex
            elif isinstance(value, datetime):
                value = db.ops.adapt_datetimefield_value(value)
            prepared[name] = value
        return [
            constant if name is None else prepared[name]
            for name, constant in self.places
        ]

    def rows(self, **values) -> list[tuple]:
        db = connections[DEFAULT_DB_ALIAS]
        return rawsql.rows(
            self.sql,
            self.params(db, **values),
            self.driver_sql,
            db,
            planned_with_values=self.planned_with_values,
        )


def _driver_sql(sql: str) -> str:
    """``sql`` as the driver takes it: SQLite's ``?`` for ``%s`` (what
    Django's SQLite cursor rewrites on every call)."""
    if connection.vendor != "sqlite":
        return sql
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _listed_id(value) -> uuid.UUID | str:
    """An id of a listed row, ready to be written (``str()`` of it is the id
    as the API writes it) and passed back (``db_ids``): PostgreSQL's UUID as
    the driver made it; SQLite's hex written out as a UUID's text, with no
    UUID made for it (making one, then its text and its hex again for the
    page's destinations, was a sixth of a page of 100 targets)."""
    if isinstance(value, uuid.UUID):
        return value
    if len(value) != 32:
        return str(uuid.UUID(value))
    value = value.lower()
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


# --- lookups through the ORM ---------------------------------------------------


def leases_overdue(now: datetime | None = None) -> Exists:
    """For annotating an outdial lookup: does it hold an expired open claim?

    Lets list views skip the sweep (and its query) in the common case.
    """
    overdue = Attempt.objects.overdue(now or timezone.now())
    return Exists(overdue.filter(outdial=OuterRef("pk")))


def outdials_of(customer, *, live: bool = False, overdue: bool = False) -> QuerySet:
    """The customer's outdials (``live``: not deleted); ``overdue`` adds
    ``leases_overdue`` to each, in the same query. Each comes with its
    dialing policy (``outdials.policy``; a join on its key), which claims,
    results and eligibility read."""
    queryset = Outdial.objects.owned_by(customer).select_related("policy")
    if live:
        queryset = queryset.live()
    if overdue:
        queryset = queryset.annotate(leases_overdue=leases_overdue())
    return queryset


def targets_of(customer, outdial_id, *, live: bool = False) -> QuerySet:
    """Targets of the customer's outdial ``outdial_id``; ``live``: the live
    targets of a live outdial, what people may see and change."""
    queryset = OutdialTarget.objects.owned_by(customer).filter(outdial_id=outdial_id)
    return queryset.in_live_outdial() if live else queryset


def one(queryset):
    """The row a lookup by a unique key finds, or ``None``.

    Not ``first()``: that orders by pk, and compiling the ORDER BY is a fifth
    of a lookup's cost on every API call, for a choice among one row.
    """
    return next(iter(queryset[:1]), None)


# --- the hot shapes, compiled once ---------------------------------------------


@functools.cache
def _user_statement() -> Compiled:
    user = _example_id()
    queryset = User.objects.filter(pk=user, is_active=True)
    return Compiled(queryset.values_list(*USER_FIELDS), user=user)


@functools.cache
def _access_key_statement() -> Compiled:
    queryset = AccessKey.objects.usable(_EXAMPLE_TIME).filter(token_hash="#hash")
    return Compiled(
        queryset.values_list(*ACCESS_KEY_FIELDS), now=_EXAMPLE_TIME, hash="#hash"
    )


def user_row(user_id: uuid.UUID) -> tuple | None:
    """``USER_FIELDS`` of the active user ``user_id``, or ``None``."""
    return next(iter(_user_statement().rows(user=user_id)), None)


def access_key_row(token_hash: str) -> tuple | None:
    """``ACCESS_KEY_FIELDS`` of the usable access key with this hash, or ``None``."""
    found = _access_key_statement().rows(hash=token_hash, now=timezone.now())
    return next(iter(found), None)


@functools.cache
def _overdue_statement() -> Compiled:
    outdial = _example_id()
    overdue = Attempt.objects.overdue(_EXAMPLE_TIME).filter(outdial_id=outdial)
    return Compiled(overdue.values_list("pk")[:1], outdial=outdial, now=_EXAMPLE_TIME)


def has_overdue_lease(outdial_id: uuid.UUID) -> bool:
    """Whether the outdial holds a claim whose lease has passed unsettled."""
    return bool(_overdue_statement().rows(outdial=outdial_id, now=timezone.now()))


def _keyset_examples(depth: str) -> tuple[paging.Key | None, dict]:
    """A page's keyset by how deep it is: the first page, past a time, or past
    a time and id (see ``paging.py``)."""
    if depth == "first":
        return None, {}
    if depth == "time":
        return (_EXAMPLE_TIME, None), {"tm_create": _EXAMPLE_TIME}
    last = _example_id(1)
    return (_EXAMPLE_TIME, last), {"tm_create": _EXAMPLE_TIME, "last": last}


def _depth(key: paging.Key | None) -> str:
    if key is None:
        return "first"
    return "time" if key[1] is None else "time_and_id"


def _key_values(key: paging.Key | None) -> dict:
    if key is None:
        return {}
    return {"tm_create": key[0], "last": key[1]} if key[1] else {"tm_create": key[0]}


@functools.cache
def _target_page_statement(depth: str, limit: int) -> Compiled:
    outdial = _example_id()
    key, examples = _keyset_examples(depth)
    queryset = OutdialTarget.objects.live().filter(outdial_id=outdial)
    if key is not None:
        queryset = paging.beyond(queryset, key)
    rows = queryset.newest_first().values_list(*TARGET_FIELDS)[:limit]
    # Planned per call: a list's index, or a sort, depends on the list's size.
    return Compiled(rows, planned_with_values=True, outdial=outdial, **examples)


def live_targets(outdial_id: uuid.UUID, after: paging.Key | None, limit: int) -> list:
    """The outdial's live targets newest first, after ``after`` (a parsed page
    token), at most ``limit``, as ``PageRow``s."""
    statement = _target_page_statement(_depth(after), limit)
    rows = statement.rows(outdial=outdial_id, **_key_values(after))
    return [PageRow(_listed_id(row[0]), *row[1:]) for row in rows]


@functools.cache
def _outdial_page_statement(depth: str, limit: int) -> Compiled:
    customer = _example_id()
    key, examples = _keyset_examples(depth)
    queryset = outdials_of(customer, live=True)
    if key is not None:
        queryset = paging.beyond(queryset, key)
    rows = queryset.newest_first().values_list(*OUTDIAL_FIELDS)[:limit]
    return Compiled(rows, planned_with_values=True, customer=customer, **examples)


def live_outdials(customer_id, after: paging.Key | None, limit: int) -> list:
    """The customer's live outdials newest first, after ``after``, at most
    ``limit``, as ``OutdialRow``s."""
    statement = _outdial_page_statement(_depth(after), limit)
    rows = statement.rows(customer=customer_id, **_key_values(after))
    return [
        OutdialRow(_listed_id(row[0]), _listed_id(row[1]), _listed_id(row[2]), *row[3:])
        for row in rows
    ]


@functools.cache
def _outdial_check_statement() -> Compiled:
    customer, outdial = _example_id(), _example_id(1)
    queryset = Outdial.objects.owned_by(customer).live().filter(pk=outdial)
    overdue = leases_overdue(_EXAMPLE_TIME)
    rows = queryset.annotate(overdue=overdue).values_list("overdue")
    return Compiled(rows, customer=customer, outdial=outdial, now=_EXAMPLE_TIME)


def live_outdial_overdue(customer_id, outdial_id: uuid.UUID) -> bool | None:
    """Whether the customer's live outdial holds an overdue lease; ``None``
    when it is not theirs or not live."""
    found = _outdial_check_statement().rows(
        customer=customer_id, outdial=outdial_id, now=timezone.now()
    )
    return bool(found[0][0]) if found else None


@functools.cache
def _slots_statement(count: int) -> Compiled:
    ids = {f"id{n}": _example_id(n) for n in range(count)}
    queryset = Destination.objects.filter(outdial_target_id__in=list(ids.values()))
    return Compiled(queryset.values_list(*SLOT_FIELDS), **ids)


def destination_slots(target_ids: list[uuid.UUID]) -> list[list]:
    """For each id in ``target_ids``, in order, its five slots: ``[type,
    target, target_name, name, detail, try_count]`` or ``None``."""
    if not target_ids:
        return []
    keys = db_ids(target_ids)  # in the database's form once, for both uses
    position = {key: n for n, key in enumerate(keys)}
    slots = [[None] * len(DESTINATION_SLOTS) for _ in target_ids]
    values = {f"id{n}": key for n, key in enumerate(keys)}
    for owner, index, *address_and_tries in _slots_statement(len(values)).rows(
        **values
    ):
        slots[position[owner]][index] = address_and_tries
    return slots


@functools.cache
def _target_statement() -> Compiled:
    customer, outdial, target = _example_id(), _example_id(1), _example_id(2)
    # Deleted ones too: a GET by id answers them.
    queryset = targets_of(customer, outdial).filter(pk=target)
    slot_fields = [f"destinations__{name}" for name in SLOT_FIELDS[1:]]
    rows = queryset.values_list(*TARGET_FIELDS, "outdial_id", *slot_fields)
    return Compiled(rows, customer=customer, outdial=outdial, target=target)


def target_with_slots(customer_id, outdial_id: uuid.UUID, target_id: uuid.UUID):
    """The customer's target ``target_id`` in outdial ``outdial_id`` as a
    ``TargetRow`` and its five slots, or ``None`` if it is not theirs."""
    rows = _target_statement().rows(
        customer=customer_id, outdial=outdial_id, target=target_id
    )
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


@functools.cache
def live_target_condition(alias: str) -> str:
    """``OutdialTarget.objects.live()``'s condition as SQL on table ``alias``,
    for the claim's statement, which is written as SQL for speed."""
    queryset = OutdialTarget.objects.live()
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = queryset.query.where.as_sql(compiler, connection)
    if params:
        raise ValueError("the live condition is expected to take no parameter")
    table = connection.ops.quote_name(OutdialTarget._meta.db_table)
    return sql.replace(f"{table}.", f"{alias}.")
