"""The check: parse, normalize, validate and dedupe every row, spool the good.

Nothing is written here, so ``on_error=abort`` leaves the outdial untouched
without holding a transaction open while the file is parsed.
"""

import csv
import io
import itertools
import pickle
import tempfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from .. import policy, suppression, validators
from ..exporting import unguard_cell
from ..models import Destination, Outdial
from . import mapping, preview, titles, updating
from .dedupe import EXISTING, SeenAddresses, first_rows
from .report import ImportRejected, ImportReport, reject
from .source import (
    BoundedLines,
    NulFound,
    RowTooLong,
    Source,
    has_text,
    refuse_nul,
)
from .spreadsheet import Sheet

SPOOL_CHUNK = 5000  # rows per pickled chunk (and per write)
DELIMITERS = (",", ";", "\t")
# The longest row (a CSV record) read: well above any row the limits allow
# (a cell holds 2,000 characters), so only a broken or hostile file meets it.
MAX_ROW_CHARS = 1 << 20


def _nothing() -> None:
    pass


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# -- checking the rows --------------------------------------------------------


@dataclass
class Plan:
    """The outcome of the check: the report and the spooled rows to create."""

    report: ImportReport
    spool: tempfile.SpooledTemporaryFile
    seen: SeenAddresses
    # Rows whose key matched a live target: ``updating.Update`` each.
    updates: list = field(default_factory=list)


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

    def __init__(
        self,
        outdial,
        *,
        region,
        strict,
        on_duplicate,
        progress,
        columns: mapping.Mapping | None = None,
        preview_rows: int = 0,
        on_suppressed: str = "skip",
    ):
        self.outdial = outdial
        self.on_suppressed = on_suppressed
        self.columns = columns or mapping.Mapping()
        self.preview = preview.Collector(preview_rows)
        self.keyed: dict = {}  # external id → updating.Current, with a key
        self.keys_seen: dict[str, int] = {}  # external id → row of the file
        self.updates: list = []
        self.updates_checked = 0  # updates looked up in the suppression lists
        # Listed "repeats row N" messages, N found once the check is over:
        # (report entry, key, text before N, text after N); and the rows that
        # brought addresses by updating a keyed target (not spooled).
        self.repeats: list = []
        self.update_rows: dict = {}
        self.lines = None  # a CSV's BoundedLines
        self.last = None
        self.region = region
        self.strict = strict
        self.on_duplicate = on_duplicate
        self.progress = progress
        self.max_rows = settings.OUTDIALS["IMPORT_MAX_ROWS"]
        self.max_cell = settings.OUTDIALS["IMPORT_MAX_CELL_CHARS"]

    def run(self, source: Source) -> Plan:
        report = ImportReport()
        # One query; then one lookup per spooled chunk while a list applies.
        self.suppressing = suppression.applies(self.outdial)
        seen = SeenAddresses(existing_keys(self.outdial))
        if self.columns.key:
            self.keyed = updating.keyed_targets(self.outdial)
        spool = tempfile.SpooledTemporaryFile(
            max_size=16 << 20, prefix="outdials-import-"
        )
        if isinstance(source, Sheet):
            self._where = lambda row: (row, source.height)
            try:
                self._read_sheet(source, report, seen, spool)
            except ImportRejected:
                self._name_repeated_rows(spool)
                spool.close()
                raise
            except BaseException:
                spool.close()
                raise
            self._name_repeated_rows(spool)
            spool.seek(0)
            return Plan(report, spool, seen, self.updates)
        self._where = lambda row: (source.file.tell(), source.size)
        source.file.seek(source.start)
        text = io.TextIOWrapper(source.file, encoding=source.encoding, newline="")
        try:
            self._read(text, source, report, seen, spool)
        except ImportRejected:
            self._name_repeated_rows(spool)
            spool.close()
            raise
        except BaseException:
            spool.close()
            raise
        finally:
            text.detach()
        self._name_repeated_rows(spool)
        spool.seek(0)
        return Plan(report, spool, seen, self.updates)

    def _repeat(self, entry, key, before: str, after: str) -> None:
        if entry is not None:
            self.repeats.append((entry, key, before, after))

    def _name_repeated_rows(self, spool) -> None:
        if not self.repeats:
            return
        wanted = {key for _, key, _, _ in self.repeats}
        rows = first_rows(spool, wanted)
        for key in wanted & self.update_rows.keys():
            row = self.update_rows[key]
            rows[key] = min(row, rows.get(key, row))
        for entry, key, before, after in self.repeats:
            entry["message"] = f"{before}{rows.get(key, '?')}{after}"

    def _read_sheet(self, sheet: Sheet, report, seen, spool) -> None:
        rows = sheet.rows(report)
        header = next(rows, None)
        if header is None and sheet.gave_up:
            raise reject(
                "MISSING_HEADER",
                f"The sheet “{sheet.name}” has no header in its first "
                f"{titles.ABOVE_HEADER + 1} rows; put the header (name, "
                "phone, …) above the rows.",
                row=sheet.first_row,
            )
        if header is None:
            raise reject(
                "EMPTY_FILE",
                f"The sheet “{sheet.name}” is empty; its first row must be the "
                "header (name, phone, …).",
            )
        self._header_and_rows(header, rows, sheet.first_row, report, seen, spool)
        if report.rows == 0:
            raise reject(
                "NO_ROWS",
                "The sheet has a header but no rows; add a row per target.",
                report=report,
            )

    def _header_and_rows(self, header, reader, first_row, report, seen, spool):
        """Shared by CSV and sheets once the header row is read."""
        if max(map(len, header)) > self.max_cell:
            raise reject(
                "CELL_TOO_LONG",
                f"The header has a cell longer than {self.max_cell} characters.",
                row=first_row,
            )
        layout = mapping.layout(header, self.columns, report)
        report.mapping = layout.columns
        report.key = self.columns.key or None
        self.preview.start(header, layout)
        self._rows(reader, layout, report, seen, spool, first_row)

    def _read(self, text, source, report, seen, spool) -> None:
        lines = BoundedLines(text, MAX_ROW_CHARS)
        self.row = 0
        try:
            self._parse(lines, text, source, report, seen, spool)
        except RowTooLong:
            row = self.row + 1
            raise reject(
                "ROW_TOO_LONG",
                f"Row {row} is longer than {MAX_ROW_CHARS:,} characters, the limit "
                "of one row; a quote left open or a file without line breaks can "
                "cause this.",
                report=report,
                row=row,
            ) from None

    def _parse(self, lines, text, source, report, seen, spool) -> None:
        first = next(lines, "")
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
        self.lines = lines
        lines = itertools.chain([first], lines)
        if source.has_nul:
            lines = refuse_nul(lines)
        if csv.field_size_limit() <= self.max_cell:
            csv.field_size_limit(self.max_cell + 1)
        reader = csv.reader(lines, delimiter=_delimiter(first), strict=True)
        self.row = row = 0

        def row_done():
            self.lines.row_done()
            self.row += 1

        try:
            found = titles.find_header(reader, 1, row_done)
            if found.header is None:
                raise reject(
                    "MISSING_HEADER",
                    f"The file has no header in its first {found.row} rows; put "
                    "the header (name, destination_0, …) above the rows.",
                    row=found.row,
                )
            titles.warn_titles(report, found)
            self._header_and_rows(
                found.header, found.rest, found.row, report, seen, spool
            )
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

    def _rows(self, reader, layout, report, seen, spool, first_row=1) -> None:
        """Check every row; ``self.row`` follows the row read."""
        chunk: list = []
        try:
            self._each_row(reader, layout, report, seen, spool, first_row, chunk)
        finally:
            # Spooled even when the file is refused: its report names rows.
            if chunk:
                self._spool(chunk, report, spool)
            self._check_updates(report)

    def _each_row(self, reader, layout, report, seen, spool, first_row, chunk):
        row = self.row = first_row
        blank = 0
        check = self._check
        progress = self.progress
        collect = self.preview.add if self.preview.wanted else None
        # Sheets have no lines to bound (spreadsheet.py reads them).
        row_done = self.lines.row_done if self.lines is not None else _nothing
        for cells in reader:
            row_done()
            row = self.row = row + 1
            if progress and not row % SPOOL_CHUNK:
                progress("check", *self._where(row))
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
                if collect is not None:
                    collect(row, cells, None, report)
                continue
            prepared = check(cells, row, layout, report, seen)
            if collect is not None:
                collect(row, cells, self.last, report)
                if not self.preview.wanted:
                    collect = None
            if prepared is not None:
                chunk.append(prepared)
                if len(chunk) >= SPOOL_CHUNK:
                    self._spool(chunk, report, spool)
                    chunk.clear()
        if blank:
            report.warn(None, "", f"{blank} empty rows were skipped.")
        report.preview, report.columns = self.preview.finish()
        if progress:
            done, total = self._where(row)
            progress("check", total, total)

    def _spool(self, chunk: list, report, spool) -> None:
        """Spool a chunk of rows to create, less those with a suppressed
        address: one lookup for the whole chunk (``suppression.find``)."""
        if self.suppressing:
            chunk[:] = self._unsuppressed(chunk, report)
        if chunk:
            pickle.dump(chunk, spool, pickle.HIGHEST_PROTOCOL)

    def _check_updates(self, report) -> None:
        """The updates of keyed targets read since the last call, less those
        with a suppressed address: the same lookup, counts and policy as the
        rows that create a target (the row is then ``updated`` no more)."""
        pending = self.updates[self.updates_checked :]
        if self.suppressing and pending:
            kept = self._unsuppressed(pending, report, slots=5, counted="updated")
            self.updates[self.updates_checked :] = kept
        self.updates_checked = len(self.updates)

    def _unsuppressed(self, chunk: list, report, slots=4, counted="created") -> list:
        """``chunk`` less its rows with a suppressed address, counted in
        ``suppressed`` and skipped, refused or kept as ``on_suppressed``
        says: rows to create (their destinations at ``slots``) or updates."""
        addresses = {
            (type_, address)
            for prepared in chunk
            for _n, type_, address, _name in prepared[slots]
        }
        hits = suppression.find(self.outdial, addresses)
        if not hits:
            return chunk
        kept = []
        for prepared in chunk:
            found = next(
                (
                    (n, address, hits[type_, address])
                    for n, type_, address, _name in prepared[slots]
                    if (type_, address) in hits
                ),
                None,
            )
            if found is None:
                kept.append(prepared)
                continue
            row, (n, address, hit) = prepared[0], found
            report.suppressed += 1
            named = f"{address} is on the suppression list “{hit.list_name}”"
            if self.on_suppressed == "allow":
                report.warn(
                    row,
                    f"destination_{n}",
                    f"{named}; imported (on_suppressed=allow), claims pass over it.",
                )
                kept.append(prepared)
            elif self.on_suppressed == "error":
                setattr(report, counted, getattr(report, counted) - 1)
                report.invalid += 1
                report.error(row, f"destination_{n}", f"{named}.")
            else:
                setattr(report, counted, getattr(report, counted) - 1)
                report.warn(row, f"destination_{n}", f"{named}; row skipped.")
        return kept

    def _texts(self, cells, layout) -> tuple[str, str, str]:
        """Name, detail and data of a row as they would be stored."""
        if layout.name is None and (
            layout.first_name is not None or layout.last_name is not None
        ):
            name = " ".join(
                part
                for at in (layout.first_name, layout.last_name)
                if at is not None and (part := unguard_cell(cells[at]).strip())
            )
        else:
            name = "" if layout.name is None else unguard_cell(cells[layout.name])
        detail = "" if layout.detail is None else unguard_cell(cells[layout.detail])
        if layout.extras:
            data = preview.data_object(cells, layout.extras)
        else:
            data = "" if layout.data is None else unguard_cell(cells[layout.data])
        return name, detail, data

    def _check(self, cells, row, layout, report, seen):
        """One row: the tuple to spool, or ``None`` (invalid, a duplicate, or
        an update of a keyed target, kept in ``self.updates``). ``self.last``
        holds the row as it would be stored, for the preview."""
        problems = []
        texts = self._texts(cells, layout)
        for column, value, limit_name in (
            ("name", texts[0], "NAME_MAX_LENGTH"),
            ("detail", texts[1], "DETAIL_MAX_LENGTH"),
            ("data", texts[2], "DATA_MAX_BYTES"),
        ):
            message = _text_cell(value, limit_name) if value else None
            if message:
                problems.append((column, message))
        zone = ""
        if layout.time_zone is not None and cells[layout.time_zone].strip():
            try:
                zone = policy.canonical_zone(cells[layout.time_zone])
            except ValidationError as error:
                problems.append((layout.headers[layout.time_zone], error.messages[0]))
        destinations = []
        keys = []
        notes = []
        compact = layout.compact
        for n, at, type_at, name_at in layout.slots:
            column = layout.headers[at] if compact else f"destination_{n}"
            written = unguard_cell(cells[at]).strip()
            type_cell = "" if type_at is None else cells[type_at].strip().lower()
            target_name = "" if name_at is None else unguard_cell(cells[name_at])
            if not written:
                if type_cell or target_name:
                    problems.append(
                        (column, "is empty but its type or name column is not.")
                    )
                continue
            if compact:
                n = len(destinations)
            type_ = type_cell or validators.infer_address_type(written)
            if type_ not in validators.ADDRESS_TYPES:
                problems.append(
                    (
                        layout.headers[type_at] if compact else f"{column}_type",
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
                    problems.append(
                        (
                            layout.headers[name_at] if compact else f"{column}_name",
                            message,
                        )
                    )
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
            if compact:
                names = [layout.headers[at] for _n, at, _t, _m in layout.slots]
                problems.append(
                    (
                        "",
                        f"has no destination: {names[0]} is empty."
                        if len(names) == 1
                        else f"has no destination: {', '.join(names)} are all empty.",
                    )
                )
            else:
                problems.append(
                    (
                        "destination_0",
                        "is empty, as are the others; every target needs one.",
                    )
                )
        external_id = ""
        if layout.key is not None:
            external_id = cells[layout.key].strip()
            if len(external_id) > updating.KEY_MAX_LENGTH:
                problems.append(
                    (
                        layout.headers[layout.key],
                        f"is longer than {updating.KEY_MAX_LENGTH} characters, "
                        "the most a key may have.",
                    )
                )
        destinations = tuple(destinations)
        if problems:
            self.last = (*texts, destinations, external_id, "invalid")
            report.invalid += 1
            for column, message in problems:
                report.error(row, column, message)
            return None
        current = None
        if external_id:
            first = self.keys_seen.get(external_id)
            if first is not None:
                self.last = (*texts, destinations, external_id, "duplicate")
                column = layout.headers[layout.key]
                message = f"The key {external_id} repeats row {first}"
                if self.on_duplicate == "error":
                    report.invalid += 1
                    report.error(row, column, f"{message}.")
                else:
                    report.duplicates += 1
                    report.warn(row, column, f"{message}; row skipped.")
                return None
            self.keys_seen[external_id] = row
            current = self.keyed.get(external_id)
        own = current.keys if current is not None else ()
        if self.on_duplicate != "allow":
            for (n, _type, address, _name), key in zip(destinations, keys, strict=True):
                where = seen.where(key)
                if where is None or (where == EXISTING and key in own):
                    continue
                self.last = (*texts, destinations, external_id, "duplicate")
                tail = "." if self.on_duplicate == "error" else "; row skipped."
                if where == EXISTING:
                    message = f"{address} is already a target in this outdial{tail}"
                else:
                    message = f"{address} repeats row ?{tail}"
                if self.on_duplicate == "error":
                    report.invalid += 1
                    entry = report.error(row, f"destination_{n}", message)
                else:
                    report.duplicates += 1
                    entry = report.warn(row, f"destination_{n}", message)
                if where != EXISTING:
                    self._repeat(entry, key, f"{address} repeats row ", tail)
                return None
        else:
            for (n, _type, address, _name), key in zip(destinations, keys, strict=True):
                where = seen.where(key)
                if where is not None and not (where == EXISTING and key in own):
                    tail = "; imported (on_duplicate=allow)."
                    if where == EXISTING:
                        message = f"{address} is already a target{tail}"
                    else:
                        message = f"{address} repeats row ?{tail}"
                    entry = report.warn(row, f"destination_{n}", message)
                    if where != EXISTING:
                        self._repeat(entry, key, f"{address} repeats row ", tail)
                    break
        if current is not None:
            if (*texts, destinations) == current.values:
                self.last = (*texts, destinations, external_id, "unchanged")
                report.unchanged += 1
                return None
            self.last = (*texts, destinations, external_id, "update")
            for column, message in notes:
                report.warn(row, column, message)
            seen.bring(keys)
            for key in keys:
                self.update_rows.setdefault(key, row)
            report.updated += 1
            self.updates.append(
                updating.Update(row, current.pk, *texts, destinations, external_id)
            )
            if len(self.updates) - self.updates_checked >= SPOOL_CHUNK:
                self._check_updates(report)
            return None
        self.last = (*texts, destinations, external_id, "create")
        for column, message in notes:
            report.warn(row, column, message)
        seen.bring(keys)
        report.created += 1
        addresses = [(type_, address) for _n, type_, address, _name in destinations]
        zone = policy.zone_for_target(zone, addresses)
        return (row, *texts, destinations, tuple(keys), external_id, zone)
