"""The write: one transaction, the driver's bulk path, no per-row query.

``COPY`` on PostgreSQL, ``executemany`` on SQLite: ``bulk_create`` costs 3–4×
as much (``benchmarks/import.py`` measures the write beside its floor).
"""

import pickle
import secrets
import uuid
from datetime import timedelta
from random import getrandbits

from django.db import connection
from django.utils import timezone

from ..models import Destination, ImportBatch, Outdial, OutdialTarget
from ..queries import SLOT_FIELDS
from ..targets import NEW_STATUS
from . import updating
from .checking import Plan, existing_keys
from .report import ImportRejected, ImportReport, reject

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
                "detail",
                "data",
                "external_id",
                "status",
                "tm_create",
                "tm_update",
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


def write(outdial, plan: Plan, *, started, options, progress) -> ImportBatch:
    report = plan.report
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
    conflicts = (
        _late_conflicts(outdial, started, plan)
        if options["on_duplicate"] != "allow"
        else set()
    )
    batch = ImportBatch.objects.create(
        outdial=outdial,
        created_by=options["created_by"],
        created_by_name=options["created_by_name"][:255],
        file_name=options["file_name"][:255],
    )
    writer = _Writer()
    # Each target its own tm_create, consecutive microseconds in file order:
    # a client that builds its page token from an item's tm_create (VoIPbin's
    # way) then never skips or repeats a row of the import.
    first = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    outdial_id, batch_id = outdial.pk.hex, batch.pk.hex
    base = _id_base()
    counter = 0
    written = 0
    total = report.created
    for chunk in _chunks(plan.spool):
        targets, destinations = [], []
        for row, name, detail, data, slots, keys, external_id in chunk:
            if conflicts and not conflicts.isdisjoint(keys):
                late = next(key for key in keys if key in conflicts)
                _late_duplicate(report, row, slots, keys, late, options)
                continue
            stamp = adapt(first + timedelta(microseconds=counter))
            counter += 1
            target_id = f"{base | counter << 32 | getrandbits(32):032x}"
            targets.append(
                (target_id, outdial_id, batch_id, name, detail, data, external_id)
                + (NEW_STATUS, stamp, stamp)
            )
            for n, type_, address, target_name in slots:
                destinations.append(
                    (target_id, n, type_, address, target_name, "", "", 0)
                )
        writer.write(targets, destinations)
        written += len(targets)
        if progress:
            progress("write", written, total)
    if plan.updates:
        updating.apply(batch, plan.updates, report)
    if report.invalid and options["on_error"] == "abort":
        raise invalid_rows(report)
    batch.rows = report.rows
    batch.created = report.created
    batch.updated = report.updated
    batch.unchanged = report.unchanged
    batch.duplicates = report.duplicates
    batch.invalid = report.invalid
    report.import_id = batch.pk
    batch.report = report.as_dict()
    batch.save(
        update_fields=[
            "rows",
            "created",
            "updated",
            "unchanged",
            "duplicates",
            "invalid",
            "report",
        ]
    )
    return batch


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
