"""CSV imports into an outdial: parse → normalize → validate → dedupe → write.

The API, the staff upload page and the ``import_targets`` command all call
:func:`import_csv` and :func:`undo_import`; none of them re-implements a step.

An import reads the file twice, each time as a stream:

1. A scan of the raw bytes checks the size limit, finds the encoding (a BOM,
   else UTF-8, else Windows-1252) and copies a stream that cannot seek to a
   temporary file.
2. The check reads the rows with the ``csv`` module, normalizes and validates
   every cell with the rules of ``validators.py``, dedupes on the normalized
   address, and spools the rows to create to a temporary file. Nothing has
   been written yet, so ``on_error=abort`` leaves the outdial untouched without
   holding a transaction open while the file is parsed.

Then one transaction writes the spooled rows through the driver's fastest path
(``COPY`` on PostgreSQL, ``executemany`` on SQLite): ``bulk_create`` costs 3–4×
as much (PERF_NOTES). Memory stays flat in the file's length except for the
set of addresses already seen, which dedupe needs.
"""

import codecs
import csv
import io
import itertools
import pickle
import secrets
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from random import getrandbits

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import validators
from .exporting import export_columns, import_columns, unguard_cell
from .models import (
    DESTINATION_SLOTS,
    Attempt,
    Destination,
    ImportBatch,
    Outdial,
    OutdialTarget,
    TargetStatus,
)

