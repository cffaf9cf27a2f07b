"""The claim and result statements: one round trip on PostgreSQL, a few
plain statements under one write lock on SQLite.

A claim is every dialer's hot path. On PostgreSQL it is one statement of
data-modifying CTEs sent in autocommit, so it is also its own transaction:
pick (``FOR UPDATE SKIP LOCKED``), bump the chosen destination, mark the
target, log the attempt and answer what the API returns, in one round trip.
On SQLite (no data-modifying CTEs) it is a read and three writes inside the
IMMEDIATE transaction, sent through the driver's own cursor: the pick reads
the targets with their destinations, then the targets, the try counts and
the attempts are written; a result is two writes (the attempt, the target).

The eligibility rule is written once, as querysets (:func:`eligible`):
``available()`` evaluates them, and the claim statement embeds their SQL,
compiled once per database with placeholder values and cached; so the live
rule, the status and the claim order come from the ORM, not from a string.
"""

import contextlib
import functools
import json
import logging
import operator
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    connection,
    connections,
    transaction,
)
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least, Substr
from django.db.models.lookups import In
from django.utils.dateparse import parse_datetime

from . import rawsql
from .models import (
    DESTINATION_SLOTS,
    Attempt,
    AttemptOutcome,
    Destination,
    OutdialTarget,
    SuppressionEntry,
    SuppressionKind,
    SuppressionList,
    TargetStatus,
)
from .rawsql import db_id, db_time
from .validators import lookup_key_sql

logger = logging.getLogger(__name__)


def room(maxima: Sequence[int]) -> Q:
    """A destination with attempts left under ``maxima``."""
    condition = Q()
    for index, maximum in enumerate(maxima):
        if maximum > 0:
            condition |= Q(index=index, try_count__lt=maximum)
    return condition


# The lengths of the phone prefixes a suppression entry may have ("+1" to a
# whole E.164 number): a destination's own prefixes are looked up with IN
# among the lists' prefix entries (``supp_entry_prefix``).
PREFIX_LENGTHS = range(2, 17)
PHONE_TYPES = ("tel", "whatsapp")


def unsuppressed(outdial_id, now, lists=None) -> Q:
    """A destination (the outer row) no active entry of a list applying to
    the outdial names (``lists``: those lists' ids, when the caller has
    them): not its lookup key (``validators.lookup_key_sql``, the form
    entries keep: an email in lower case, a SIP URI with its scheme and
    host in lower case), nor, for a phone number, one of its prefixes.
    Expired entries stop by themselves. The key is one probe of
    ``supp_entry_lookup``; the prefixes are looked up only among the lists'
    prefix entries (``supp_entry_prefix``, few), so a destination costs
    little however long the lists are."""
    address = OuterRef("target")
    if lists is None:
        lists = SuppressionList.objects.applying_to(outdial_id).values("pk")
    active = SuppressionEntry.objects.active(now).filter(list__in=lists)
    named = active.filter(address=lookup_key_sql(OuterRef("type"), address))
    prefixed = active.filter(
        In(OuterRef("type"), PHONE_TYPES),
        kind=SuppressionKind.PREFIX,
        address__in=[Substr(address, 1, n) for n in PREFIX_LENGTHS],
    )
    return ~Exists(named) & ~Exists(prefixed)


def usable(maxima: Sequence[int], outdial_id, now, lists=True) -> Q:
    """A destination a claim may dial: attempts left, and not suppressed.
    ``lists=False``: for a statement that makes sure no suppression list
    applies to the outdial (:func:`_pick_prefix`), attempts left alone;
    an expression: the ids of the lists that apply, found once by the
    statement (:func:`unsuppressed`)."""
    if lists is False:
        return room(maxima)
    given = None if lists is True else lists
    return room(maxima) & unsuppressed(outdial_id, now, given)


# --- targets passed over as suppressed ---------------------------------------------
# A claim that finds every destination of a target with attempts left
# suppressed marks the target (``tm_suppressed_until``, at its maxima), so
# later claims at those maxima skip it from the index entry instead of
# looking its destinations up again. The mark ends by itself at the earliest
# expiry of the entries that suppress it, and at the latest ``RECHECK`` after
# it was made; a list that stops suppressing it, an edit of its destinations
# or a reset of its tries clears it at once (``suppression.release``,
# ``targets.update_target``, ``dialing.reset_try_counts``).

RECHECK = timedelta(minutes=10)
# What clears the mark.
UNMARKED = {"tm_suppressed_until": None, "suppressed_maxima": ""}


def maxima_key(maxima: Sequence[int]) -> str:
    """The maxima a mark was made at, as the target keeps them: a claim at
    other maxima (which may leave another destination room) ignores it."""
    return ",".join(str(int(m)) for m in maxima)


def unmarked(maxima: Sequence[int], now) -> Q:
    """A target no mark holds back from a claim at ``maxima`` at ``now``."""
    return (
        Q(tm_suppressed_until__isnull=True)
        | Q(tm_suppressed_until__lte=now)
        | ~Q(suppressed_maxima=maxima_key(maxima))
    )


def _suppressing(outdial_id, now, latest):
    """Active entries of the lists applying to the outdial that expire
    before ``latest``: what may end a mark sooner."""
    lists = SuppressionList.objects.applying_to(outdial_id).values("pk")
    return SuppressionEntry.objects.active(now).filter(
        list__in=lists, tm_expire__lt=latest
    )


def suppressed_until(maxima: Sequence[int], outdial_id, now, latest):
    """When a target (the outer row) passed over as suppressed is looked at
    again: the earliest expiry among the entries naming one of its
    destinations with attempts left (its lookup key, or a prefix of a phone
    number), and ``latest`` when none expires before. Read from the
    destinations, as a claim reads (:func:`unsuppressed`): each one probe of
    ``supp_entry_lookup`` and of ``supp_entry_prefix``, however long the
    lists are."""
    entries = _suppressing(outdial_id, now, latest)
    address = OuterRef("target")
    named = entries.filter(address=lookup_key_sql(OuterRef("type"), address))
    prefixed = entries.filter(
        In(OuterRef("type"), PHONE_TYPES),
        kind=SuppressionKind.PREFIX,
        address__in=[Substr(address, 1, n) for n in PREFIX_LENGTHS],
    )
    never = Value(latest, output_field=DateTimeField())
    slot_until = Least(
        *(
            Coalesce(
                Subquery(found.order_by("tm_expire").values("tm_expire")[:1]), never
            )
            for found in (named, prefixed)
        )
    )
    slots = Destination.objects.filter(room(maxima), outdial_target=OuterRef("pk"))
    first = slots.annotate(until=slot_until).order_by("until").values("until")[:1]
    return Coalesce(Subquery(first), never)


def passed_over(
    outdial_id,
    maxima: Sequence[int],
    cutoff,
    now,
    bounds: tuple,
    zones=None,
    cap=None,
    judged: bool = True,
) -> tuple[QuerySet, QuerySet]:
    """The targets a claim with these arguments passed over because every
    destination with attempts left is suppressed, among those it examined:
    never attempted and created before ``fresh_before``; attempted at or
    before ``cutoff`` and before ``(retry_before, retry_created)`` in claim
    order (``bounds``, from the last target the claim took, or unbounded
    when it took fewer than its limit). ``judged=False``: without the
    suppression test, the targets with attempts left it examined."""
    fresh_before, retry_before, retry_created = bounds
    base = _candidates(outdial_id, maxima, now, zones, cap).filter(
        Exists(Destination.objects.filter(room(maxima), outdial_target=OuterRef("pk")))
    )
    if judged:
        base = base.exclude(_dialable(maxima, outdial_id, now))
    fresh = base.filter(tm_last_attempt__isnull=True, tm_create__lt=fresh_before)
    retry = base.filter(tm_last_attempt__lte=cutoff).filter(
        Q(tm_last_attempt__lt=retry_before)
        | Q(tm_last_attempt=retry_before, tm_create__lt=retry_created)
    )
    return fresh, retry


