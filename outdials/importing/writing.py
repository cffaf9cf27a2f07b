"""The write: all or nothing, the driver's bulk path, no per-row query.

``COPY`` on PostgreSQL, ``executemany`` on SQLite: ``bulk_create`` costs 3–4×
as much (``benchmarks/import.py`` measures the write beside its floor).

PostgreSQL writes in one transaction: readers never wait on it, and a killed
process leaves nothing. SQLite has one writer at a time, so one long
transaction would make every other write wait (or fail with "database is
locked"); there the import writes its targets *staged* (``tm_delete`` set to
:data:`STAGED`, so no list, count or claim sees them) in short transactions,
and one UPDATE publishes them all at the end. A failed, cancelled or killed
import's staged rows are removed (:func:`discard_staged`).

That UPDATE holds SQLite's write lock while it enters every row into the
targets' seven partial indexes of live rows: other writers wait
(readers do not, in WAL; a request waits when it writes, such as a rate
counter). It is not split: each chunk would be visible (and claimable) once
committed, before the import is whole or has passed its last checks. Hiding
written rows behind their batch's state instead would make "live" a test
against the batches on every read: a partial index cannot name another
table, so every page, count, summary (no longer index-only) and claim would
test each row it reads.
"""

import pickle
import secrets
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from random import getrandbits

from django.db import connection, transaction
from django.utils import timezone

from .. import jobs
from ..models import Destination, ImportBatch, JobStatus, Outdial, OutdialTarget
from ..queries import SLOT_FIELDS
from ..search import joined_addresses
from ..targets import NEW_STATUS
from . import updating
from .checking import Plan, existing_keys
from .report import ImportRejected, ImportReport, reject

# The deletion time of a staged target: not live, so invisible everywhere.
STAGED = datetime(1970, 1, 1, tzinfo=UTC)
DISCARD_CHUNK = 5000

# Another writer may commit targets into the outdial between the check and the
# write; the write looks again at the targets created this long before the
# import started (the longest write transaction it expects).
LATE_WINDOW = timedelta(minutes=15)


def _chunks(spool):
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


class _Writer:
    """Inserts targets and destinations through the driver, not the ORM."""

    def __init__(self):
        connection.ensure_connection()
        quote = connection.ops.quote_name
        target_meta, destination_meta = OutdialTarget._meta, Destination._meta
        self.target_columns = [
            target_meta.get_field(name).column
            for name in (
                "id",
                "outdial",
                "import_batch",
                "name",
                "addresses",
                "detail",
                "data",
                "external_id",
                "status",
                "tm_create",
                "tm_update",
                "tm_delete",
                "time_zone",
            )
        ]
        # Every column of a destination, in the order the read path reads them.
        self.destination_columns = [
            destination_meta.get_field(name).column for name in SLOT_FIELDS
        ]
        self.tables = (
            quote(target_meta.db_table),
            quote(destination_meta.db_table),
        )
        self.postgres = connection.vendor == "postgresql"

    def _sql(self, table, columns, placeholder):
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.postgres:
            return f"COPY {table} ({names}) FROM STDIN"
        marks = ", ".join([placeholder] * len(columns))
        return f"INSERT INTO {table} ({names}) VALUES ({marks})"

    def write(self, targets: list, destinations: list) -> None:
        if self.postgres:
            with connection.cursor() as wrapper:
                cursor = wrapper.cursor
                for table, columns, rows in (
                    (self.tables[0], self.target_columns, targets),
                    (self.tables[1], self.destination_columns, destinations),
                ):
                    with cursor.copy(self._sql(table, columns, "")) as copy:
                        for values in rows:
                            copy.write_row(values)
            return
        if connection.vendor == "sqlite":
            # The raw sqlite3 connection, inside Django's open transaction.
            cursor, mark = connection.connection, "?"
        else:
            cursor, mark = connection.cursor(), "%s"
        cursor.executemany(
            self._sql(self.tables[0], self.target_columns, mark), targets
        )
        cursor.executemany(
            self._sql(self.tables[1], self.destination_columns, mark), destinations
        )


