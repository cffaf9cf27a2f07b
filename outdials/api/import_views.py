"""CSV import and export of an outdial's targets, and its import history.

``POST /outdials/{id}/targets/import`` takes a multipart ``file`` or a
``text/csv`` body; ``GET /outdials/{id}/targets/export`` streams CSV;
``/outdials/{id}/imports[/{import_id}]`` lists, shows and undoes imports.
Each view parses, calls ``outdials.importing`` / ``outdials.exporting``, answers.
"""

from django.http import StreamingHttpResponse
from rest_framework import serializers as drf_serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import exporting, importing
from ..bodies import spooled_body
from ..models import ImportBatch, OutdialTarget
from . import wire
from .errors import APIError, not_found
from .filters import TargetFilter
from .import_serializers import ImportParamsSerializer
from .lookups import outdial_of, parse_id
from .views import page_response

CSV_TYPES = ("text/csv",)


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Answer with the first renderer whatever ``Accept`` says: a client that
    asks for ``text/csv`` gets the CSV, and any error as the JSON envelope."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _rejected(error: importing.ImportRejected) -> APIError:
    return APIError(
        error.http_status, error.reason, error.message, details=error.report.as_dict()
    )


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


class ImportView(APIView):
    parser_classes = [MultiPartParser]

    def post(self, request, outdial_pk: str) -> Response:
        """Import a CSV or spreadsheet file; the answer is the import's report."""
        outdial = outdial_of(request, outdial_pk, live=True)
        stream, file_name, fields = _upload(request)
        params = ImportParamsSerializer(data={**request.query_params.dict(), **fields})
        params.is_valid(raise_exception=True)
        options = params.validated_data
        try:
            report = importing.import_csv(
                outdial,
                stream,
                file_name=options["file_name"] or file_name,
                region=options.get("region") or None,
                on_duplicate=options["on_duplicate"],
                on_error=options["on_error"],
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
        return Response(report.as_dict())


class ExportView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    def get(self, request, outdial_pk: str) -> StreamingHttpResponse:
        """The outdial's live targets as CSV, with the targets list's filters."""
        outdial = outdial_of(request, outdial_pk, live=True)
        filtered = TargetFilter(
            request.query_params,
            queryset=OutdialTarget.objects.live().filter(outdial=outdial),
        )
        if not filtered.is_valid():
            raise drf_serializers.ValidationError(filtered.errors)
        response = StreamingHttpResponse(
            exporting.iter_chunks(filtered.qs), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="outdial-{outdial.pk}-targets.csv"'
        )
        return response


class ImportListView(APIView):
    def get(self, request, outdial_pk: str) -> Response:
        """The outdial's imports, newest first: who, when, which file, counts."""
        outdial = outdial_of(request, outdial_pk)
        return page_response(
            request, ImportBatch.objects.filter(outdial=outdial), wire.import_batch
        )


def _batch(outdial, pk: str) -> ImportBatch:
    found = ImportBatch.objects.filter(
        outdial=outdial, pk=parse_id(pk, "import_id")
    ).first()
    if found is None:
        raise not_found("import")
    return found


class ImportDetailView(APIView):
    def get(self, request, outdial_pk: str, pk: str) -> Response:
        """One import with its full report."""
        batch = _batch(outdial_of(request, outdial_pk), pk)
        return Response({**wire.import_batch(batch), "report": batch.report})

    def delete(self, request, outdial_pk: str, pk: str) -> Response:
        """Undo an import: its never-attempted targets go, the rest are kept."""
        batch = _batch(outdial_of(request, outdial_pk, live=True), pk)
        try:
            result = importing.undo_import(batch)
        except importing.ImportRejected as error:
            raise APIError(error.http_status, error.reason, error.message) from None
        return Response(
            {
                **wire.import_batch(batch),
                "deleted": result.deleted,
                "kept": result.kept,
                "restored": result.restored,
            }
        )