class InZones(Func):
    """``time_zone`` is one of ``zones``, given as ONE text parameter
    (``,A,B,…,``; "" is written as an empty name), so the cached statement
    has a fixed text whatever the number of zones, and the test is a
    substring search: no array or JSON to build for every claim."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, zones):
        super().__init__(F("time_zone"))
        self.zones = zones

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        value = self.zones if isinstance(self.zones, str) else zone_list(self.zones)
        search = "strpos" if connection.vendor == "postgresql" else "instr"
        return f"{search}(%s, ',' || {column} || ',') > 0", [value, *params]


def zone_list(zones) -> str:
    """The parameter of :class:`InZones`."""
    return "," + ",".join(zones) + ","


class PerRow(Exists):
    """EXISTS tested for each candidate in claim order, up to the LIMIT.
    PostgreSQL would otherwise flatten it into a join, and its estimate of the
    destinations that pass the suppression test (one row) then makes it judge
    every destination of the list before the first claim. ``OFFSET 0`` keeps
    the test a subplan (PostgreSQL never flattens a subquery with an offset);
    SQLite tests EXISTS per row anyway."""

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        if connection.vendor == "postgresql":
            sql = sql[:-1] + " OFFSET 0)"
        return sql, params


def policy_conditions(now, zones=None, cap=None) -> Q:
    """The policy's part of eligibility (``outdials.policy``): the next-attempt
    time has come; with calling hours, the target's zone is one of ``zones``
    (those inside their hours now, "" for the default zone); with a daily
    cap, fewer than ``cap`` attempts since the target's local midnight."""
    condition = Q(tm_next_attempt__isnull=True) | Q(tm_next_attempt__lte=now)
    if zones is not None:
        condition &= InZones(zones)
    if cap is not None:
        condition &= Q(day_attempts__lt=cap) | Q(tm_day_end__lte=now)
    return condition


def eligible(
    outdial_id,
    maxima: Sequence[int],
    cutoff,
    now,
    zones=None,
    cap=None,
    lists=True,
    dialable: bool = True,
) -> tuple[QuerySet, QuerySet]:
    """The eligible targets of an outdial in claim order, as two querysets:
    never attempted (oldest first), then attempted at or before ``cutoff``
    (least recently first), both under the policy's conditions at ``now``.
    Each follows the ``target_claim`` index; one query ordering NULLs first
    would make PostgreSQL sort every idle row. The fresh ones are ordered by
    their (null) last attempt too: PostgreSQL then reads them from that index
    in order, where by ``tm_create`` alone it walks the list's index past
    every target attempted before. ``dialable=False``: for a caller that
    finds each target's destination itself (:func:`_with_destination`)."""
    base = _candidates(outdial_id, maxima, now, zones, cap, dialable, lists)
    fresh = base.filter(tm_last_attempt__isnull=True).order_by(
        "tm_last_attempt", "tm_create"
    )
    retry = base.filter(tm_last_attempt__lte=cutoff).order_by(
        "tm_last_attempt", "tm_create"
    )
    return fresh, retry


def _dialable(maxima, outdial_id, now, lists=True) -> PerRow:
    """The target (the outer row) has a destination a claim may dial."""
    return PerRow(
        Destination.objects.filter(
            usable(maxima, outdial_id, now, lists), outdial_target=OuterRef("pk")
        )
    )


def _candidates(
    outdial_id, maxima, now, zones, cap, dialable=False, lists=True
) -> QuerySet:
    """Idle live targets of the outdial that no mark holds back and the
    policy lets through; with ``dialable``, only those with a destination
    a claim may dial."""
    found = (
        OutdialTarget.objects.live()
        .filter(outdial_id=outdial_id, status=TargetStatus.IDLE)
        .filter(unmarked(maxima, now))
    )
    if dialable:
        found = found.filter(_dialable(maxima, outdial_id, now, lists))
    return found.filter(policy_conditions(now, zones, cap))


def overdue(outdial_id, now) -> QuerySet:
    """Open claims of the outdial whose lease has passed."""
    return Attempt.objects.overdue(now).filter(outdial_id=outdial_id)


# --- compiling once -------------------------------------------------------------
# Querysets are compiled with these stand-ins, whose database form is then
# recognised among the compiled parameters: each becomes a slot filled per call.