ON_DUPLICATE = ("skip", "error", "allow")
ON_ERROR = ("abort", "skip")
MAX_REPORTED = 1000  # errors (and warnings) listed in a report
SPOOL_CHUNK = 5000  # rows per pickled chunk and per write
READ_CHUNK = 1 << 20
# Another writer may commit targets into the outdial between the check and the
# write; the write looks again at the targets created this long before the
# import started (the longest write transaction it expects).
LATE_WINDOW = timedelta(minutes=15)
DELIMITERS = (",", ";", "\t")

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or an abort, would do).

    ``created + duplicates + invalid == rows`` always; ``errors`` and
    ``warnings`` list the first :data:`MAX_REPORTED` of each, with ``row`` as a
    spreadsheet numbers it (the header is row 1).
    """

    rows: int = 0
    created: int = 0
    duplicates: int = 0
    invalid: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    import_id: uuid.UUID | None = None
    unlisted_warnings: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"row": row, "column": column, "message": message})

    def warn(self, row: int, column: str, message: str) -> None:
        if len(self.warnings) < MAX_REPORTED:
            self.warnings.append({"row": row, "column": column, "message": message})
        else:
            self.unlisted_warnings += 1

    def as_dict(self) -> dict:
        warnings = list(self.warnings)
        if self.unlisted_warnings:
            warnings.append(
                {
                    "row": None,
                    "column": "",
                    "message": f"{self.unlisted_warnings} more warnings are not "
                    "listed.",
                }
            )
        return {
            "import_id": str(self.import_id) if self.import_id else None,
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "errors": self.errors,
            "warnings": warnings,
        }


class ImportRejected(Exception):
    """The import wrote nothing: a whole-file problem, a limit, or invalid rows
    under ``on_error=abort``. ``report`` holds what the check found."""

    def __init__(
        self,
        reason: str,
        message: str,
        http_status: int = 400,
        report: ImportReport | None = None,
    ):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.http_status = http_status
        self.report = report if report is not None else ImportReport()


@dataclass(frozen=True)
class UndoResult:
    deleted: int
    kept: int


def _reject(reason, message, status=400, report=None, row=None, column=""):
    report = report if report is not None else ImportReport()
    if row is not None:
        report.error(row, column, message)
    return ImportRejected(reason, message, status, report)


# -- reading the bytes --------------------------------------------------------


@dataclass
class _Source:
    file: io.IOBase  # binary, seekable, positioned anywhere
    start: int
    size: int
    encoding: str
    has_nul: bool


def _binary(stream) -> io.IOBase | None:
    """The seekable binary file behind ``stream`` (a Django ``File`` wraps
    one), or ``None`` when it has to be copied first."""
    inner = stream
    while not isinstance(inner, io.IOBase) and hasattr(inner, "file"):
        inner = inner.file
    if isinstance(inner, io.IOBase) and inner.seekable():
        return inner
    return None


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _scan(stream, max_bytes: int) -> _Source:
    """Check the size, find the encoding, note NUL bytes; copy the stream to a
    temporary file when it cannot seek (a request body)."""
    seekable = _binary(stream)
    if seekable is not None:
        file, start, copy = seekable, seekable.tell(), False
    else:
        file, start, copy = tempfile.TemporaryFile(prefix="outdials-import-"), 0, True
    try:
        return _read_bytes(stream if copy else file, file, start, copy, max_bytes)
    except BaseException:
        if copy:
            file.close()
        raise


def _read_bytes(reader, file, start: int, copy: bool, max_bytes: int) -> _Source:
    size, has_nul, encoding, decoder, newlines = 0, False, None, None, 0
    while True:
        chunk = reader.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise _reject(
                "FILE_TOO_LARGE",
                f"The file is larger than the limit of {max_bytes} bytes; "
                "split it into several imports.",
                413,
            )
        if copy:
            file.write(chunk)
        if encoding is None:
            encoding = _bom_encoding(chunk[:4]) or "utf-8"
            decoder = codecs.getincrementaldecoder(encoding)()
        has_nul = has_nul or b"\x00" in chunk
        if decoder is not None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = newlines + chunk.count(b"\n", 0, error.start) + 1
                decoder, encoding = None, _fallback(encoding, line)
        newlines += chunk.count(b"\n")
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = _fallback(encoding, newlines + 1)
    if size == 0:
        raise _reject("EMPTY_FILE", "The file is empty; send a header row and rows.")
    if encoding == "cp1252":
        _check_cp1252(file, start)
    return _Source(file, start, size, encoding or "utf-8", has_nul)


def _fallback(encoding: str, line: int) -> str:
    if encoding == "utf-8":
        return "cp1252"
    raise _reject(
        "UNREADABLE_FILE",
        f"Line {line} is not valid {encoding.upper().removesuffix('-SIG')} though "
        "the file starts with its byte order mark; save it again as UTF-8.",
    )


def _check_cp1252(file, start: int) -> None:
    file.seek(start)
    decoder = codecs.getincrementaldecoder("cp1252")()
    newlines = 0
    while chunk := file.read(READ_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = newlines + chunk.count(b"\n", 0, error.start) + 1
            raise _reject(
                "UNREADABLE_FILE",
                f"Line {line} is neither UTF-8 nor Windows-1252 text; save the "
                "file as UTF-8 (CSV UTF-8 in Excel).",
            ) from None
        newlines += chunk.count(b"\n")


def _has_text(text) -> bool:
    while chunk := text.read(READ_CHUNK):
        if chunk.strip():
            return True
    return False


class _NulFound(Exception):
    pass


def _refuse_nul(lines):
    for line in lines:
        if "\x00" in line:
            raise _NulFound
        yield line


# -- the header ---------------------------------------------------------------


@dataclass
class _Layout:
    width: int
    name: int | None
    detail: int | None
    data: int | None
    # (slot, address column, type column or None, name column or None)
    slots: list[tuple[int, int, int | None, int | None]]
    labels: list[str]


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _layout(header: list[str], report: ImportReport) -> _Layout:
    labels = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]
    known = set(import_columns())
    server_kept = set(export_columns()) - known
    repeated = sorted({label for label in labels if label and labels.count(label) > 1})
    if repeated:
        raise _reject(
            "DUPLICATE_COLUMN",
            "The header names " + ", ".join(repeated) + " more than once; "
            "keep one column of each name.",
            row=1,
            column=repeated[0],
        )
    for position, label in enumerate(labels, start=1):
        if not label:
            report.warn(1, "", f"Column {position} has no name; it is ignored.")
        elif label not in known and label not in server_kept:
            report.warn(1, label, "Unknown column; it is ignored.")
    where = {label: i for i, label in enumerate(labels) if label}
    if "destination_0" not in where:
        raise _reject(
            "MISSING_COLUMN",
            "The header has no destination_0 column: every target needs a "
            "first destination. Row 1 must be the header.",
            row=1,
            column="destination_0",
        )
    slots = []
    for n in DESTINATION_SLOTS:
        address = f"destination_{n}"
        for extra in (f"{address}_type", f"{address}_name"):
            if extra in where and address not in where:
                raise _reject(
                    "MISSING_COLUMN",
                    f"The header has {extra} but no {address} column.",
                    row=1,
                    column=extra,
                )
        if address in where:
            slots.append(
                (
                    n,
                    where[address],
                    where.get(f"{address}_type"),
                    where.get(f"{address}_name"),
                )
            )
    return _Layout(
        len(labels),
        where.get("name"),
        where.get("detail"),
        where.get("data"),
        slots,
        labels,
    )


# -- checking the rows --------------------------------------------------------


@dataclass
class _Plan:
    """The outcome of the check: the report and the spooled rows to create."""

    report: ImportReport
    spool: tempfile.SpooledTemporaryFile
    seen: dict  # address key → the row that brings it (0: already a target)


def _existing_keys(outdial: Outdial, seen: dict, since=None) -> dict:
    destinations = Destination.objects.filter(
        outdial_target__outdial=outdial, outdial_target__tm_delete__isnull=True
    )
    if since is not None:
        destinations = destinations.filter(outdial_target__tm_create__gte=since)
    found = {}
    key = validators.address_key
    for type_, target in destinations.values_list("type", "target").iterator(
        chunk_size=10000
    ):
        found[key(type_, target)] = 0
    seen.update(found)
    return found


def _text_cell(value: str, limit_name: str) -> str | None:
    """An error message, or ``None`` when ``value`` is fine."""
    try:
        validators.validate_text(value, limit_name)
    except ValidationError as error:
        return error.messages[0]
    return None


class _Checker:
    """Pass 2: read, normalize, validate and dedupe every row; spool the good."""

    def __init__(self, outdial, *, region, strict, on_duplicate, progress):
        self.outdial = outdial
        self.region = region
        self.strict = strict
        self.on_duplicate = on_duplicate
        self.progress = progress
        self.max_rows = settings.OUTDIALS["IMPORT_MAX_ROWS"]
        self.max_cell = settings.OUTDIALS["IMPORT_MAX_CELL_CHARS"]

    def run(self, source: _Source) -> _Plan:
        report = ImportReport()
        seen: dict = {}
        _existing_keys(self.outdial, seen)
        spool = tempfile.SpooledTemporaryFile(
            max_size=16 << 20, prefix="outdials-import-"
        )
        source.file.seek(source.start)
        text = io.TextIOWrapper(source.file, encoding=source.encoding, newline="")
        try:
            self._read(text, source, report, seen, spool)
        finally:
            text.detach()
        spool.seek(0)
        return _Plan(report, spool, seen)

    def _read(self, text, source, report, seen, spool) -> None:
        first = text.readline()
        if not first.strip():
            if not _has_text(text):
                raise _reject(
                    "EMPTY_FILE", "The file is empty; send a header row and rows."
                )
            raise _reject(
                "MISSING_HEADER",
                "Row 1 is empty; the first row must be the header "
                "(name, destination_0, …).",
                row=1,
            )
        lines = itertools.chain([first], text)
        if source.has_nul:
            lines = _refuse_nul(lines)
        reader = csv.reader(lines, delimiter=_delimiter(first), strict=True)
        self.row = row = 0
        try:
            layout = _layout(next(reader), report)
            self._rows(reader, layout, report, seen, spool, source)
        except csv.Error as error:
            row = self.row
            raise _reject(
                "MALFORMED_CSV",
                f"Row {row + 1} is not well-formed CSV ({error}); check its quotes: "
                "a cell with a quote, a delimiter or a line break must be quoted, "
                'and a quote inside it doubled ("").',
                report=report,
                row=row + 1,
            ) from None
        except _NulFound:
            row = self.row
            raise _reject(
                "NUL_BYTES",
                f"Row {row + 1} contains a NUL byte. CSV text has none: if this is "
                "UTF-16 text, save it with a byte order mark or as UTF-8.",
                report=report,
                row=row + 1,
            ) from None
        if report.rows == 0:
            raise _reject(
                "NO_ROWS",
                "The file has a header but no rows; add a row per target.",
                report=report,
            )

    def _rows(self, reader, layout, report, seen, spool, source) -> None:
        """Check every row; ``self.row`` follows the row read."""
        chunk: list = []
        row = self.row = 1
        blank = 0
        check = self._check
        progress = self.progress
        for cells in reader:
            row = self.row = row + 1
            if progress and not row % SPOOL_CHUNK:
                progress("check", source.file.tell(), source.size)
            if not any(cells):
                blank += 1
                continue
            report.rows += 1
            if report.rows > self.max_rows:
                raise _reject(
                    "TOO_MANY_ROWS",
                    f"The file has more than {self.max_rows} rows, the limit of "
                    "one import; split it into several files.",
                    413,
                    report,
                    row=row,
                )
            if max(map(len, cells)) > self.max_cell:
                column = next(
                    (layout.labels[i] if i < layout.width else f"column {i + 1}")
                    for i, cell in enumerate(cells)
                    if len(cell) > self.max_cell
                )
                raise _reject(
                    "CELL_TOO_LONG",
                    f"Row {row} has a cell ({column}) longer than {self.max_cell} "
                    "characters, the limit; an unclosed quote can cause this.",
                    400,
                    report,
                    row=row,
                    column=column,
                )
            if len(cells) != layout.width:
                report.invalid += 1
                report.error(
                    row,
                    "",
                    f"has {len(cells)} cells but the header has {layout.width}; "
                    "quote cells that contain the delimiter.",
                )
                continue
            prepared = check(cells, row, layout, report, seen)
            if prepared is not None:
                chunk.append(prepared)
                if len(chunk) >= SPOOL_CHUNK:
                    pickle.dump(chunk, spool, pickle.HIGHEST_PROTOCOL)
                    chunk = []
        if chunk:
            pickle.dump(chunk, spool, pickle.HIGHEST_PROTOCOL)
        if blank:
            report.warn(None, "", f"{blank} empty rows were skipped.")
        if progress:
            progress("check", source.size, source.size)

    def _check(self, cells, row, layout, report, seen):
        """One row: the tuple to spool, or ``None`` (invalid or a duplicate)."""
        problems = []
        texts = []
        for column, index, limit_name in (
            ("name", layout.name, "NAME_MAX_LENGTH"),
            ("detail", layout.detail, "DETAIL_MAX_LENGTH"),
            ("data", layout.data, "DATA_MAX_BYTES"),
        ):
            value = "" if index is None else unguard_cell(cells[index])
            message = _text_cell(value, limit_name) if value else None
            if message:
                problems.append((column, message))
            texts.append(value)
        destinations = []
        keys = []
        notes = []
        for n, at, type_at, name_at in layout.slots:
            column = f"destination_{n}"
            written = unguard_cell(cells[at]).strip()
            type_cell = "" if type_at is None else cells[type_at].strip().lower()
            target_name = "" if name_at is None else unguard_cell(cells[name_at])
            if not written:
                if n == 0:
                    problems.append((column, "is empty; every target needs one."))
                elif type_cell or target_name:
                    problems.append(
                        (column, "is empty but its type or name column is not.")
                    )
                continue
            type_ = type_cell or validators.infer_address_type(written)
            if type_ not in validators.ADDRESS_TYPES:
                problems.append(
                    (
                        f"{column}_type",
                        f"'{type_cell}' is not a destination type; use tel, sip "
                        "or email.",
                    )
                )
                continue
            try:
                if type_ == "tel":
                    address, assigned = validators.classify_phone(
                        written, self.region, self.strict
                    )
                    if not assigned:
                        notes.append(
                            (
                                column,
                                f"{address} is a possible number but not one "
                                "phone numbers know as assigned; imported "
                                "(strict=true would refuse it).",
                            )
                        )
                else:
                    address = validators.validate_address(type_, written, self.strict)
            except ValidationError as error:
                message = error.messages[0]
                if type_ != "tel" and not message.startswith(written):
                    message = f"{written} {message}"
                problems.append((column, message))
                continue
            if target_name:
                message = _text_cell(target_name, "NAME_MAX_LENGTH")
                if message:
                    problems.append((f"{column}_name", message))
                    continue
            key = validators.address_key(type_, address)
            if key in keys:
                problems.append(
                    (column, f"{address} repeats another destination of this row.")
                )
                continue
            keys.append(key)
            destinations.append((n, type_, address, target_name))
        if problems:
            report.invalid += 1
            for column, message in problems:
                report.error(row, column, message)
            return None
        if self.on_duplicate != "allow":
            for (n, _type, address, _name), key in zip(destinations, keys, strict=True):
                first = seen.get(key)
                if first is None:
                    continue
                where = (
                    "is already a target in this outdial"
                    if first == 0
                    else f"repeats row {first}"
                )
                if self.on_duplicate == "error":
                    report.invalid += 1
                    report.error(row, f"destination_{n}", f"{address} {where}.")
                else:
                    report.duplicates += 1
                    report.warn(
                        row, f"destination_{n}", f"{address} {where}; row skipped."
                    )
                return None
        else:
            for (n, _type, address, _name), key in zip(destinations, keys, strict=True):
                first = seen.get(key)
                if first is not None:
                    where = (
                        "is already a target" if first == 0 else f"repeats row {first}"
                    )
                    report.warn(
                        row,
                        f"destination_{n}",
                        f"{address} {where}; imported (on_duplicate=allow).",
                    )
                    break
        for column, message in notes:
            report.warn(row, column, message)
        for key in keys:
            seen.setdefault(key, row)
        report.created += 1
        return (row, texts[0], texts[1], texts[2], tuple(destinations), tuple(keys))


# -- writing ------------------------------------------------------------------


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
                "status",
                "tm_create",
                "tm_update",
            )
        ]
        self.destination_columns = [
            destination_meta.get_field(name).column
            for name in (
                "outdial_target",
                "index",
                "type",
                "target",
                "target_name",
                "name",
                "detail",
                "try_count",
            )
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
    in file order: rows stamped with one ``tm_create`` still list and export in
    the order of the file."""
    value = uuid.UUID(int=secrets.randbits(64) << 64, version=4).int
    return value & ~((1 << 62) - 1)


