"""CSV imports: ``POST /outdials/{id}/targets/import`` (an action of the
targets, see ``target_views.py``) takes a multipart ``file`` or a
``text/csv`` body and queues its import as a background job (202, or with
``?wait=N`` the report when it ends within N seconds);
``/outdials/{id}/imports[/{import_id}[/cancel]]`` lists, shows, undoes and
cancels imports. Each parses, calls ``outdials.importing`` / ``outdials.jobs``,
answers."""

from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from .. import importing, jobs
from ..bodies import spooled_body
from ..importing import background
from ..importing.report import in_order
from ..models import ImportBatch, JobStatus
from . import wire
from .answers import page_response, valid
from .base import ViewSet
from .errors import APIError
from .import_serializers import ImportParamsSerializer
from .lookups import import_of, outdial_of

CSV_TYPES = ("text/csv",)


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Answer with the first renderer whatever ``Accept`` says: a client that
    asks for ``text/csv`` gets the CSV, and any error as the JSON envelope."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _rejected(error: importing.ImportRejected, with_report: bool = True) -> APIError:
    details = error.report.as_dict() if with_report and error.report else None
    return APIError(error.http_status, error.reason, error.message, details=details)


def _upload(request):
    """The CSV's binary stream, its file name and the form fields sent with it."""
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type in CSV_TYPES:
        # The spooled body (outdials.bodies) as a file: request.body would
        # hold the whole file in memory and stop at DATA_UPLOAD_MAX_MEMORY_SIZE.
        return spooled_body(request._request) or request._request, "", {}
    if content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise APIError(
                400,
                "MISSING_FILE",
                "The multipart body has no 'file' field; send the CSV in it.",
            )
        fields = {key: request.data.get(key) for key in request.data if key != "file"}
        return upload, upload.name or "", fields
    raise APIError(
        400,
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the CSV as a text/csv body or as the 'file' field of a "
        "multipart/form-data body.",
    )


def run_import(request, outdial) -> Response:
    """Queue the import of the request's CSV or spreadsheet into ``outdial``
    with the options it names: 202 with the import to poll, or, with
    ``?wait=N``, what a synchronous import answers if it ends within N s."""
    stream, file_name, fields = _upload(request)
    options = valid(
        ImportParamsSerializer, {**request.query_params.dict(), **fields}
    ).validated_data
    try:
        batch = background.queue_import(
            outdial,
            stream,
            file_name=options["file_name"] or file_name,
            region=options.get("region") or None,
            on_duplicate=options["on_duplicate"],
            on_error=options["on_error"],
            on_suppressed=options["on_suppressed"],
            dry_run=options["dry_run"],
            strict=options["strict"],
            created_by=request.user.user,
            created_by_name=request.user.label,
            columns=options["mapping"],
            key=options["key"],
            unmapped_to_data=options["unmapped_to_data"],
            sheet=options["sheet"] or None,
            preview=options["preview"],
        )
    except importing.ImportRejected as error:
        raise _rejected(error) from None
    if options["wait"] and jobs.wait(batch, options["wait"]):
        return _ended(batch)
    return Response(
        wire.import_batch(batch), status=202, headers={"Location": _location(batch)}
    )


def _location(batch: ImportBatch) -> str:
    return f"/v1.0/outdials/{batch.outdial_id}/imports/{batch.pk}"


def _ended(batch: ImportBatch) -> Response:
    """An ended import answered as a synchronous import answers: its report,
    or the error that refused it (the report in ``details``)."""
    if batch.status == JobStatus.DONE:
        return Response(in_order(batch.report))
    if batch.status == JobStatus.CANCELLED:
        raise APIError(409, "IMPORT_CANCELLED", "The import was cancelled.")
    raise APIError(
        batch.error_status or 500,
        batch.error_reason,
        batch.error_message,
        details=in_order(batch.report) if batch.report else None,
    )


class ImportViewSet(ViewSet):
    """An outdial's imports, ``/outdials/{outdial_pk}/imports``."""

    lookup_value_regex = "[^/]+"

    def list(self, request, outdial_pk=None):
        """The outdial's imports, newest first: who, when, which file, counts."""
        outdial = outdial_of(request, outdial_pk)
        imports = ImportBatch.objects.filter(outdial=outdial)
        return page_response(request, imports, wire.import_batch)

    def retrieve(self, request, outdial_pk=None, pk=None):
        """One import with its full report."""
        batch = import_of(outdial_of(request, outdial_pk), pk)
        return Response({**wire.import_batch(batch), "report": batch.report})

    def destroy(self, request, outdial_pk=None, pk=None):
        """Undo an import: its never-attempted targets go, the rest are kept."""
        batch = import_of(outdial_of(request, outdial_pk, live=True), pk)
        try:
            result = importing.undo_import(batch)
        except importing.ImportRejected as error:
            raise _rejected(error, with_report=False) from None
        return Response(
            {
                **wire.import_batch(batch),
                "deleted": result.deleted,
                "kept": result.kept,
                "restored": result.restored,
            }
        )

    @action(detail=True, methods=["post"])
    def cancel(self, request, outdial_pk=None, pk=None):
        """Cancel a queued or running import: nothing of it stays."""
        batch = import_of(outdial_of(request, outdial_pk), pk)
        if not background.cancel_import(batch):
            batch.refresh_from_db()
            raise APIError(
                409,
                "IMPORT_ALREADY_ENDED",
                f"The import has ended ({batch.status}); only a queued or "
                "running import can be cancelled.",
            )
        return Response(wire.import_batch(batch))