_OUTDIAL = uuid.UUID("0d1a1000-0000-4000-8000-00000000d1a1")
_MAXIMA = tuple(900_000_001 + index for index in DESTINATION_SLOTS)
_CUTOFF = datetime(2999, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
_NOW = datetime(2999, 6, 5, 4, 3, 2, 1, tzinfo=UTC)
_LIMIT = 987_654_321
_ZONES = "\x00zones"
_CAP = 900_000_101
_LATEST = datetime(2999, 7, 6, 5, 4, 3, 2, tzinfo=UTC)
_FRESH_BEFORE = datetime(2999, 8, 7, 6, 5, 4, 3, tzinfo=UTC)
_RETRY_BEFORE = datetime(2999, 9, 8, 7, 6, 5, 4, tzinfo=UTC)
_RETRY_CREATED = datetime(2999, 10, 9, 8, 7, 6, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Statement:
    """SQL and its parameters: constants, or names filled by :meth:`params`."""

    sql: str
    slots: tuple

    def params(self, **values) -> list:
        return [values[name] if name else value for name, value in self.slots]

    @functools.cached_property
    def numbered(self) -> tuple[str, tuple[int, ...]]:
        """The statement in PostgreSQL's own ``$n`` placeholders, one for
        each name, and for each ``$n`` the place in :meth:`params` of the
        value it takes (``rawsql.rows``)."""
        pieces = self.sql.split("%s")
        numbers, firsts, text = {}, [], pieces[0]
        for place, ((name, _), piece) in enumerate(
            zip(self.slots, pieces[1:], strict=True)
        ):
            key = name or place
            if key not in numbers:
                numbers[key] = len(firsts) + 1
                firsts.append(place)
            text += f"${numbers[key]}{piece}"
        return text.replace("%%", "%"), tuple(firsts)

    def __add__(self, other: "Statement") -> "Statement":
        return Statement(self.sql + other.sql, self.slots + other.slots)


def _sql(text: str, *names: str) -> Statement:
    """Hand-written SQL whose ``%s`` are filled by ``names`` in order."""
    return Statement(text, tuple((name, None) for name in names))


def _compiled(queryset: QuerySet, limit: str = "", expression=None) -> Statement:
    """A queryset's SQL with its stand-ins turned into named slots; its
    ``LIMIT`` (sliced with the stand-in limit) becomes ``limit``, a
    hand-written expression. With ``expression``: that expression's SQL
    over the queryset's rows instead."""
    with transaction.atomic():  # FOR UPDATE compiles only inside a transaction
        if expression is None:
            sql, params = queryset.query.sql_with_params()
        else:
            query = queryset.query
            compiler = query.get_compiler(connection.alias)
            sql, params = compiler.compile(expression.resolve_expression(query))
    stand_ins = {db_id(_OUTDIAL): "outdial", db_time(_CUTOFF): "cutoff"}
    stand_ins[db_time(_NOW)] = "now"
    stand_ins[_ZONES] = "zones"
    stand_ins[_CAP] = "cap"
    stand_ins[maxima_key(_MAXIMA)] = "maxima_key"
    for name, value in (
        ("latest", _LATEST),
        ("fresh_before", _FRESH_BEFORE),
        ("retry_before", _RETRY_BEFORE),
        ("retry_created", _RETRY_CREATED),
    ):
        stand_ins[db_time(value)] = name
    stand_ins.update({m: f"maximum_{i}" for i, m in enumerate(_MAXIMA)})
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        raise RuntimeError(f"cannot place the parameters of {sql}")
    text, slots = pieces[0], []
    for value, piece in zip(params, pieces[1:], strict=True):
        name = None if isinstance(value, bool) else stand_ins.get(value)
        if name:
            text += "%s" + piece
            slots.append((name, None))
        else:
            # The queryset's own constants (a status, an outcome, a slot
            # number) are written in: SQLite re-plans a statement whenever a
            # parameter that chose a partial index is bound again.
            text += _literal(value) + piece
    sql = text
    statement = Statement(sql, tuple(slots))
    if limit:
        marker = f"LIMIT {_LIMIT}"
        head, found, tail = sql.partition(marker)
        if not found or marker in tail:
            raise RuntimeError(f"no single {marker} in {sql}")
        # LIMIT follows every parameter of the WHERE and ORDER BY clauses.
        statement = Statement(head, tuple(slots)) + _sql(limit, "limit")
        statement += Statement(tail, ())
    return statement


def _inline(statement: Statement, **fragments: str) -> Statement:
    """``statement`` with the named slots written as SQL ``fragments``."""
    pieces = statement.sql.split("%s")
    text, slots = pieces[0], []
    for slot, piece in zip(statement.slots, pieces[1:], strict=True):
        if slot[0] in fragments:
            text += fragments[slot[0]] + piece
        else:
            text += "%s" + piece
            slots.append(slot)
    return Statement(text, tuple(slots))


def _literal(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise RuntimeError(f"no literal for {value!r}")


@functools.cache
def _quoted():
    quote = connection.ops.quote_name
    return (
        quote(OutdialTarget._meta.db_table),
        quote(Destination._meta.db_table),
        quote(Attempt._meta.db_table),
    )


TARGET_FIELDS = [f for f in OutdialTarget._meta.concrete_fields]
DESTINATION_FIELDS = [
    Destination._meta.get_field(name)
    for name in ("id", "index", "type", "target", "target_name", "name", "detail")
] + [Destination._meta.get_field("try_count")]


def _columns(fields, alias: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in fields)


def _pick_prefix(hours: bool, cap: bool, lists: bool = True) -> Statement:
    """``WITH overdue, applying, fresh, retry, picked``: the
    eligible targets to take,
    none while the outdial holds an overdue lease (that is swept first).
    ``hours`` and ``cap``: whether the policy's calling hours and daily cap
    are conditions (each a variant of the statement, compiled once).
    ``lists=False``: for an outdial no suppression list applies to, which
    the statement makes sure of (``overdue.listed``), taking nothing if one
    does; it then looks no destination up in any list. With the lists,
    those that apply are found once (``applying``), not by each lookup: a
    plan a third smaller, which PostgreSQL sets up on every run."""
    applying = RawSQL("SELECT pk FROM applying", []) if lists else False
    fresh, retry = eligible(
        _OUTDIAL,
        _MAXIMA,
        _CUTOFF,
        _NOW,
        zones=_ZONES if hours else None,
        cap=_CAP if cap else None,
        lists=applying,
        dialable=False,  # each target's destination found with it, below
    )
    # Nothing is taken while a lease is overdue. A condition evaluated once,
    # not part of the limit: a limit that is an expression leaves PostgreSQL
    # to guess a tenth of the list for it, and plan for that many rows.
    held_back = "due" if lists else "due OR listed"
    none_due = RawSQL(f"NOT (SELECT {held_back} FROM overdue)", [], BooleanField())
    columns = ("pk", "tm_last_attempt", "tm_create")
    fresh = fresh.filter(none_due).values_list(*columns)
    retry = retry.filter(none_due).values_list(*columns)
    due = overdue(_OUTDIAL, _NOW).values_list("pk")[:1]
    first = _first_destination(applying)
    fresh = _with_destination(fresh, first, "LIMIT %s")
    retry = _with_destination(retry, first, "LIMIT %s - (SELECT count(*) FROM fresh)")
    if lists:
        found = SuppressionList.objects.applying_to(_OUTDIAL).values("pk")
        listed = _sql("), applying (pk) AS MATERIALIZED (") + _compiled(found)
    else:
        applying = SuppressionList.objects.applying_to(_OUTDIAL).values("pk")[:1]
        listed = _sql(", EXISTS (") + _compiled(applying) + _sql(") AS listed")
    return (
        # A scalar probe, not EXISTS, which would drop the order (models).
        _sql("WITH overdue AS MATERIALIZED (SELECT (")
        + _compiled(due)
        + _sql(") IS NOT NULL AS due")
        + listed
        + _sql("), fresh AS MATERIALIZED (")
        + fresh
        + _sql("), retry AS MATERIALIZED (")
        + retry
        # The limit again, which the planner can read: at most that many
        # picked rows, whose destinations are then found by index.
        + _sql(
            "), picked AS MATERIALIZED (SELECT * FROM fresh UNION ALL"
            " SELECT * FROM retry LIMIT %s)",
            "limit",
        )
    )


def _first_destination(applying) -> Statement:
    """The first destination, by slot, of a target (the outer row) that a
    claim may dial: attempts left, and not suppressed by ``applying``."""
    first = Destination.objects.filter(
        usable(_MAXIMA, _OUTDIAL, _NOW, applying), outdial_target=OuterRef("pk")
    )
    first = first.order_by("index").values("pk")[:1]
    return _compiled(OutdialTarget.objects.all(), expression=Subquery(first))


def _with_destination(targets: QuerySet, first: Statement, limit: str) -> Statement:
    """The first ``limit`` of ``targets`` (ids, last attempts, creation
    times, in claim order) with a destination ``first``
    (:func:`_first_destination`), which each row then carries as its last
    column, ``chosen``. The destination is found once, as the target is
    read, where a test (EXISTS) and a second look for the picked targets'
    destinations did the lookups twice: on PostgreSQL by a LATERAL join
    under the row locks (SKIP LOCKED); SQLite, which has no LATERAL, reads
    the targets in order as a co-routine (``LIMIT -1`` keeps the subquery
    from being flattened, which would look the destination up twice)."""
    table = _quoted()[0]
    marker = f" FROM {table} WHERE "
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        targets = targets.select_for_update(skip_locked=True, of=("self",))
        selection = _compiled(targets[:_LIMIT], limit)
    else:
        selection = _compiled(targets)
    head, found, tail = selection.sql.partition(marker)
    if not found or marker in tail or "%s" in head:
        raise RuntimeError(f"no single {marker} in {selection.sql}")
    rest = Statement(" WHERE " + tail, selection.slots)
    if postgresql:
        return (
            _sql(f"{head}, chosen.id AS chosen FROM {table} CROSS JOIN LATERAL ")
            + first
            + _sql(" AS chosen (id)")
            + rest
        )
    return (
        _sql(f"SELECT * FROM ({head}, ")
        + first
        + _sql(f" AS chosen FROM {table}")
        + rest
        + _sql(f" LIMIT -1) WHERE chosen IS NOT NULL {limit}", "limit")
    )


def _passed_over_ids(
    hours: bool, cap: bool, judged: bool = True, in_claim: bool = False
) -> list[Statement]:
    """The ids of the targets a claim passed over as suppressed
    (:func:`passed_over`, ``judged``), never attempted then attempted. On
    PostgreSQL a row another claim holds is left out (SKIP LOCKED). With
    ``in_claim``, as parts of the claim statement: leaving out the targets
    it picked, and the first of each only."""
    found = []
    for passed in passed_over(
        _OUTDIAL,
        _MAXIMA,
        _CUTOFF,
        _NOW,
        (_FRESH_BEFORE, _RETRY_BEFORE, _RETRY_CREATED),
        zones=_ZONES if hours else None,
        cap=_CAP if cap else None,
        judged=judged,
    ):
        if in_claim:  # in claim order, as the claim read them
            passed = passed.exclude(pk__in=RawSQL("SELECT pk FROM picked", []))
            passed = passed.order_by("tm_last_attempt", "tm_create")
        if connection.features.has_select_for_update_skip_locked:
            passed = passed.select_for_update(skip_locked=True, of=("self",))
        passed = passed.values("pk")
        found.append(_compiled(passed[:1] if in_claim else passed))
    return found


def _mark(ids: Statement) -> Statement:
    """The UPDATE that marks the targets ``ids`` selects: each its mark's
    end (:func:`suppressed_until`) and the claim's maxima."""
    targets = _quoted()[0]
    until = suppressed_until(_MAXIMA, _OUTDIAL, _NOW, _LATEST)
    return (
        _sql(f"UPDATE {targets} SET tm_suppressed_until = ")
        + _compiled(OutdialTarget.objects.all(), expression=until)
        + _sql(", suppressed_maxima = %s WHERE id IN (", "maxima_key")
        + ids
        + _sql(")")
    )


@functools.cache
def _marking_sqlite(hours: bool, cap: bool) -> tuple[list[Statement], Statement]:
    """The selections of the targets passed over, and the UPDATE that marks
    those given as a JSON list of ids (one statement of both would pass
    the depth SQLite's parser allows)."""
    ids = _sql("SELECT value FROM json_each(%s)", "ids")
    targets = _quoted()[0]
    table, read = (
        f"FROM {targets} WHERE",
        f"FROM {targets} INDEXED BY target_claim WHERE",
    )
    selections = []
    for selection in _passed_over_ids(hours, cap):
        # The claim's index, as the claim reads: with statistics SQLite may
        # take the status index, whose range also holds every idle target
        # tried before (each read from the table).
        if selection.sql.count(table) != 1:
            raise RuntimeError(f"no single {table} in {selection.sql}")
        sql = selection.sql.replace(table, read)
        selections.append(_qmark(Statement(sql, selection.slots)))
    return selections, _qmark(_mark(ids))


def _bounds(last: tuple[datetime | None, datetime] | None) -> dict:
    """:func:`passed_over`'s bounds from the place (last attempt before the
    claim, creation) of the last target a claim took, in claim order; every
    target when it took fewer than its limit (``None``)."""
    if last is None:
        return {"fresh_before": _FAR, "retry_before": _FAR, "retry_created": _FAR}
    last_attempt, created = last
    if last_attempt is None:
        return {
            "fresh_before": created,
            "retry_before": _NEVER,
            "retry_created": _NEVER,
        }
    return {
        "fresh_before": _FAR,
        "retry_before": last_attempt,
        "retry_created": created,
    }


_FAR = datetime(9999, 12, 31, tzinfo=UTC)
_NEVER = datetime(1, 1, 2, tzinfo=UTC)


def _sqlite_pick(targets: str, destinations: str, lists: bool) -> Statement:
    """SQLite's pick ends in a read: the picked targets as they are before
    the claim (their row id first), each with its destinations (as JSON,
    each marked dialable or not), and whether any suppression entry may
    apply to the outdial (without one, no target was passed over as
    suppressed; the variant without the lists, ``lists=False``, took
    nothing if one applies). The claim then writes them with plain statements
    (:func:`claim_sqlite`): under the IMMEDIATE transaction's write lock
    nothing changes in between, and SQLite ran the ``UPDATE … RETURNING``
    of a target's claim in 57 µs against 22 µs for the same ``UPDATE`` and
    13 µs for a read of the row."""
    slot = (
        'json_array(d.id, d."index", d.type, d.target, d.target_name, d.name,'
        " d.detail, d.try_count, d.id = p.chosen)"
    )
    if lists:
        # The lists that apply, as the pick found them (``applying``).
        applying = RawSQL("SELECT pk FROM applying", [])
        entries = SuppressionEntry.objects.filter(list__in=applying).values("pk")
        flag = _sql(", EXISTS (") + _compiled(entries[:1]) + _sql(")")
    else:
        flag = _sql(", 0")
    return (
        _sql(
            f" SELECT t.rowid, {_columns(TARGET_FIELDS, 't')},"
            f" (SELECT json_group_array({slot}) FROM {destinations} d"
            " WHERE d.outdial_target_id = t.id)"
        )
        + flag
        + _sql(f" FROM picked p JOIN {targets} t ON t.id = p.pk")
    )


@functools.cache
def _claim_statement(
    vendor: str, hours: bool = False, cap: bool = False, lists: bool = True
) -> Statement:
    targets, destinations, attempts = _quoted()
    if vendor != "postgresql":
        pick = _pick_prefix(hours, cap, lists)
        return _qmark(pick + _sqlite_pick(targets, destinations, lists))
    # The clock is read once every picked row is locked (``clock`` counts
    # them first): an attempt never starts before the previous one on the
    # same target ended; nor before the application's ``now`` that judged
    # the conditions (one clock for every rule, which tests control). The
    # destination is bumped only if it still has room, and the target and
    # attempt follow only a bumped destination, so
    # a row changed since the statement's snapshot is left unclaimed, never
    # half-claimed.
    under_maximum = 'd.try_count < (%s::int[])[d."index" + 1]'
    slot = (
        'json_build_array(d."index", d.type, d.target, d.target_name, d.name,'
        ' d.detail, CASE WHEN d."index" = l.destination_index THEN l.try_count'
        " ELSE d.try_count END)"
    )
    # The daily cap's counter: one more today, or the first of a new local
    # day, which ends at the next midnight in the target's zone ("" is the
    # policy's default zone). PostgreSQL reads the same zone database as
    # zoneinfo where it is built with the system's (Debian's is).
    zone = "COALESCE(NULLIF(t.time_zone, ''), %s)"
    midnight = (
        f"(date_trunc('day', %s::timestamptz AT TIME ZONE {zone})"
        f" + interval '1 day') AT TIME ZONE {zone}"
    )
    pick = _pick_prefix(hours, cap, lists)
    if lists:  # with no list, nothing is passed over as suppressed
        pick += _passed_postgresql(hours, cap)
        held_back = (
            "WHEN due THEN 'overdue' WHEN EXISTS (SELECT FROM passed_fresh)"
            " OR EXISTS (SELECT FROM passed_retry) THEN 'passed'"
        )
        bounds = (
            "(SELECT fresh_before FROM bounds), (SELECT retry_before FROM bounds),"
            " (SELECT retry_created FROM bounds)"
        )
    else:
        held_back = "WHEN due THEN 'overdue' WHEN listed THEN 'listed'"
        bounds = "NULL::timestamptz, NULL::timestamptz, NULL::timestamptz"
    return pick + _sql(
        ", clock AS MATERIALIZED (SELECT GREATEST(clock_timestamp(),"
        " %s::timestamptz) AS now FROM (SELECT count(*) FROM picked) AS held),"
        " chosen AS MATERIALIZED (SELECT chosen AS id FROM picked),"
        f" bumped AS (UPDATE {destinations} d SET try_count = d.try_count + 1"
        f" FROM chosen c WHERE d.id = c.id AND {under_maximum}"
        ' RETURNING d.outdial_target_id, d."index", d.target, d.try_count),'
        f" taken AS (UPDATE {targets} t SET status = %s, settled_outcome = %s,"
        " tm_last_attempt = clock.now, tm_update = clock.now, tries = t.tries + 1,"
        " day_attempts = CASE WHEN t.tm_day_end > %s THEN t.day_attempts + 1"
        " ELSE 1 END, tm_day_end = CASE WHEN t.tm_day_end > %s THEN t.tm_day_end"
        f" ELSE {midnight} END FROM bumped b, clock"
        " WHERE t.id = b.outdial_target_id AND t.status = %s"
        f" RETURNING {_columns(TARGET_FIELDS, 't')}),"
        f" logged AS (INSERT INTO {attempts} (id, outdial_id, outdial_target_id,"
        " destination_index, address, try_count, max_try_counts, outcome,"
        " lease_expires, tm_start) SELECT gen_random_uuid(), tk.outdial_id,"
        ' b.outdial_target_id, b."index", b.target, b.try_count,'
        " to_jsonb(%s::int[]), %s, tk.tm_last_attempt + make_interval(secs => %s),"
        " tk.tm_last_attempt FROM bumped b JOIN taken tk"
        " ON tk.id = b.outdial_target_id RETURNING id, outdial_target_id,"
        " destination_index, try_count, lease_expires)"
        f" SELECT (SELECT CASE {held_back} END FROM overdue), {bounds},"
        f" {_columns(TARGET_FIELDS, 'tk')},"
        " l.id, l.lease_expires, l.destination_index, l.try_count,"
        f' (SELECT json_agg({slot} ORDER BY d."index") FROM {destinations} d'
        " WHERE d.outdial_target_id = tk.id)"
        " FROM (SELECT 1) AS one LEFT JOIN (taken tk JOIN logged l"
        " ON l.outdial_target_id = tk.id JOIN picked p ON p.pk = tk.id) ON true"
        " ORDER BY p.tm_last_attempt NULLS FIRST, p.tm_create",
        "now",
        "maxima",
        "progressing",
        "pending",
        "now",
        "now",
        "now",
        "default_zone",
        "default_zone",
        "idle",
        "maxima",
        "pending",
        "lease_seconds",
    )


def _passed_postgresql(hours: bool, cap: bool) -> Statement:
    """``, last, bounds, passed_fresh, passed_retry``: the bounds of what the
    claim statement examined (:func:`_bounds`, in SQL, from the last target
    it picked; nothing while the outdial holds an overdue lease), and the
    first target with attempts left among them that it did not pick,
    locked, if any: then it passed one over as suppressed, and the claim
    marks what it passed over in a statement of its own
    (:func:`_marking_postgresql`), which looks the destinations up again.
    Marking in the claim statement itself doubled a claim's time whenever
    a list applied, though a claim seldom passes a target over."""
    # Python reads the bounds back (no datetime holds an infinity).
    far, never = (f"'{t.isoformat()}'::timestamptz" for t in (_FAR, _NEVER))
    unbounded = f"WHEN o.due THEN {never} WHEN n.taken < %s"
    bounds = _sql(
        ", last AS MATERIALIZED (SELECT tm_last_attempt, tm_create FROM picked"
        " ORDER BY tm_last_attempt DESC NULLS LAST, tm_create DESC LIMIT 1),"
        f" bounds AS MATERIALIZED (SELECT CASE {unbounded}"
        f" THEN {far} WHEN l.tm_last_attempt IS NULL THEN l.tm_create"
        f" ELSE {far} END AS fresh_before, CASE {unbounded} THEN {far}"
        f" WHEN l.tm_last_attempt IS NULL THEN {never}"
        f" ELSE l.tm_last_attempt END AS retry_before, CASE {unbounded}"
        f" THEN {far} WHEN l.tm_last_attempt IS NULL THEN {never}"
        " ELSE l.tm_create END AS retry_created FROM overdue o"
        " CROSS JOIN (SELECT count(*) AS taken FROM picked) n"
        " LEFT JOIN last l ON true)",
        "limit",
        "limit",
        "limit",
    )
    fragments = {
        name: f"(SELECT {name} FROM bounds)"
        for name in ("fresh_before", "retry_before", "retry_created")
    }
    fresh, retry = (
        _inline(statement, **fragments)
        for statement in _passed_over_ids(hours, cap, judged=False, in_claim=True)
    )
    return (
        bounds
        + _sql(", passed_fresh AS MATERIALIZED (")
        + fresh
        + _sql("), passed_retry AS MATERIALIZED (")
        + retry
        + _sql(")")
    )


@functools.cache
def _marking_postgresql(hours: bool, cap: bool) -> Statement:
    """Marks the targets a claim passed over as suppressed, within the
    bounds of what it examined (``fresh_before``, ``retry_before``,
    ``retry_created``), those another claim holds left alone."""
    fresh, retry = (_mark(ids) for ids in _passed_over_ids(hours, cap))
    return (
        _sql("WITH marked_fresh AS (")
        + fresh
        + _sql("), marked_retry AS (")
        + retry
        + _sql(") SELECT 1")
    )


def _qmark(statement: Statement) -> Statement:
    """For the sqlite3 driver's own cursor, which takes ``?``."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return Statement(
        FORMAT_QMARK_REGEX.sub("?", statement.sql).replace("%%", "%"),
        statement.slots,
    )


# --- values back from the drivers ---------------------------------------------


def _uuid(value) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)


def _time(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_TARGET_NAMES = [f.attname for f in TARGET_FIELDS]
_TARGET_KINDS = [
    _uuid
    if f.get_internal_type() in ("UUIDField", "ForeignKey")
    else _time
    if f.get_internal_type() == "DateTimeField"
    else None
    for f in TARGET_FIELDS
]


def target_from_row(values: Sequence) -> OutdialTarget:
    converted = [
        value if kind is None else kind(value)
        for kind, value in zip(_TARGET_KINDS, values, strict=True)
    ]
    return _loaded(OutdialTarget, _TARGET_NAMES, converted)


def _loaded(model, names: list[str], values: list):
    """An instance as ``from_db`` makes it, made as unpickling makes one: its
    ``__init__``, which walks every field, not run (2.2 µs a target instead
    of 7.9, 1.4 µs a destination instead of 4.5); these models have no
    ``post_init`` receiver."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return instance


_DESTINATION_ORDER = [f.attname for f in Destination._meta.concrete_fields]
assert _DESTINATION_ORDER == ["id", "outdial_target_id"] + [
    f.attname for f in DESTINATION_FIELDS[1:]
]


def _destination(target_id, values) -> Destination:
    # from_db takes the values in the model's field order.
    key, *rest = values
    return _loaded(Destination, _DESTINATION_ORDER, [key, target_id, *rest])


def _attach(target: OutdialTarget, destinations: list[Destination]) -> None:
    target._prefetched_objects_cache = {"destinations": destinations}


@dataclass
class Taken:
    """One claimed target, as the claim statements answer it."""

    claim_id: uuid.UUID
    lease_expires: datetime
    destination_index: int
    target: OutdialTarget
    destination: Destination | None = None  # the one dialed, when at hand


class Overdue(Exception):
    """The outdial holds an overdue lease: sweep, then claim again."""


class Contended(Exception):
    """A conditional update matched fewer rows than were picked."""


# Dialers use a limit or two each; a client cycling through every limit
# (1–100, twice over for hours, cap and lists) keeps at most this many
# statements of some 40 KB each in a worker.
@functools.lru_cache(maxsize=32)
def _postgresql_claim(hours: bool, cap: bool, lists: bool, limit: int) -> Statement:
    """The claim statement with its limit written in. It is prepared on the
    server (``rawsql.rows``), and a prepared statement's plan is made once
    for any value of its parameters: with the limit a parameter, PostgreSQL
    plans for a tenth of the list, hash joins over every destination, and
    so plans the statement again on every call instead (9 ms, five times
    what running it takes)."""
    statement = _claim_statement("postgresql", hours, cap, lists)
    return _inline(statement, limit=str(limit))


def compile_claims(conditions, limit: int) -> None:
    """Compile the claim statements for ``conditions`` (the policy's part)
    and ``limit``, with and without the suppression lists' parts: some
    90 ms of Python for the variant with them, otherwise paid by the first
    claim of the process that uses it."""
    hours, cap = conditions.zones is not None, conditions.daily_cap is not None
    for lists in (False, True):
        if connection.vendor == "postgresql":
            _postgresql_claim(hours, cap, lists, int(limit))
        else:
            _sqlite_claim(hours, cap, lists)
    if connection.vendor != "postgresql":
        _marking_sqlite(hours, cap)


# Outdials that suppression lists applied to when this process last claimed
# from them, and when: their claims look every destination up in the lists
# (and mark what they pass over) for LISTS_SEEN seconds after. Any other
# outdial's claim runs without the lists' parts (a plan some 40 % cheaper to
# run) and makes sure in the same statement that no list applies; if one
# does, it takes nothing and the claim runs again with them. Reading the
# lists in the statement's own snapshot, as the full claim does.
LISTS_SEEN = 60.0
_listed: dict = {}


def _lists_apply(outdial_id) -> bool:
    seen = _listed.get(outdial_id)
    return seen is not None and time.monotonic() - seen < LISTS_SEEN


def claim_postgresql(
    outdial_id, maxima, limit, lease_seconds, cutoff, now, conditions
) -> list[Taken]:
    """One statement, in autocommit its own transaction. ``conditions``:
    the policy's part (``policy.ClaimConditions``)."""
    lists = _lists_apply(outdial_id)
    variant = (conditions.zones is not None, conditions.daily_cap is not None, lists)
    statement = _postgresql_claim(*variant, int(limit))
    values = dict(
        outdial=outdial_id,
        cutoff=cutoff,
        now=now,
        zones=conditions.zones,
        cap=conditions.daily_cap,
        default_zone=conditions.default_zone,
        limit=limit,
        maxima=list(maxima),
        lease_seconds=lease_seconds,
        progressing=str(TargetStatus.PROGRESSING),
        pending="",
        idle=str(TargetStatus.IDLE),
        latest=now + RECHECK,
        maxima_key=maxima_key(maxima),
        **{f"maximum_{i}": m for i, m in enumerate(maxima)},
    )
    params = statement.params(**values)
    native, firsts = statement.numbered
    rows = rawsql.rows(
        statement.sql,
        params,
        native=(native, [params[i] for i in firsts]),
        prepare=True,
    )
    if rows[0][0] == "overdue":
        raise Overdue
    if rows[0][0] == "listed":
        _note_lists(outdial_id)
        return claim_postgresql(
            outdial_id, maxima, limit, lease_seconds, cutoff, now, conditions
        )
    if rows[0][0] == "passed":
        _mark_passed_over(variant[:2], values, *rows[0][1:4])
    width = len(TARGET_FIELDS)
    taken = []
    for row in rows:
        if row[4] is None:
            continue
        target = target_from_row(row[4 : 4 + width])
        claim_id, lease_expires, index, _, slots = row[4 + width :]
        _attach(
            target,
            [_destination(target.pk, [None, *slot]) for slot in slots],
        )
        taken.append(Taken(claim_id, lease_expires, index, target))
    return taken


def _mark_passed_over(variant, values, fresh_before, retry_before, retry_created):
    """Mark what a PostgreSQL claim passed over as suppressed, within the
    bounds of what it examined. The claim is committed by then: a marking
    that fails (a statement timeout over a great many targets, say) is
    logged and rolled back, and only costs the next claims the lookups the
    marks would have saved them."""
    marking = _marking_postgresql(*variant)
    values = {**values, "fresh_before": fresh_before}
    values.update(retry_before=retry_before, retry_created=retry_created)
    params = marking.params(**values)
    native, firsts = marking.numbered
    try:
        with transaction.atomic():
            rawsql.rows(
                marking.sql,
                params,
                native=(native, [params[i] for i in firsts]),
                prepare=True,
            )
    except DatabaseError:
        logger.warning("marking the targets a claim passed over failed", exc_info=True)


@contextlib.contextmanager
def _write_transaction(db):
    """SQLite's write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` sent to
    the driver, the statements Django's ``atomic()`` sends, without its
    bookkeeping (a fifth of a claim's Python time). Inside an open
    ``atomic()`` block, a savepoint of it as usual."""
    if db.in_atomic_block or not db.get_autocommit():
        with transaction.atomic(using=db.alias):
            yield db.connection
        return
    db.ensure_connection()
    raw = db.connection
    with db.wrap_database_errors:
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield raw
            raw.execute("COMMIT")
        except BaseException:
            raw.execute("ROLLBACK")
            raise


def _sqlite_time(value: datetime) -> str:
    """As Django's SQLite backend stores an aware time: naive UTC text
    (``str()`` of the naive time: no fraction when it is zero)."""
    return value.astimezone(UTC).isoformat(" ")[:-6]  # without "+00:00"


class _DayEnds:
    """The next local midnight of each zone the claims of this process have
    met (where the daily cap's count of a target in that zone starts
    again), with its stored text. An end is used from the time it was
    worked out until it passes."""

    def __init__(self):
        self.ends: dict[str, tuple[datetime, datetime, str]] = {}

    def at(self, zone: str, now: datetime, day_end) -> tuple[datetime, str]:
        found = self.ends.get(zone)
        if found is None or not found[0] <= now < found[1]:
            end = day_end(zone, now)
            found = self.ends[zone] = (now, end, _sqlite_time(end))
        return found[1], found[2]


_DAY_ENDS = _DayEnds()


@dataclass(frozen=True)
class _SqliteClaim:
    """A SQLite claim's statements, made once per variant of the policy."""

    pick: str
    # The pick's parameters from the claim's values, in _PICK_VALUES order.
    place: operator.itemgetter
    take: str  # marks one picked target, found by its row id


_PICK_VALUES = (
    "outdial",
    "cutoff",
    "now",
    "limit",
    "zones",
    "cap",
    "maxima_key",
    *(f"maximum_{index}" for index in DESTINATION_SLOTS),
)


@functools.cache
def _sqlite_claim(hours: bool, cap: bool, lists: bool) -> _SqliteClaim:
    pick = _claim_statement("sqlite", hours, cap, lists)
    targets = _quoted()[0]
    # Constants are written in: a bound value compared with a column of a
    # partial index's condition (status) makes SQLite plan the statement
    # again at every run.
    progressing, idle = _literal(TargetStatus.PROGRESSING), _literal(TargetStatus.IDLE)
    take = (
        f"UPDATE {targets} SET status = {progressing}, settled_outcome = '',"
        " tm_last_attempt = ?, tm_update = ?, tries = tries + 1,"
        " day_attempts = ?, tm_day_end = COALESCE(?, tm_day_end)"
        f" WHERE rowid = ? AND status = {idle}"
    )
    place = operator.itemgetter(*(_PICK_VALUES.index(name) for name, _ in pick.slots))
    return _SqliteClaim(pick.sql, place, take)


@functools.cache
def _sqlite_writes(count: int) -> tuple[str, str]:
    """The try counts' UPDATE and the attempts' INSERT of ``count`` claims."""
    _, destinations, attempts = _quoted()
    marks = ", ".join("?" * count)
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?, '', ?, ?)"] * count)
    return (
        f"UPDATE {destinations} SET try_count = try_count + 1 WHERE id IN ({marks})",
        f"INSERT INTO {attempts} (id, outdial_id, outdial_target_id,"
        " destination_index, address, try_count, max_try_counts, outcome,"
        f" lease_expires, tm_start) VALUES {rows}",
    )


def sqlite_statements(lists: bool = False) -> tuple[_SqliteClaim, str, str]:
    """A SQLite claim of one target with no policy, as it is sent: the pick
    (with its parameters' order), the target's update, the try count's and
    the attempt's. The claim benchmark sends them through the bare driver,
    to show what the claim costs with no framework at all."""
    return _sqlite_claim(False, False, lists), *_sqlite_writes(1)


_WIDTH = len(TARGET_FIELDS)
# Where a picked row holds what the claim reads of it (after the row id).
_LAST_ATTEMPT = 1 + _TARGET_NAMES.index("tm_last_attempt")
_CREATED = 1 + _TARGET_NAMES.index("tm_create")


def claim_sqlite(
    outdial_id, maxima, limit, lease_seconds, cutoff, now_fn, conditions, day_end
):
    """Inside one IMMEDIATE transaction (SQLite's single write lock is held
    from its BEGIN), through the driver's cursor: the pick, a read
    (:func:`_sqlite_pick`), then the writes, each a plain statement: the
    targets, the try counts, the attempts. ``conditions``: the policy's
    part (``policy.ClaimConditions``); ``day_end(zone, now)``: when the
    daily count of a target in ``zone`` starts again. As on PostgreSQL,
    an outdial no suppression list applied to lately is claimed without
    the lists' parts (:data:`LISTS_SEEN`); if one applies after all, the
    claim takes nothing and runs again with them."""
    args = (outdial_id, maxima, limit, lease_seconds, cutoff, now_fn, conditions)
    taken = _claim_sqlite(*args, day_end, lists=_lists_apply(outdial_id))
    if taken is None:
        _note_lists(outdial_id)
        taken = _claim_sqlite(*args, day_end, lists=True)
    return taken


def _note_lists(outdial_id) -> None:
    """Suppression lists apply to the outdial: its claims use them."""
    if len(_listed) > 10_000:  # many outdials since: forget the old ones
        _listed.clear()
    _listed[outdial_id] = time.monotonic()


def _claim_sqlite(
    outdial_id,
    maxima,
    limit,
    lease_seconds,
    cutoff,
    now_fn,
    conditions,
    day_end,
    lists: bool,
) -> list | None:
    """One claim at the ``lists`` variant; ``None`` when it was without the
    lists and one applies."""
    hours, cap = conditions.zones is not None, conditions.daily_cap is not None
    claim = _sqlite_claim(hours, cap, lists)
    # Compiled outside the transaction; none is passed over without a list.
    markings = _marking_sqlite(hours, cap) if lists else None
    maxima = tuple(maxima)
    key = maxima_key(maxima)
    outdial_key = outdial_id.hex
    cutoff_text = _sqlite_time(cutoff)
    default_zone = conditions.default_zone
    db = connections[DEFAULT_DB_ALIAS]
    with _write_transaction(db) as raw:
        # The clock is read once the write lock is ours: an attempt then
        # never starts before the previous one on the same target ended.
        now = now_fn()
        stamp = _sqlite_time(now)
        cursor = raw.cursor()
        values = (outdial_key, cutoff_text, stamp, limit, conditions.zones)
        values += (conditions.daily_cap, key, *maxima)
        rows = cursor.execute(claim.pick, claim.place(values)).fetchall()

        def mark_passed_over(last):
            # The targets this claim passed over as suppressed, up to the
            # last one it took (``last``: its row; all it examined when it
            # took fewer than its limit).
            bounds = _bounds(
                None if last is None or len(rows) < limit else _row_place(last)
            )
            values = {
                "outdial": outdial_key,
                "cutoff": cutoff_text,
                "now": stamp,
                "latest": _sqlite_time(now + RECHECK),
                "zones": conditions.zones,
                "cap": conditions.daily_cap,
                "maxima_key": key,
                **_maxima_names(maxima),
                **{name: _sqlite_time(bound) for name, bound in bounds.items()},
            }
            selections, marking = markings
            ids = [
                found
                for selection in selections
                for (found,) in cursor.execute(
                    selection.sql, selection.params(**values)
                ).fetchall()
            ]
            if ids:
                values["ids"] = json.dumps(ids)
                cursor.execute(marking.sql, marking.params(**values))

        if not rows:
            # Nothing is picked while the outdial holds an overdue lease,
            # nor, without the lists, while one applies.
            if overdue(outdial_id, now).exists():
                raise Overdue
            if not lists:
                applying = SuppressionList.objects.applying_to(outdial_id)
                return None if applying.exists() else []
            mark_passed_over(None)
            return []
        if len(rows) > 1:  # in claim order
            rows.sort(key=_claim_order)
        chosen, takes = [], []
        for row in rows:
            target = target_from_row(row[1 : 1 + _WIDTH])
            slots = sorted(json.loads(row[1 + _WIDTH]), key=_slot_index)
            found = [_destination(target.pk, slot[:-1]) for slot in slots]
            _attach(target, found)
            # The first destination the statement found dialable: attempts
            # left and not suppressed.
            for destination, slot in zip(found, slots, strict=True):
                if slot[-1]:
                    chosen.append((target, destination))
                    break
            else:
                raise Contended  # never expected: rolls back
            # The daily count: one more today, or the first of a new local
            # day, which ends at the next midnight in the target's zone.
            if target.tm_day_end is not None and target.tm_day_end > now:
                target.day_attempts += 1
                day_end_text = None  # kept
            else:
                target.day_attempts = 1
                target.tm_day_end, day_end_text = _DAY_ENDS.at(
                    target.time_zone or default_zone, now, day_end
                )
            target.status = _PROGRESSING
            target.settled_outcome = ""
            target.tm_last_attempt = target.tm_update = target.attempt_key = now
            target.tries += 1
            takes.append((stamp, stamp, target.day_attempts, day_end_text, row[0]))
        if len(takes) == 1:
            cursor.execute(claim.take, takes[0])
        else:
            cursor.executemany(claim.take, takes)
        if cursor.rowcount != len(takes):
            raise Contended  # never expected (the lock is held): rolls back
        bump, log = _sqlite_writes(len(chosen))
        cursor.execute(bump, [destination.pk for _, destination in chosen])
        claim_ids = [uuid.uuid4() for _ in chosen]
        maxima_json = _json_list(maxima)
        lease_expires = now + timedelta(seconds=lease_seconds)
        lease = _sqlite_time(lease_expires)
        logged = []
        for claim_id, (target, destination) in zip(claim_ids, chosen, strict=True):
            destination.try_count += 1
            logged += (
                claim_id.hex,
                outdial_key,
                target.pk.hex,
                destination.index,
                destination.target,
                destination.try_count,
                maxima_json,
                lease,
                stamp,
            )
        cursor.execute(log, logged)
        if rows[-1][-1]:  # a suppression entry may apply
            mark_passed_over(rows[-1])
    return [
        Taken(claim_id, lease_expires, destination.index, target, destination)
        for claim_id, (target, destination) in zip(claim_ids, chosen, strict=True)
    ]


_PROGRESSING = str(TargetStatus.PROGRESSING)


def _slot_index(slot: list) -> int:
    return slot[1]


def _claim_order(row) -> tuple:
    """Never attempted first, then least recently; then oldest."""
    picked_at = row[_LAST_ATTEMPT]
    return (picked_at is not None, picked_at or _NEVER_TRIED, row[_CREATED])


_NEVER_TRIED = datetime.min


def _row_place(row) -> tuple[datetime | None, datetime]:
    """A picked row's place in claim order, as it was before the claim."""
    picked_at = row[_LAST_ATTEMPT]
    return (
        None if picked_at is None else _from_sqlite_time(picked_at),
        _from_sqlite_time(row[_CREATED]),
    )


def _from_sqlite_time(value: str | datetime) -> datetime:
    """A time the driver answered: converted (a column) or text (a subquery's)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=64)
def _maxima_names(maxima: tuple) -> dict:
    return {f"maximum_{i}": m for i, m in enumerate(maxima)}


@functools.lru_cache(maxsize=64)
def _json_list(values: tuple) -> str:
    return json.dumps(list(values))


@functools.cache
def _result_statement() -> str:
    targets, destinations, attempts = _quoted()
    slot = (
        'json_build_array(d."index", d.type, d.target, d.target_name, d.name,'
        " d.detail, d.try_count)"
    )
    # The target's new status is judged as dialing._status_after judges it:
    # idle while a destination has attempts left under the claim's maxima
    # and the outcome reached nobody (or a callback was asked for), else
    # done. An idle target waits for its next-attempt time (a retry delay or
    # the callback), given by the caller; a done one has none.
    return (
        "WITH found AS MATERIALIZED (SELECT a.id, a.outcome, a.lease_expires,"
        f" a.outdial_target_id FROM {attempts} a WHERE a.id = %s"
        " AND a.outdial_id = %s AND a.outdial_target_id = %s),"
        f" settled AS (UPDATE {attempts} a SET outcome = %s,"
        " tm_end = GREATEST(clock_timestamp(), %s::timestamptz)"
        " FROM found f WHERE a.id = f.id"
        " AND a.outcome = '' AND a.lease_expires > %s"
        " RETURNING a.outdial_target_id, a.max_try_counts, a.tm_end),"
        " judged AS MATERIALIZED (SELECT s.outdial_target_id, s.tm_end,"
        " (%s <> 'answered' OR %s) AND EXISTS (SELECT 1"
        f" FROM {destinations} d WHERE d.outdial_target_id = s.outdial_target_id"
        ' AND d.try_count < (s.max_try_counts ->> d."index"::int)::int) AS again'
        " FROM settled s),"
        f" moved AS (UPDATE {targets} t SET status = CASE WHEN j.again"
        " THEN 'idle' ELSE 'done' END, settled_outcome = %s, last_outcome = %s,"
        " tm_update = j.tm_end,"
        " tm_next_attempt = CASE WHEN j.again THEN %s::timestamptz END"
        " FROM judged j WHERE t.id = j.outdial_target_id"
        " AND t.status = 'progressing'"
        " RETURNING t.status, t.settled_outcome, t.tm_update, t.tm_next_attempt,"
        " t.last_outcome)"
        " SELECT f.outcome, f.lease_expires, (SELECT count(*) FROM settled),"
        " m.status, m.settled_outcome, m.tm_update, m.tm_next_attempt,"
        " m.last_outcome,"
        f" {_columns(TARGET_FIELDS, 't')},"
        f' (SELECT json_agg({slot} ORDER BY d."index") FROM {destinations} d'
        " WHERE d.outdial_target_id = t.id)"
        f" FROM found f JOIN {targets} t ON t.id = f.outdial_target_id"
        " LEFT JOIN moved m ON true"
    )


@dataclass
class Settling:
    """What the result statement found and did."""

    outcome: str  # the attempt's outcome before this statement
    lease_expires: datetime
    settled: bool
    target: OutdialTarget


def settle_postgresql(
    outdial_id, target_id, claim_id, outcome, now, *, callback=False, next_attempt=None
) -> Settling | None:
    """Settle an open, unexpired claim in one statement (autocommit: its own
    transaction) and answer the target as it now stands; ``None`` when the
    outdial has no such claim on that target. ``callback``: the result asks
    for another attempt (idle while attempts remain, even if answered);
    ``next_attempt``: when an idle target may be tried again."""
    rows = rawsql.rows(
        _result_statement(),
        [
            claim_id,
            outdial_id,
            target_id,
            outcome,
            now,
            now,
            outcome,
            callback,
            outcome,
            outcome,
            next_attempt,
        ],
        prepare=True,
    )
    if not rows:
        return None
    row = rows[0]
    previous, lease_expires, settled, status, settled_outcome, tm_update = row[:6]
    tm_next_attempt, last_outcome = row[6:8]
    target = target_from_row(row[8:-1])
    _attach(target, [_destination(target.pk, [None, *slot]) for slot in row[-1]])
    if status is not None:
        target.status, target.settled_outcome = status, settled_outcome
        target.tm_update, target.tm_next_attempt = tm_update, tm_next_attempt
        target.last_outcome = last_outcome
    return Settling(previous, lease_expires, bool(settled), target)


@functools.cache
def _sqlite_result_statements() -> tuple[str, str]:
    """SQLite's result: settle the open, unexpired attempt and judge (as
    ``dialing._status_after``) whether a destination has attempts left under
    the claim's maxima; then move the target and answer it with its
    destinations. Constants compared with a partial index's column are
    written in (see :func:`_sqlite_claim`)."""
    targets, destinations, attempts = _quoted()
    settle = (
        f"UPDATE {attempts} SET outcome = ?, tm_end = ? WHERE id = ?"
        " AND outdial_id = ? AND outdial_target_id = ? AND outcome = ''"
        " AND lease_expires > ? RETURNING EXISTS (SELECT 1"
        f" FROM {destinations} d WHERE d.outdial_target_id = ?"
        " AND d.try_count < json_extract(max_try_counts,"
        " '$[' || d.\"index\" || ']'))"
    )
    slot = (
        'json_array(d.id, d."index", d.type, d.target, d.target_name, d.name,'
        " d.detail, d.try_count)"
    )
    move = (
        f"UPDATE {targets} SET status = ?, settled_outcome = ?, last_outcome = ?,"
        " tm_update = ?, tm_next_attempt = ? WHERE id = ?"
        f" AND status = {_literal(TargetStatus.PROGRESSING)}"
        f" RETURNING {_columns(TARGET_FIELDS, targets)},"
        f" (SELECT json_group_array({slot}) FROM {destinations} d"
        f" WHERE d.outdial_target_id = {targets}.id)"
    )
    return settle, move


def settle_sqlite(
    outdial_id, target_id, claim_id, outcome, now, *, callback=False, next_attempt=None
) -> OutdialTarget | None:
    """Settle an open, unexpired claim in two statements inside one IMMEDIATE
    transaction and answer the target as it now stands; ``None`` (changing
    nothing) when there is no such claim to settle, for the caller to judge
    why. ``callback`` and ``next_attempt`` as for :func:`settle_postgresql`."""
    settle, move = _sqlite_result_statements()
    stamp = _sqlite_time(now)
    db = connections[DEFAULT_DB_ALIAS]
    with _write_transaction(db) as raw:
        cursor = raw.cursor()
        found = cursor.execute(
            settle,
            [
                outcome,
                stamp,
                claim_id.hex,
                outdial_id.hex,
                target_id.hex,
                stamp,
                target_id.hex,
            ],
        ).fetchone()
        if found is None:
            return None
        again = found[0] and (callback or outcome != AttemptOutcome.ANSWERED)
        status = TargetStatus.IDLE if again else TargetStatus.DONE
        following = next_attempt if again else None
        row = cursor.execute(
            move,
            [
                str(status),
                outcome,
                outcome,
                stamp,
                None if following is None else _sqlite_time(following),
                target_id.hex,
            ],
        ).fetchone()
        if row is None:
            raise Contended  # never expected (the target was held): rolls back
    target = target_from_row(row[:-1])
    slots = sorted(json.loads(row[-1]), key=_slot_index)
    _attach(target, [_destination(target.pk, slot) for slot in slots])
    return target