def _late_conflicts(outdial, started, plan: _Plan) -> dict:
    """Rows of this import whose addresses another writer added meanwhile."""
    conflicts = {}
    for key in _existing_keys(outdial, {}, since=started - LATE_WINDOW):
        row = plan.seen.get(key)
        if row:
            conflicts.setdefault(row, key)
    return conflicts


def _write(outdial, plan: _Plan, *, started, options, progress) -> ImportBatch:
    report = plan.report
    locked = Outdial.objects.select_for_update().filter(pk=outdial.pk).live().first()
    if locked is None:
        raise _reject(
            "OUTDIAL_DELETED",
            "The outdial was deleted during the import; nothing was written.",
            409,
            report,
        )
    conflicts = (
        _late_conflicts(outdial, started, plan)
        if options["on_duplicate"] != "allow"
        else {}
    )
    batch = ImportBatch.objects.create(
        outdial=outdial,
        created_by=options["created_by"],
        created_by_name=options["created_by_name"][:255],
        file_name=options["file_name"][:255],
    )
    writer = _Writer()
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    outdial_id, batch_id = outdial.pk.hex, batch.pk.hex
    base = _id_base()
    counter = 0
    written = 0
    total = report.created
    for chunk in _chunks(plan.spool):
        targets, destinations = [], []
        for row, name, detail, data, slots, keys in chunk:
            if row in conflicts:
                _late_duplicate(report, row, slots, keys, conflicts[row], options)
                continue
            counter += 1
            target_id = f"{base | counter << 32 | getrandbits(32):032x}"
            targets.append(
                (target_id, outdial_id, batch_id, name, detail, data, "idle")
                + (stamp, stamp)
            )
            for n, type_, address, target_name in slots:
                destinations.append(
                    (target_id, n, type_, address, target_name, "", "", 0)
                )
        writer.write(targets, destinations)
        written += len(targets)
        if progress:
            progress("write", written, total)
    if report.invalid and options["on_error"] == "abort":
        raise _invalid_rows(report)
    batch.rows = report.rows
    batch.created = report.created
    batch.duplicates = report.duplicates
    batch.invalid = report.invalid
    report.import_id = batch.pk
    batch.report = report.as_dict()
    batch.save(update_fields=["rows", "created", "duplicates", "invalid", "report"])
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