def _id_base() -> int:
    """The high bits of one import's ids: 60 random bits, laid out as a version
    4 UUID. A row counter and 32 more random bits fill the rest, so the ids sort
    in file order: rows that share a ``tm_create`` still list and export in
    the order of the file."""
    value = uuid.UUID(int=secrets.randbits(64) << 64, version=4).int
    return value & ~((1 << 62) - 1)


def _late_conflicts(outdial, started, plan: Plan) -> set:
    """Addresses of this import's rows that another writer added meanwhile
    (each brought by one row: a later row with it was a duplicate)."""
    brought = plan.seen.brought
    return {
        key
        for key in existing_keys(outdial, since=started - LATE_WINDOW)
        if key in brought
    }


def staged_writes() -> bool:
    """Whether imports write staged in short transactions (SQLite)."""
    return connection.vendor == "sqlite"


def write(
    outdial, plan: Plan, *, started, options, progress, batch=None, tracker=None
) -> ImportBatch:
    """Write ``plan`` into ``outdial``; answers the import's batch, ``done``.

    ``batch``/``tracker``: the job's own (queued by ``background``); without
    them the import makes its batch here and tracks it itself."""
    own = batch is None
    if own:
        now = timezone.now()
        batch = ImportBatch.objects.create(
            outdial=outdial,
            status=JobStatus.RUNNING,
            created_by=options["created_by"],
            created_by_name=options["created_by_name"][:255],
            file_name=options["file_name"][:255],
            params=options["params"],
            tm_start=now,
            tm_heartbeat=now,
        )
        tracker = jobs.Tracker(batch).__enter__()
    staged = staged_writes()
    try:
        if staged:
            _write(outdial, plan, batch, tracker, started, options, progress, staged)
        else:
            with transaction.atomic():
                _write(
                    outdial, plan, batch, tracker, started, options, progress, staged
                )
    except BaseException:
        tracker.stop()
        if staged:
            discard_staged(batch)
        if own:
            # As before imports were jobs: a direct import that fails leaves
            # no trace (a job's failure stays in its history, with why).
            ImportBatch.objects.filter(pk=batch.pk).delete()
        raise
    return batch


def _write(outdial, plan, batch, tracker, started, options, progress, staged):
    report = plan.report
    step = transaction.atomic if staged else nullcontext
    with step():
        _lock_live(outdial, report)
        conflicts = (
            _late_conflicts(outdial, started, plan)
            if options["on_duplicate"] != "allow"
            else set()
        )
    writer = _Writer()
    # Each target its own tm_create, consecutive microseconds in file order:
    # a client that builds its page token from an item's tm_create (VoIPbin's
    # way) then never skips or repeats a row of the import.
    now = first = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    hidden = adapt(STAGED) if staged else None
    outdial_id, batch_id = outdial.pk.hex, batch.pk.hex
    base = _id_base()
    counter = 0
    written = 0
    total = report.created
    tracker.update(written=0, total=total)
    for chunk in _chunks(plan.spool):
        targets, destinations = [], []
        for row, name, detail, data, slots, keys, external_id, zone in chunk:
            if conflicts and not conflicts.isdisjoint(keys):
                late = next(key for key in keys if key in conflicts)
                _late_duplicate(report, row, slots, keys, late, options)
                continue
            stamp = adapt(first + timedelta(microseconds=counter))
            counter += 1
            target_id = f"{base | counter << 32 | getrandbits(32):032x}"
            addresses = joined_addresses(address for _n, _t, address, _tn in slots)
            targets.append(
                (target_id, outdial_id, batch_id, name, addresses, detail, data)
                + (external_id, NEW_STATUS, stamp, stamp, hidden, zone)
            )
            for n, type_, address, target_name in slots:
                destinations.append(
                    (target_id, n, type_, address, target_name, "", "", 0)
                )
        with step():
            writer.write(targets, destinations)
        written += len(targets)
        tracker.update(written=written, total=total)
        if progress:
            progress("write", written, total)
    if report.invalid and options["on_error"] == "abort":
        raise invalid_rows(report)
    if plan.updates and not staged:
        updating.apply(batch, plan.updates, report)
    # The heartbeat's connection must not wait on the row lock taken below
    # (on SQLite, on the write lock the publishing transaction holds).
    tracker.stop()
    with step():
        if staged:
            _lock_live(outdial, report)
            _refuse_meanwhile(outdial, now, plan, conflicts, report)
            if plan.updates:
                updating.apply(batch, plan.updates, report)
            OutdialTarget.objects.filter(import_batch=batch, tm_delete=STAGED).update(
                tm_delete=None
            )
        report.import_id = batch.pk
        fields = jobs.finish_fields(
            batch,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            duplicates=report.duplicates,
            invalid=report.invalid,
            report=report.as_dict(),
            checked=report.rows,
            written=written,
            total=total,
        )
        if not ImportBatch.objects.filter(pk=batch.pk, status=JobStatus.RUNNING).update(
            **fields
        ):
            raise jobs.JobCancelled
        for name, value in fields.items():
            setattr(batch, name, value)


