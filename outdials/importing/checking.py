"""The check: parse, normalize, validate and dedupe every row, spool the good.

Nothing is written here, so ``on_error=abort`` leaves the outdial untouched
without holding a transaction open while the file is parsed.
"""

import csv
import io
import itertools
import pickle
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from .. import validators
from ..exporting import export_columns, import_columns, unguard_cell
from ..models import DESTINATION_SLOTS, Destination, Outdial
from .dedupe import SeenAddresses
from .report import ImportReport, reject
from .source import NulFound, Source, has_text, refuse_nul

SPOOL_CHUNK = 5000  # rows per pickled chunk (and per write)
DELIMITERS = (",", ";", "\t")


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
        raise reject(
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
        raise reject(
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
                raise reject(
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
class Plan:
    """The outcome of the check: the report and the spooled rows to create."""

    report: ImportReport
    spool: tempfile.SpooledTemporaryFile
    seen: SeenAddresses


def existing_keys(outdial: Outdial, since=None):
    """The address keys of the outdial's live targets (created since ``since``),
    streamed from one query."""
    destinations = Destination.objects.filter(
        outdial_target__outdial=outdial, outdial_target__tm_delete__isnull=True
    )
    if since is not None:
        destinations = destinations.filter(outdial_target__tm_create__gte=since)
    key = validators.address_key
    for type_, target in destinations.values_list("type", "target").iterator(
        chunk_size=10000
    ):
        yield key(type_, target)


def _text_cell(value: str, limit_name: str) -> str | None:
    """An error message, or ``None`` when ``value`` is fine."""
    try:
        validators.validate_text(value, limit_name)
    except ValidationError as error:
        return error.messages[0]
    return None


class Checker:
    """Read, normalize, validate and dedupe every row; spool the good ones."""

    def __init__(self, outdial, *, region, strict, on_duplicate, progress):
        self.outdial = outdial
        self.region = region
        self.strict = strict
        self.on_duplicate = on_duplicate
        self.progress = progress
        self.max_rows = settings.OUTDIALS["IMPORT_MAX_ROWS"]
        self.max_cell = settings.OUTDIALS["IMPORT_MAX_CELL_CHARS"]

    def run(self, source: Source) -> Plan:
        report = ImportReport()
        seen = SeenAddresses()
        for key in existing_keys(self.outdial):
            seen.add(key, 0)
        spool = tempfile.SpooledTemporaryFile(
            max_size=16 << 20, prefix="outdials-import-"
        )
        source.file.seek(source.start)
        text = io.TextIOWrapper(source.file, encoding=source.encoding, newline="")
        try:
            self._read(text, source, report, seen, spool)
        except BaseException:
            spool.close()
            raise
        finally:
            text.detach()
        spool.seek(0)
        return Plan(report, spool, seen)

    def _read(self, text, source, report, seen, spool) -> None:
        first = text.readline()
        if not first.strip():
            if not has_text(text):
                raise reject(
                    "EMPTY_FILE", "The file is empty; send a header row and rows."
                )
            raise reject(
                "MISSING_HEADER",
                "Row 1 is empty; the first row must be the header "
                "(name, destination_0, …).",
                row=1,
            )
        lines = itertools.chain([first], text)
        if source.has_nul:
            lines = refuse_nul(lines)
        if csv.field_size_limit() <= self.max_cell:
            csv.field_size_limit(self.max_cell + 1)
        reader = csv.reader(lines, delimiter=_delimiter(first), strict=True)
        self.row = row = 0
        try:
            header = next(reader)
            if max(map(len, header)) > self.max_cell:
                raise reject(
                    "CELL_TOO_LONG",
                    f"The header has a cell longer than {self.max_cell} characters.",
                    row=1,
                )
            layout = _layout(header, report)
            self._rows(reader, layout, report, seen, spool, source)
        except csv.Error as error:
            row = self.row
            if "field larger than field limit" in str(error):
                raise reject(
                    "CELL_TOO_LONG",
                    f"Row {row + 1} has a cell longer than {self.max_cell} "
                    "characters, the limit; an unclosed quote can cause this.",
                    report=report,
                    row=row + 1,
                ) from None
            raise reject(
                "MALFORMED_CSV",
                f"Row {row + 1} is not well-formed CSV ({error}); check its quotes: "
                "a cell with a quote, a delimiter or a line break must be quoted, "
                'and a quote inside it doubled ("").',
                report=report,
                row=row + 1,
            ) from None
        except NulFound:
            row = self.row
            raise reject(
                "NUL_BYTES",
                f"Row {row + 1} contains a NUL byte. CSV text has none: if this is "
                "UTF-16 text, save it with a byte order mark or as UTF-8.",
                report=report,
                row=row + 1,
            ) from None
        if report.rows == 0:
            raise reject(
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
                raise reject(
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
                raise reject(
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
                if type_cell or target_name:
                    problems.append(
                        (column, "is empty but its type or name column is not.")
                    )
                continue
            type_ = type_cell or validators.infer_address_type(written)
            if type_ not in validators.ADDRESS_TYPES:
                problems.append(
                    (
                        f"{column}_type",
                        f"'{type_cell}' is not a destination type; use one of: "
                        + ", ".join(validators.ADDRESS_TYPES)
                        + ".",
                    )
                )
                continue
            try:
                if type_ in validators.PHONE_TYPES:
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
                if type_ not in validators.PHONE_TYPES and not message.startswith(
                    written
                ):
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
        if not destinations and not problems:
            # Any one slot will do, as in the API (not necessarily the first).
            problems.append(
                (
                    "destination_0",
                    "is empty, as are the others; every target needs one.",
                )
            )
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
            seen.add(key, row)
        report.created += 1
        return (row, texts[0], texts[1], texts[2], tuple(destinations), tuple(keys))