def _invalid_rows(report: ImportReport) -> ImportRejected:
    first = report.errors[0] if report.errors else {"row": "?"}
    return ImportRejected(
        "INVALID_ROWS",
        f"{report.invalid} of {report.rows} rows are invalid (the first is row "
        f"{first['row']}), so nothing was imported. Fix the rows listed in "
        "details.errors, or pass on_error=skip to import the valid rows only.",
        400,
        report,
    )


# -- the public functions -----------------------------------------------------


def import_csv(
    outdial: Outdial,
    stream,
    *,
    file_name: str = "",
    region: str | None = None,
    on_duplicate: str = "skip",
    on_error: str = "abort",
    dry_run: bool = False,
    strict: bool | None = None,
    created_by=None,
    created_by_name: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Import the CSV file ``stream`` (binary) into ``outdial``.

    ``region`` is the default country of numbers written without ``+``
    (``OUTDIALS["DEFAULT_REGION"]`` when not given). ``on_duplicate``: ``skip``
    rows with an address the outdial or an earlier row already has, count them
    as an ``error``, or ``allow`` them. ``on_error``: ``abort`` writes nothing
    when any row is invalid; ``skip`` writes the valid rows. ``dry_run`` checks
    and reports without writing. ``progress(phase, done, total)`` is called now
    and then: ``check`` counts bytes, ``write`` counts targets.

    Raises :class:`ImportRejected` (nothing written) for a whole-file problem,
    a limit, or invalid rows under ``on_error=abort``.
    """
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate must be one of {ON_DUPLICATE}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}")
    try:
        region = validators.validate_region(
            region or settings.OUTDIALS["DEFAULT_REGION"]
        )
    except ValidationError as error:
        raise _reject("INVALID_REGION", error.messages[0]) from None
    if strict is None:
        strict = validators.strict_by_default()
    started = timezone.now()
    source = _scan(stream, settings.OUTDIALS["UPLOAD_MAX_BYTES"])
    try:
        checker = _Checker(
            outdial,
            region=region,
            strict=strict,
            on_duplicate=on_duplicate,
            progress=progress,
        )
        plan = checker.run(source)
    finally:
        if _binary(stream) is not source.file:
            source.file.close()
    with plan.spool:
        if dry_run:
            return plan.report
        if plan.report.invalid and on_error == "abort":
            raise _invalid_rows(plan.report)
        options = {
            "on_duplicate": on_duplicate,
            "on_error": on_error,
            "created_by": created_by,
            "created_by_name": created_by_name,
            "file_name": file_name,
        }
        with transaction.atomic():
            _write(outdial, plan, started=started, options=options, progress=progress)
    return plan.report


def undo_import(batch: ImportBatch) -> UndoResult:
    """Undo ``batch``: delete (softly, like every delete) its live targets that
    were never attempted; keep the others, which have a history, and count them.
    Raises :class:`ImportRejected` (409) when the batch was undone already."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.tm_undo is not None:
            raise ImportRejected(
                "IMPORT_ALREADY_UNDONE", "This import was undone already.", 409
            )
        now = timezone.now()
        live = OutdialTarget.objects.live().filter(import_batch=locked)
        attempts = Attempt.objects.filter(outdial_target=OuterRef("pk"))
        tried = Destination.objects.filter(
            outdial_target=OuterRef("pk"), try_count__gt=0
        )
        untouched = (
            live.filter(tm_last_attempt__isnull=True)
            .exclude(status=TargetStatus.PROGRESSING)
            .exclude(Exists(attempts))
            .exclude(Exists(tried))
        )
        deleted = untouched.update(tm_delete=now, tm_update=now)
        kept = live.count()
        locked.tm_undo = now
        locked.save(update_fields=["tm_undo"])
    batch.tm_undo = now
    return UndoResult(deleted=deleted, kept=kept)