def _lock_live(outdial, report) -> None:
    # Imports into one outdial take turns here. NO KEY UPDATE, unlike FOR UPDATE,
    # lets targets and attempts that reference the outdial go on being inserted
    # (claims keep working) while a large import writes.
    locked = (
        Outdial.objects.select_for_update(no_key=True)
        .filter(pk=outdial.pk)
        .live()
        .first()
    )
    if locked is None:
        raise reject(
            "OUTDIAL_DELETED",
            "The outdial was deleted during the import; nothing was written.",
            409,
            report,
        )


def _refuse_meanwhile(outdial, since, plan: Plan, conflicts, report) -> None:
    """Staged writes do not hold the outdial: another import may have added
    some of the same addresses while this one wrote. Then nothing is kept."""
    brought = plan.seen.brought
    for key in existing_keys(outdial, since=since):
        if key in brought and key not in conflicts:
            raise reject(
                "IMPORT_CONFLICT",
                "Another import added some of the same addresses to this outdial "
                "while this one was written, so nothing was imported; import "
                "the file again (its duplicates will then be skipped).",
                409,
                report,
            )


def discard_staged(batch: ImportBatch) -> int:
    """Remove the staged (never published) targets of ``batch``, in short
    transactions; answers how many."""
    removed = 0
    staged = OutdialTarget.objects.filter(import_batch=batch, tm_delete=STAGED)
    while True:
        with transaction.atomic():
            ids = list(staged.values_list("pk", flat=True)[:DISCARD_CHUNK])
            if not ids:
                return removed
            Destination.objects.filter(outdial_target_id__in=ids).delete()
            OutdialTarget.objects.filter(pk__in=ids).delete()
        removed += len(ids)


jobs.on_lost(
    ImportBatch, message="Nothing of the import was kept; import the file again."
)(discard_staged)


def _late_duplicate(report, row, slots, keys, key, options) -> None:
    n, _type, address, _name = slots[keys.index(key)]
    report.created -= 1
    message = f"{address} was added to this outdial while the file was checked"
    if options["on_duplicate"] == "error":
        report.invalid += 1
        report.error(row, f"destination_{n}", f"{message}.")
    else:
        report.duplicates += 1
        report.warn(row, f"destination_{n}", f"{message}; row skipped.")


def invalid_rows(report: ImportReport) -> ImportRejected:
    first = report.errors[0] if report.errors else {"row": "?"}
    return ImportRejected(
        "INVALID_ROWS",
        f"{report.invalid} of {report.rows} rows are invalid (the first is row "
        f"{first['row']}), so nothing was imported. Fix the rows listed in "
        "details.errors, or pass on_error=skip to import the valid rows only.",
        400,
        report,
    )
