"""Imports as background jobs: the file waits in storage, a worker imports it.

:func:`queue_import` keeps the file in Django's default storage and queues
the job; :func:`run_import` (the task's body, in a worker) runs the same
:func:`~outdials.importing.import_csv` as a direct import, and the file is
removed when the job ends, however it ends. The API, the upload page and
``import_targets --background`` start imports here.
"""

import io
import logging

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from .. import jobs
from ..models import ImportBatch, JobStatus
from .report import ImportRejected, reject
from .writing import discard_staged  # noqa: F401  (registers the clean-up)

logger = logging.getLogger(__name__)


class _Limited(io.RawIOBase):
    """A stream that refuses to read past ``limit`` bytes (FILE_TOO_LARGE)."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.seen = stream, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size if size and size > 0 else 1 << 20)
        self.seen += len(chunk)
        if self.seen > self.limit:
            raise _too_large(self.limit)
        return chunk


def _too_large(limit: int) -> ImportRejected:
    return reject(
        "FILE_TOO_LARGE",
        f"The file is larger than the limit of {limit} bytes; split it into "
        "several imports.",
        413,
    )


def _store(batch: ImportBatch, stream) -> str:
    """Keep the upload in the default storage; answers its name there."""
    limit = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
    size = getattr(stream, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    name = f"jobs/imports/{batch.pk}"
    if size is None:
        stream = File(_Limited(stream, limit), name=name)
    elif not isinstance(stream, File):
        stream = File(stream, name=name)
    return default_storage.save(name, stream)


def queue_import(
    outdial,
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
    columns: dict | None = None,
    key: str = "",
    unmapped_to_data: bool = False,
    sheet: str | None = None,
    preview: int = 0,
) -> ImportBatch:
    """Keep ``stream`` and queue its import into ``outdial`` with the options
    of :func:`~outdials.importing.import_csv`; answers the queued batch.
    Raises :class:`ImportRejected` (413) for a file over the size limit,
    before anything is queued."""
    batch = ImportBatch(
        outdial=outdial,
        status=JobStatus.QUEUED,
        dry_run=dry_run,
        created_by=created_by,
        created_by_name=created_by_name[:255],
        file_name=file_name[:255],
        params={
            "region": region,
            "on_duplicate": on_duplicate,
            "on_error": on_error,
            "on_suppressed": on_suppressed,
            "strict": strict,
            "columns": columns,
            "key": key,
            "unmapped_to_data": unmapped_to_data,
            "sheet": sheet,
            "preview": preview,
        },
    )
    batch.file = _store(batch, stream)
    try:
        batch.save(force_insert=True)
        from .. import tasks

        jobs.enqueue(batch, tasks.import_file)
    except BaseException:
        default_storage.delete(batch.file)
        raise
    return batch


def run_import(batch_id: str) -> None:
    """The job: import the kept file into its outdial, then remove the file."""
    from . import import_csv

    batch = (
        ImportBatch.objects.select_related("outdial", "created_by")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None or not jobs.begin(batch):
        if batch is not None:
            jobs.remove_file(batch)  # cancelled while queued
        return
    params = batch.params
    try:
        with jobs.Tracker(batch) as tracker, default_storage.open(batch.file) as file:
            report = import_csv(
                batch.outdial,
                file,
                file_name=batch.file_name,
                region=params.get("region"),
                on_duplicate=params.get("on_duplicate", "skip"),
                on_error=params.get("on_error", "abort"),
                on_suppressed=params.get("on_suppressed", "skip"),
                dry_run=batch.dry_run,
                strict=params.get("strict"),
                columns=params.get("columns"),
                key=params.get("key") or "",
                unmapped_to_data=params.get("unmapped_to_data", False),
                sheet=params.get("sheet"),
                preview=params.get("preview", 0),
                created_by=batch.created_by,
                created_by_name=batch.created_by_name,
                batch=batch,
                tracker=tracker,
            )
        if batch.dry_run:
            jobs.finish(batch, **_counts(report), report=report.as_dict())
        # A written import was marked done in the transaction that wrote it.
    except ImportRejected as rejected:
        report = rejected.report
        jobs.fail(
            batch,
            rejected.reason,
            rejected.message,
            rejected.http_status,
            **{**_counts(report), "created": 0, "updated": 0},
            report=report.as_dict(),
        )
    except jobs.JobCancelled:
        pass  # cancelled meanwhile: what it wrote was undone on the way out
    except Exception as error:
        jobs.fail(
            batch,
            "IMPORT_FAILED",
            f"The import stopped on an unexpected error ({type(error).__name__}: "
            f"{error}); nothing was imported.",
            500,
        )
        raise  # the queue keeps the traceback for operators
    finally:
        jobs.remove_file(batch)


def _counts(report) -> dict:
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "duplicates": report.duplicates,
        "invalid": report.invalid,
        "checked": report.rows,
    }


def cancel_import(batch: ImportBatch) -> bool:
    """Cancel a queued or running import: nothing of it stays. ``False``
    when it had ended."""
    return jobs.cancel(batch)
