"""CSV import and export of targets, and the import history."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from ...exporting import export_columns
from ...filters import TargetFilter
from .. import export_views, import_views, target_views
from ..import_serializers import ImportParamsSerializer
from .components import (
    AUTHED,
    EXPORT_ID,
    IMPORT_ID,
    OUTDIAL_ID,
    PAGING,
    ExportJobOut,
    ImportBatchOut,
    ImportDetailOut,
    ImportReportOut,
    ImportUndoneOut,
    answers,
    errors,
    filter_parameters,
    page_of,
)

IMPORTS = ["imports"]
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The import's path, to poll.",
    response=[202],
)


class ImportUpload(serializers.Serializer):
    """The multipart form: the file and, optionally, the query's options."""

    file = serializers.FileField(
        help_text="The file: CSV (.csv, .tsv, .txt), Excel (.xlsx, .xls) or "
        "OpenDocument (.ods); its first row names the columns."
    )

    class Meta:
        ref_name = "ImportUpload"


extend_schema_view(
    import_csv=extend_schema(
        tags=IMPORTS,
        summary="Import targets from a CSV or spreadsheet file",
        operation_id="outdials_targets_import",
        description=(
            "The CSV as a `text/csv` body, or a CSV or spreadsheet (.xlsx, "
            ".xls, .ods) as the `file` field of a `multipart/form-data` body; "
            "options in the query (or as form fields). Any header is "
            "accepted: `mapping` says which field each column fills, else "
            "the importer guesses (name from name, full name or first + last "
            "name; destinations from phone, mobile, cell, email, sip… columns "
            "in order) and says so in `warnings`. With `key`, a row whose key "
            "matches a live target updates it. Another kind of file answers "
            "400 `UNSUPPORTED_FILE_TYPE` naming what was received. The import "
            "runs as a background job: the answer is 202 with the import, "
            "whose `Location` to poll until its `status` is `done`, `failed` "
            "or `cancelled`. With `wait=N` (seconds, up to 25) the answer, when "
            "the job ends within N seconds, is what a synchronous import "
            "answers: 200 with the report, or the error that refused the file. "
            "With `on_error=abort` (the default) a file with any invalid row "
            "imports nothing and answers 400 `INVALID_ROWS` with the report in "
            "`details`. `dry_run=true` checks and imports nothing. Every import "
            "is all or nothing."
        ),
        parameters=[OUTDIAL_ID, ImportParamsSerializer, LOCATION],
        request={
            "multipart/form-data": ImportUpload,
            "text/csv": OpenApiTypes.STR,
        },
        responses={
            **answers(
                ImportReportOut,
                400,
                404,
                409,
                413,
                *AUTHED,
                description="With `wait`: the import ended within it.",
            ),
            202: OpenApiResponse(
                ImportBatchOut,
                description="Queued (or not ended within `wait`): poll the "
                "import at `Location`.",
            ),
        },
    ),
    export=extend_schema(
        tags=IMPORTS,
        summary="Export targets as CSV",
        operation_id="outdials_targets_export",
        description=(
            "The outdial's live targets, with the targets list's filters, as a "
            "CSV download; columns: " + ", ".join(f"`{c}`" for c in export_columns())
        ),
        parameters=[OUTDIAL_ID, *filter_parameters(TargetFilter)],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The CSV, header row first."
            ),
            **errors(400, 404, *AUTHED),
        },
    ),
)(target_views.TargetViewSet)

extend_schema_view(
    list=extend_schema(
        tags=IMPORTS,
        summary="List an outdial's imports",
        operation_id="outdials_imports_list",
        parameters=[OUTDIAL_ID, *PAGING],
        responses=answers(page_of(ImportBatchOut, "Import"), 400, 404, *AUTHED),
    ),
    retrieve=extend_schema(
        tags=IMPORTS,
        summary="Get an import and its report",
        operation_id="outdials_imports_retrieve",
        parameters=[OUTDIAL_ID, IMPORT_ID],
        responses=answers(ImportDetailOut, 400, 404, *AUTHED),
    ),
    destroy=extend_schema(
        tags=IMPORTS,
        summary="Undo an import",
        operation_id="outdials_imports_undo",
        description=(
            "Deletes the import's targets that were never attempted nor "
            "changed, and keeps the others; undoing twice answers 409."
        ),
        parameters=[OUTDIAL_ID, IMPORT_ID],
        responses=answers(ImportUndoneOut, 400, 404, 409, *AUTHED),
    ),
    cancel=extend_schema(
        tags=IMPORTS,
        summary="Cancel an import",
        operation_id="outdials_imports_cancel",
        description=(
            "Cancels a `queued` or `running` import: nothing of it stays. An "
            "import that has ended answers 409 `IMPORT_ALREADY_ENDED`."
        ),
        parameters=[OUTDIAL_ID, IMPORT_ID],
        request=None,
        responses=answers(ImportBatchOut, 400, 404, 409, *AUTHED),
    ),
)(import_views.ImportViewSet)

EXPORT_LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The export's path, to poll.",
    response=[202],
)

extend_schema_view(
    create=extend_schema(
        tags=IMPORTS,
        summary="Export targets as a file, in the background",
        operation_id="outdials_exports_create",
        description=(
            "Queues an export of the live targets the filters match (the "
            "targets list's). Poll the export at `Location`; once its `status` "
            "is `done`, `file` is the path of the complete CSV. For big lists "
            "this is the way: a file is whole or not there, where a stream can "
            "be cut."
        ),
        parameters=[OUTDIAL_ID, *filter_parameters(TargetFilter), EXPORT_LOCATION],
        request=None,
        responses={
            202: OpenApiResponse(ExportJobOut, description="Queued."),
            **errors(400, 404, *AUTHED),
        },
    ),
    retrieve=extend_schema(
        tags=IMPORTS,
        summary="Get an export",
        operation_id="outdials_exports_retrieve",
        parameters=[OUTDIAL_ID, EXPORT_ID],
        responses=answers(ExportJobOut, 400, 404, *AUTHED),
    ),
    file=extend_schema(
        tags=IMPORTS,
        summary="Download an export's file",
        operation_id="outdials_exports_file",
        description="The CSV, as the streamed export writes it; 409 until done.",
        parameters=[OUTDIAL_ID, EXPORT_ID],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The CSV, header row first."
            ),
            **errors(400, 404, 409, *AUTHED),
        },
    ),
)(export_views.ExportViewSet)
