"""Suppression lists, their entries and change log (issue 16)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers

from ...models import DestinationType, JobStatus, SuppressionKind, SuppressionScope
from .. import suppression_views
from ..suppression_serializers import (
    EntrySerializer,
    ListSerializer,
    ListUpdateSerializer,
)
from .components import (
    AUTHED,
    PAGING,
    WITH_BODY,
    JobErrorOut,
    JobProgressOut,
    TimestampField,
    _uuid_path,
    answers,
    json_body,
    page_of,
)

SUPPRESSIONS = ["suppressions"]
LIST_ID = _uuid_path("id", "suppression list")
ENTRY_ID = OpenApiParameter(
    "entry_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The entry's id."
)
ID_PAGING = [
    PAGING[0],
    OpenApiParameter(
        "page_token",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="`next_page_token` of the previous page, unchanged.",
    ),
]


class SuppressionListOut(serializers.Serializer):
    id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    name = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    scope = serializers.ChoiceField(choices=SuppressionScope.values)
    outdial_ids = serializers.ListField(child=serializers.UUIDField())
    default_for = serializers.UUIDField(
        allow_null=True,
        help_text="The outdial whose results' `suppress: true` add here.",
    )
    tm_create = TimestampField()
    tm_update = TimestampField()

    class Meta:
        ref_name = "SuppressionList"


class SuppressionDeletionOut(serializers.Serializer):
    id = serializers.UUIDField()
    list_id = serializers.UUIDField()
    created_by = serializers.CharField(allow_blank=True)
    removed = serializers.IntegerField(
        min_value=0, allow_null=True, help_text="Entries removed, once done."
    )
    tm_create = TimestampField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = JobProgressOut()
    tm_start = TimestampField()
    tm_end = TimestampField()
    error = JobErrorOut(allow_null=True)

    class Meta:
        ref_name = "SuppressionDeletion"


class SuppressionEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    list_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=SuppressionKind.values)
    type = serializers.ChoiceField(choices=DestinationType.choices)
    address = serializers.CharField(help_text="Normalized as targets are.")
    tm_expire = TimestampField()
    reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    tm_create = TimestampField()

    class Meta:
        ref_name = "SuppressionEntry"


class SuppressionChangeOut(serializers.Serializer):
    id = serializers.IntegerField()
    list_id = serializers.UUIDField()
    action = serializers.CharField(
        help_text="create_list, update_list, add, renew, remove or load."
    )
    what = serializers.DictField(help_text="The address, or the counts of a load.")
    created_by = serializers.CharField(allow_blank=True)
    tm_create = TimestampField()

    class Meta:
        ref_name = "SuppressionChange"


class SuppressionCheckOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=DestinationType.choices)
    address = serializers.CharField(help_text="The address, normalized.")
    suppressed = serializers.BooleanField()
    result = SuppressionEntryOut(many=True, help_text="The entries that match.")

    class Meta:
        ref_name = "SuppressionCheck"


CHECK_PARAMETERS = [
    OpenApiParameter(
        "address", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True
    ),
    OpenApiParameter(
        "type",
        {"type": "string", "enum": list(DestinationType.values)},
        OpenApiParameter.QUERY,
        description="Guessed from the address when left out.",
    ),
]

extend_schema_view(
    list=extend_schema(
        tags=SUPPRESSIONS,
        summary="List suppression lists",
        parameters=PAGING,
        responses=answers(page_of(SuppressionListOut, "SuppressionList"), 400, *AUTHED),
    ),
    create=extend_schema(
        tags=SUPPRESSIONS,
        summary="Create a suppression list",
        description="Scope `all` (the default) applies to every outdial of "
        "the customer; `chosen` to those in `outdial_ids`. Its entries are "
        "never claimed and are skipped at import.",
        request=json_body(ListSerializer),
        responses=answers(SuppressionListOut, *WITH_BODY, *AUTHED),
    ),
    retrieve=extend_schema(
        tags=SUPPRESSIONS,
        summary="Get a suppression list",
        parameters=[LIST_ID],
        responses=answers(SuppressionListOut, 400, 404, *AUTHED),
    ),
    update=extend_schema(
        tags=SUPPRESSIONS,
        summary="Change a suppression list",
        parameters=[LIST_ID],
        request=json_body(ListUpdateSerializer),
        responses=answers(SuppressionListOut, 404, *WITH_BODY, *AUTHED),
    ),
    destroy=extend_schema(
        tags=SUPPRESSIONS,
        summary="Delete a suppression list and its entries",
        description="The list applies nowhere from the moment it is asked. A "
        "list of up to 10,000 entries (the service's setting) loses them at "
        "once: 200 with the list. A bigger one loses them in a background "
        "job: 202 with the deletion; poll it at `Location`. Asking again "
        "answers the same, and resumes a deletion that stopped.",
        parameters=[LIST_ID],
        responses={
            **answers(SuppressionListOut, 400, 404, *AUTHED),
            202: OpenApiResponse(
                SuppressionDeletionOut, description="Queued, for a big list."
            ),
        },
    ),
    deletion=extend_schema(
        tags=SUPPRESSIONS,
        summary="The deletion of a big list, with its progress",
        parameters=[LIST_ID],
        responses=answers(SuppressionDeletionOut, 400, 404, *AUTHED),
    ),
    entries=extend_schema(
        tags=SUPPRESSIONS,
        summary="List the entries, or add one",
        description="GET: newest first, keyset paged. POST: add an address "
        "(normalized as targets are) or a phone prefix; an address the list "
        "has gets the new expiry, reason and source.",
        parameters=[LIST_ID, *ID_PAGING],
        request=json_body(EntrySerializer),
        responses=answers(
            page_of(SuppressionEntryOut, "SuppressionEntry"),
            404,
            *WITH_BODY,
            *AUTHED,
            description="GET: a page of entries; POST: the entry.",
        ),
    ),
    remove_entry=extend_schema(
        tags=SUPPRESSIONS,
        summary="Remove an entry",
        parameters=[LIST_ID, ENTRY_ID],
        responses=answers(SuppressionEntryOut, 400, 404, *AUTHED),
    ),
    changes=extend_schema(
        tags=SUPPRESSIONS,
        summary="The change log of a list",
        parameters=[LIST_ID, *ID_PAGING],
        responses=answers(
            page_of(SuppressionChangeOut, "SuppressionChange"), 400, 404, *AUTHED
        ),
    ),
    check=extend_schema(
        tags=SUPPRESSIONS,
        summary="Check one address",
        description="Whether any of the caller's lists (whatever its scope) "
        "suppresses the address now, and which entries do.",
        parameters=CHECK_PARAMETERS,
        responses=answers(SuppressionCheckOut, 400, *AUTHED),
    ),
)(suppression_views.SuppressionListViewSet)
