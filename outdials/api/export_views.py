"""Exports as background jobs: ``POST /outdials/{id}/exports`` queues one (the
targets list's filters in the query), ``GET …/exports/{export_id}`` follows
it, and ``GET …/exports/{export_id}/file`` downloads the CSV once it is
complete. A big export so never ends silently short, as a cut stream can."""

from django.core.files.storage import default_storage
from django.http import FileResponse
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import bulk, filters
from ..models import JobStatus, TargetsJob
from . import wire
from .base import ViewSet
from .errors import APIError, not_found
from .import_views import FirstRendererNegotiation
from .lookups import outdial_of, parse_id


def _export(outdial, pk: str) -> TargetsJob:
    found = TargetsJob.objects.filter(
        outdial=outdial, kind="export", pk=parse_id(pk, "export_id")
    ).first()
    if found is None:
        raise not_found("export")
    return found


class ExportViewSet(ViewSet):
    """An outdial's exports, ``/outdials/{outdial_pk}/exports``."""

    lookup_value_regex = "[^/]+"

    def create(self, request, outdial_pk=None):
        """Queue an export of the targets the filters match: 202 with the
        export, whose ``Location`` to poll until it is ``done``."""
        outdial = outdial_of(request, outdial_pk, live=True)
        try:
            matching = filters.filtered_targets(outdial.pk, request.query_params)
        except filters.InvalidFilters as error:
            raise drf_serializers.ValidationError(error.errors) from None
        # Several values of one filter (?outcome=a&outcome=b) kept as one.
        chosen = {
            name: ",".join(request.query_params.getlist(name))
            for name in filters.TargetFilter.base_filters
            if request.query_params.get(name)
        }
        job = bulk.queue(
            outdial,
            "export",
            chosen,
            request.user.user,
            matching.count(),
            created_by_name=request.user.label,
        )
        return Response(
            wire.export_job(job),
            status=202,
            headers={"Location": wire.export_path(job)},
        )

    def retrieve(self, request, outdial_pk=None, pk=None):
        """One export: its state, progress and, once done, its file's path."""
        return Response(wire.export_job(_export(outdial_of(request, outdial_pk), pk)))

    @action(
        detail=True,
        methods=["get"],
        content_negotiation_class=FirstRendererNegotiation,
    )
    def file(self, request, outdial_pk=None, pk=None):
        """The export's CSV, once it is complete (409 before)."""
        job = _export(outdial_of(request, outdial_pk), pk)
        if job.status != JobStatus.DONE:
            raise APIError(
                409,
                "EXPORT_NOT_READY",
                f"The export is {job.status}; its file can be downloaded once "
                "it is done.",
            )
        if not job.file:
            raise APIError(
                404,
                "EXPORT_FILE_REMOVED",
                "An export's file is kept for a day; export again.",
            )
        return FileResponse(
            default_storage.open(job.file),
            as_attachment=True,
            filename=f"outdial-{job.outdial_id}-targets.csv",
            content_type="text/csv; charset=utf-8",
        )
