"""Targets of one outdial, ``/outdials/{outdial_pk}/targets``: the list, one
target, and the dialing and CSV actions on them. Each parses, calls the
domain (``dialing``, ``targets``, ``exporting``, ``importing``), answers."""

from django.db.models import F
from django.http import StreamingHttpResponse
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from .. import dialing, exporting, filters, paging, queries, targets
from . import wire
from .answers import (
    json_answer,
    page_response,
    page_size_of,
    page_token_of,
    valid_body,
    valid_query,
)
from .base import ViewSet
from .dialing_serializers import (
    EligibilityQuerySerializer,
    ResultSerializer,
    StatusSerializer,
)
from .errors import not_found
from .import_views import FirstRendererNegotiation, run_import
from .lookups import outdial_of, parse_id, target_of
from .serializers import TargetCreateSerializer
from .views import ANY_ID


class TargetViewSet(ViewSet):
    lookup_value_regex = ANY_ID

    def list(self, request, outdial_pk=None):
        customer = request.user.customer.pk
        outdial_id = parse_id(outdial_pk)
        # The outdial is the caller's and live: one statement compiled once.
        # A read writes nothing: expired leases are settled by the job
        # workers' housekeeping (and the next claim), not here.
        if queries.live_outdial_overdue(customer, outdial_id) is None:
            raise not_found("outdial")
        size, token = page_size_of(request), page_token_of(request)
        if filters.is_filtered(request.query_params):
            matching = filters.filtered_targets(outdial_id, request.query_params)
            # Rows, not model instances: no object per row.
            rows = matching.values_list(*queries.TARGET_FIELDS, named=True)
            page = paging.paginate(rows, token, size)
        else:
            # A dialer's poll, unfiltered: the keyset page in one statement.
            after = paging.parse_token(token) if token else None
            page = paging.page_of(
                queries.live_targets(outdial_id, after, size + 1), size
            )
        # The page's destinations in one statement: two reads per page.
        slots = queries.destination_slots([row.pk for row in page.items])
        return json_answer(
            {
                "result": wire.targets(outdial_id, page.items, slots),
                "next_page_token": page.next_page_token,
            }
        )

    def create(self, request, outdial_pk=None):
        outdial = outdial_of(request, outdial_pk, live=True)
        params = valid_body(TargetCreateSerializer, request)
        target = targets.create_target(outdial, slots=params.slots(), **params.texts())
        return Response(wire.target(target))

    def retrieve(self, request, outdial_pk=None, pk=None):
        # The target joined to its outdial and destinations: one statement.
        outdial_id, target_id = parse_id(outdial_pk), parse_id(pk, "target_id")
        found = queries.target_with_slots(
            request.user.customer.pk, outdial_id, target_id
        )
        if found is None:
            raise not_found("target")
        return json_answer(wire.target_row(*found))

    def destroy(self, request, outdial_pk=None, pk=None):
        # Idempotent, as VoIPbin's: a deleted target answers 200 with itself.
        target = target_of(request, outdial_pk, pk)
        return Response(wire.target(targets.delete_target(target)))

    @action(detail=True, methods=["post"])
    def result(self, request, outdial_pk=None, pk=None):
        """Settle a claim."""
        outdial = outdial_of(request, outdial_pk)
        target_id = parse_id(pk, "target_id")
        fields = valid_body(ResultSerializer, request).validated_data
        target = dialing.report_result(
            outdial,
            target_id,
            fields["claim_id"],
            fields["outcome"],
            callback_at=fields.get("callback_at"),
            suppress=fields["suppress"],
            suppress_reason=fields["suppress_reason"],
            source=f"result by {request.user.label}",
        )
        return Response(wire.target(target))

    @action(detail=True, methods=["get"])
    def eligibility(self, request, outdial_pk=None, pk=None):
        """Why a claim would (not) take the target."""
        outdial = outdial_of(request, outdial_pk)
        params = valid_query(EligibilityQuerySerializer, request)
        target = target_of(request, outdial_pk, pk, outdial=outdial)
        return Response(dialing.eligibility(target, **params.arguments()))

    @action(detail=True, methods=["get"])
    def attempts(self, request, outdial_pk=None, pk=None):
        """The attempt log, newest first."""
        outdial = outdial_of(request, outdial_pk)
        target = target_of(request, outdial_pk, pk, outdial=outdial)
        # Paged like every list: the keyset pager reads ``tm_create``.
        log = dialing.attempts(target).annotate(tm_create=F("tm_start"))
        return page_response(request, log, wire.attempt)

    @action(detail=True, methods=["put"])
    def status(self, request, outdial_pk=None, pk=None):
        """A person's override of the status."""
        outdial = outdial_of(request, outdial_pk, live=True)
        target = target_of(request, outdial_pk, pk, live=True, outdial=outdial)
        fields = valid_body(StatusSerializer, request).validated_data
        return Response(wire.target(dialing.set_status(target, fields["status"])))

    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
    )
    def import_csv(self, request, outdial_pk=None):
        """Queue the import of a CSV file (202), or with ``?wait=N`` answer its
        report when it ends within N seconds."""
        outdial = outdial_of(request, outdial_pk, live=True)
        return run_import(request, outdial)

    @action(
        detail=False,
        methods=["get"],
        content_negotiation_class=FirstRendererNegotiation,
    )
    def export(self, request, outdial_pk=None):
        """The outdial's live targets as CSV, with the targets list's filters."""
        outdial = outdial_of(request, outdial_pk, live=True)
        matching = filters.filtered_targets(outdial.pk, request.query_params)
        response = StreamingHttpResponse(
            exporting.iter_chunks(matching), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="outdial-{outdial.pk}-targets.csv"'
        )
        return response
