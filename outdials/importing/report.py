"""What an import reports, and how it refuses a file."""

import uuid
from dataclasses import dataclass, field

MAX_REPORTED = 1000  # errors (and warnings) listed in a report


@dataclass
class ImportReport:
    """What an import did (or, for a dry run or an abort, would do).

    ``created + updated + unchanged + duplicates + invalid == rows`` always,
    plus ``suppressed`` under ``on_suppressed=skip`` (rows with an address on
    a suppression list; under ``error`` they are also ``invalid``, under
    ``allow`` also ``created``);
    ``errors`` and ``warnings`` list the first :data:`MAX_REPORTED` of each,
    with ``row`` as a spreadsheet numbers it (the header is row 1).
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    invalid: int = 0
    suppressed: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    import_id: uuid.UUID | None = None
    unlisted_warnings: int = 0
    mapping: dict | None = None  # header → field, as applied
    key: str | None = None  # the key column, when updating on re-upload
    preview: list[dict] | None = None  # the first rows as they would be stored
    columns: list[dict] | None = None  # each column, its field and samples
    sheet: str | None = None  # the sheet read, for a workbook
    sheets: list[str] | None = None  # every worksheet of a workbook

    def error(self, row: int, column: str, message: str) -> dict | None:
        """List an error; answers its entry, or ``None`` past the first
        :data:`MAX_REPORTED`."""
        if len(self.errors) < MAX_REPORTED:
            entry = {"row": row, "column": column, "message": message}
            self.errors.append(entry)
            return entry
        return None

    def warn(self, row: int, column: str, message: str) -> dict | None:
        """Like :meth:`error`, for a warning."""
        if len(self.warnings) < MAX_REPORTED:
            entry = {"row": row, "column": column, "message": message}
            self.warnings.append(entry)
            return entry
        self.unlisted_warnings += 1
        return None

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
        found = {
            "import_id": str(self.import_id) if self.import_id else None,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "suppressed": self.suppressed,
            "mapping": self.mapping or {},
            "key": self.key,
            "errors": self.errors,
            "warnings": warnings,
        }
        if self.sheets is not None:
            found["sheet"] = self.sheet
            found["sheets"] = self.sheets
        if self.preview is not None:
            found["preview"] = self.preview
            found["columns"] = self.columns
        return found


def in_order(stored: dict) -> dict:
    """A report read back from the database (PostgreSQL's jsonb keeps no key
    order) with its keys in the order :meth:`ImportReport.as_dict` writes."""
    order = ImportReport(sheets=[], preview=[]).as_dict()
    return {key: stored[key] for key in order if key in stored} | {
        key: value for key, value in stored.items() if key not in order
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
    restored: int = 0  # updated targets given their values before back


def reject(reason, message, status=400, report=None, row=None, column=""):
    report = report if report is not None else ImportReport()
    if row is not None:
        report.error(row, column, message)
    return ImportRejected(reason, message, status, report)
