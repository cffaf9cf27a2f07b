"""Targets out as CSV: the columns the importer reads, then what the server keeps.

The API's export, the ``export_targets`` command and the admin call this module.
Rows are read in keyset chunks of :data:`CHUNK` targets (targets with their
last attempt, then their destinations a few hundred targets at a time), so an
export of a million targets holds one chunk in memory and makes no per-row
query.
Each chunk seeks past the last one with the row-value keyset of ``paging.py``
(the index goes straight to it), so exporting is linear in the list's size.
"""

import csv
import re
from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from .models import DESTINATION_SLOTS, Attempt, AttemptOutcome, DialingPolicy
from .paging import beyond
from .policy import DEFAULT_TIME_ZONE
from .queries import destination_slots
from .timestamps import format_ts
from .validators import E164

CHUNK = 2000
# Targets whose destinations one statement reads: with a few thousand ids
# PostgreSQL guesses a sequential scan of every destination is cheaper, and a
# chunk then costs as much as the whole table, so an export grows with the
# square of its size; a few hundred keep it on the index.
SLOTS_BATCH = 200
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one

TEXT_COLUMNS = ("name", "detail", "data")
DESTINATION_COLUMNS = tuple(f"destination_{n}" for n in DESTINATION_SLOTS)
# A cell a spreadsheet would run as a formula (OWASP's list), behind any
# number of quotes already: "'=1" must also gain one, or the importer, which
# takes exactly one quote off, would turn it into "=1".
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def import_columns() -> list[str]:
    """The columns the importer reads, in the order the export writes them."""
    columns = list(TEXT_COLUMNS)
    for n in DESTINATION_SLOTS:
        columns += [
            f"destination_{n}",
            f"destination_{n}_type",
            f"destination_{n}_name",
        ]
    return columns + ["timezone"]


def export_columns() -> list[str]:
    """Every column of an export: the import columns, then the server's own."""
    return (
        import_columns()
        + ["id", "status"]
        + [f"try_count_{n}" for n in DESTINATION_SLOTS]
        + ["tm_create", "tm_update", "last_attempt_outcome", "last_attempt_time"]
    )


def guard_cell(value: str, column: str) -> str:
    """``value`` as a spreadsheet will show it rather than run it: a cell that
    starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``; an E.164 number in a destination column stays as it is."""
    if value and _NEEDS_GUARD.match(value):
        if column in DESTINATION_COLUMNS and E164.fullmatch(value):
            return value
        return "'" + value
    return value


def unguard_cell(value: str) -> str:
    """The inverse of :func:`guard_cell`, which the importer applies to every
    cell: exactly one leading ``'`` comes off a guarded cell."""
    if value[:1] == "'" and _GUARDED.match(value):
        return value[1:]
    return value


class _Echo:
    """A file whose ``write`` hands the line back, so ``csv.writer.writerow``
    returns the formatted line instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def _last_attempt(field: str) -> Subquery:
    newest = Attempt.objects.filter(outdial_target=OuterRef("pk")).order_by(
        "-tm_start", "-id"
    )
    return Subquery(newest.values(field)[:1])


def _time_zone() -> Coalesce:
    """The zone the dialing rules use for a target: its own, else its
    outdial policy's default (see ``outdials.policy``)."""
    default = DialingPolicy.objects.filter(outdial_id=OuterRef("outdial_id"))
    return Coalesce(
        NullIf("time_zone", Value("")),
        Subquery(default.values("time_zone")[:1]),
        Value(DEFAULT_TIME_ZONE),
    )


def _line(writer, target, slots: list) -> str:
    (
        target_id,
        name,
        detail,
        data,
        status,
        tm_create,
        tm_update,
        zone,
        outcome,
        attempted,
    ) = target
    cells = [guard_cell(name, "name"), guard_cell(detail, "detail")]
    cells.append(guard_cell(data, "data"))
    try_counts = []
    for n, slot in zip(DESTINATION_SLOTS, slots, strict=True):
        if slot is None:
            cells += ["", "", ""]
            try_counts.append("0")
            continue
        type_, address, target_name, _name, _detail, try_count = slot
        cells.append(guard_cell(address, DESTINATION_COLUMNS[n]))
        cells.append(type_)
        cells.append(guard_cell(target_name, f"destination_{n}_name"))
        try_counts.append(str(try_count))
    cells.append(zone)
    cells += [str(target_id), status, *try_counts]
    cells += [format_ts(tm_create), format_ts(tm_update)]
    if attempted is None:
        cells += ["", ""]
    else:
        cells += [outcome or AttemptOutcome.PENDING.label, format_ts(attempted)]
    return writer.writerow(cells)


def iter_csv(queryset: QuerySet) -> Iterator[str]:
    """The targets of ``queryset`` as CSV lines (``\\r\\n``-terminated), the
    header first, oldest target first (so an imported file keeps its order)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(export_columns())
    ordered = queryset.order_by("tm_create", "pk").annotate(
        newest_outcome=_last_attempt("outcome"),
        last_time=_last_attempt("tm_start"),
        zone=_time_zone(),
    )
    fields = ("id", "name", "detail", "data", "status", "tm_create", "tm_update")
    after = None
    while True:
        page = ordered if after is None else beyond(ordered, after, older=False)
        rows = list(
            page.values_list(*fields, "zone", "newest_outcome", "last_time")[:CHUNK]
        )
        if not rows:
            return
        ids = [row[0] for row in rows]
        slots = []
        for start in range(0, len(ids), SLOTS_BATCH):
            slots += destination_slots(ids[start : start + SLOTS_BATCH])
        for row, five in zip(rows, slots, strict=True):
            yield _line(writer, row, five)
        after = (rows[-1][5], rows[-1][0])


def iter_chunks(queryset: QuerySet, lines_per_chunk: int = 500) -> Iterator[str]:
    """:func:`iter_csv` with a BOM in front, in chunks of lines: what a
    streaming response or a file writer wants."""
    yield BOM
    yield from _batched(iter_csv(queryset), lines_per_chunk)


def _batched(lines: Iterable[str], size: int) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)
