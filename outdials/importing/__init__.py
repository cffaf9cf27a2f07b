"""Imports into an outdial: read → map → normalize → validate → dedupe → write.

The API, the staff upload page and the ``import_targets`` command all call
:func:`import_csv` and :func:`undo_import`; none of them re-implements a step.

``formats`` tells CSV from a spreadsheet (``spreadsheet`` reads .xlsx, .xls
and .ods into the same rows), ``mapping`` resolves the header to fields (a
guess unless the caller chose), ``updating`` turns rows whose key column
matches a live target into updates, ``preview`` keeps the first rows as they
would be stored.

A CSV import reads the file as a stream, twice: ``source`` scans the bytes (size
limit, encoding), ``checking`` parses and checks every row against the rules
of ``validators.py``, dedupes on the normalized address and spools the rows to
create; then ``writing`` writes them in one transaction through the driver's
bulk path. Memory stays flat in the file's length except for the addresses
seen, which dedupe needs (``dedupe``: ~75 bytes an address in Python sets).
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import metrics, statistics, validators
from ..models import (
    Attempt,
    Destination,
    ImportBatch,
    JobStatus,
    Outdial,
    OutdialTarget,
    TargetStatus,
)
from . import formats, header, mapping, spreadsheet, staging, updating
from .checking import Checker
from .report import MAX_REPORTED, ImportRejected, ImportReport, UndoResult, reject
from .source import READ_CHUNK, binary, scan
from .writing import invalid_rows, write

__all__ = [
    "MAX_REPORTED",
    "ON_DUPLICATE",
    "ON_ERROR",
    "ON_SUPPRESSED",
    "READ_CHUNK",
    "ImportRejected",
    "ImportReport",
    "UndoResult",
    "formats",
    "header",
    "import_csv",
    "mapping",
    "staging",
    "undo_import",
]

ON_DUPLICATE = ("skip", "error", "allow")
ON_ERROR = ("abort", "skip")
ON_SUPPRESSED = ("skip", "error", "allow")

Progress = Callable[[str, int, int], None]


@metrics.timed_import
def import_csv(
    outdial: Outdial,
    stream,
    *,
    file_name: str = "",
    region: str | None = None,
    on_duplicate: str = "skip",
    on_error: str = "abort",
    on_suppressed: str = "skip",
    dry_run: bool = False,
    strict: bool | None = None,
    created_by=None,
    created_by_name: str = "",
    progress: Progress | None = None,
    columns: dict | None = None,
    key: str = "",
    unmapped_to_data: bool = False,
    sheet: str | None = None,
    preview: int = 0,
    batch: ImportBatch | None = None,
    tracker=None,
) -> ImportReport:
    """Import the CSV or spreadsheet file ``stream`` (binary) into ``outdial``.

    ``columns`` maps the file's headers to fields (``mapping.FIELDS``); without
    it the importer guesses and says so in ``warnings``. ``key`` names a column
    whose value is kept on each target: a later file with the same key updates
    that target. ``unmapped_to_data`` keeps the columns not mapped in ``data``
    as a JSON object. ``sheet`` picks a workbook's sheet (else the first).
    ``preview`` rows are reported as they would be stored, with the columns'
    sample values.

    ``region`` is the default country of numbers written without ``+``
    (``OUTDIALS["DEFAULT_REGION"]`` when not given). ``on_duplicate``: ``skip``
    rows with an address the outdial or an earlier row already has, count them
    as an ``error``, or ``allow`` them. ``on_error``: ``abort`` writes nothing
    when any row is invalid; ``skip`` writes the valid rows. ``on_suppressed``:
    a row with an address on a suppression list that applies to the outdial
    (``suppression``) is counted in ``suppressed`` and ``skip``-ped, counted
    as an ``error`` too, or imported anyway (``allow``; claims still pass
    over the address), the list named in the row's warning or error. ``dry_run`` checks
    and reports without writing. ``progress(phase, done, total)`` is called now
    and then: ``check`` counts bytes, ``write`` counts targets.

    ``batch`` and ``tracker`` are a background job's (``background.py``):
    the import fills that batch and reports its progress through the
    tracker, which raises :class:`~outdials.jobs.JobCancelled` when the job
    is cancelled (nothing is kept then either).

    Raises :class:`ImportRejected` (nothing written) for a whole-file problem,
    a limit, or invalid rows under ``on_error=abort``.
    """
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate must be one of {ON_DUPLICATE}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}")
    if on_suppressed not in ON_SUPPRESSED:
        raise ValueError(f"on_suppressed must be one of {ON_SUPPRESSED}")
    try:
        region = validators.validate_region(
            region or settings.OUTDIALS["DEFAULT_REGION"]
        )
    except ValidationError as error:
        raise reject("INVALID_REGION", error.messages[0]) from None
    if strict is None:
        strict = validators.strict_by_default()
    if columns is not None:
        try:
            columns = mapping.parse(columns)
        except ValueError as error:
            raise reject("INVALID_MAPPING", f"The mapping {error}") from None
    chosen = mapping.Mapping(columns, key or "", unmapped_to_data)
    started = timezone.now()
    source = _open(stream, file_name, sheet)
    checker = None

    def checking(phase: str, done: int, total: int) -> None:
        if tracker is not None:
            tracker.update(checked=max(checker.row - 1, 0))
        if progress:
            progress(phase, done, total)

    try:
        checker = Checker(
            outdial,
            region=region,
            strict=strict,
            on_duplicate=on_duplicate,
            on_suppressed=on_suppressed,
            progress=checking if tracker is not None or progress else None,
            columns=chosen,
            preview_rows=preview,
        )
        plan = checker.run(source)
    finally:
        if not isinstance(source, spreadsheet.Sheet) and (
            binary(stream) is not source.file
        ):
            source.file.close()
    if isinstance(source, spreadsheet.Sheet):
        plan.report.sheet, plan.report.sheets = source.name, source.names
    with plan.spool:
        if dry_run:
            return plan.report
        if plan.report.invalid and on_error == "abort":
            raise invalid_rows(plan.report)
        options = {
            "on_duplicate": on_duplicate,
            "on_error": on_error,
            "created_by": created_by,
            "created_by_name": created_by_name,
            "file_name": file_name,
            "params": {
                "region": region,
                "on_duplicate": on_duplicate,
                "on_error": on_error,
                "on_suppressed": on_suppressed,
                "strict": strict,
                "columns": columns,
                "key": key,
                "unmapped_to_data": unmapped_to_data,
                "sheet": sheet,
            },
        }
        write(
            outdial,
            plan,
            started=started,
            options=options,
            progress=progress,
            batch=batch,
            tracker=tracker,
        )
    statistics.refresh_after_bulk_write(plan.report.created, OutdialTarget, Destination)
    return plan.report


def _open(stream, file_name: str, sheet: str | None):
    """A CSV ``Source`` or a spreadsheet's ``Sheet``, after the size limit."""
    limit = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
    file = binary(stream)
    kind = formats.detect(file, file_name) if file is not None else "csv"
    if kind == "csv":
        return scan(stream, limit)
    start = file.tell()
    size = file.seek(0, 2) - start
    file.seek(start)
    if size > limit:
        raise reject(
            "FILE_TOO_LARGE",
            f"The file is larger than the limit of {limit} bytes; split it into "
            "several imports.",
            413,
        )
    return spreadsheet.open_sheet(
        file, kind, sheet, settings.OUTDIALS["IMPORT_MAX_ROWS"]
    )


def undo_import(batch: ImportBatch) -> UndoResult:
    """Undo ``batch``: delete (softly, like every delete) its live targets that
    were never attempted; keep the others, which have a history, and count them;
    give the targets it updated their values before (``restored``). Raises
    :class:`ImportRejected` (409) when the batch was undone already."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update(no_key=True).get(pk=batch.pk)
        if locked.status != JobStatus.DONE or locked.dry_run:
            raise ImportRejected(
                "IMPORT_NOT_DONE",
                "Only a finished import that wrote targets can be undone; cancel "
                "one that is still queued or running.",
                409,
            )
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
        restored, held = updating.restore(locked)
        locked.tm_undo = now
        locked.save(update_fields=["tm_undo"])
    statistics.refresh_after_bulk_write(deleted, OutdialTarget)
    batch.tm_undo = now
    return UndoResult(deleted=deleted, kept=kept + held, restored=restored)
