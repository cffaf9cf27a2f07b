"""Suppression lists, ``/v1.0/suppressions…`` (issue 16): lists, their
entries (keyset pages, add and remove one), checking one address, and the
change log. Each action parses, calls ``suppression``, answers."""

from django.db.models import Prefetch
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import suppression
from ..models import Outdial, SuppressionEntry, SuppressionList
from . import wire
from .answers import page_response, page_size_of, page_token_of, valid_body, valid_query
from .base import ViewSet
from .errors import APIError, not_found
from .lookups import parse_id
from .suppression_serializers import (
    CheckSerializer,
    EntrySerializer,
    ListSerializer,
    ListUpdateSerializer,
)
from .views import ANY_ID


def lists_of(request, deleted=False):
    lists = SuppressionList.objects.owned_by(request.user.customer)
    return (lists if deleted else lists.live()).prefetch_related(
        Prefetch("outdials", queryset=Outdial.objects.only("pk"))
    )


def list_of(request, pk: str, deleted=False) -> SuppressionList:
    """The caller's list ``pk``: another customer's is a 404, like a missing
    one; so is a deleted one, unless ``deleted``."""
    found = lists_of(request, deleted).filter(pk=parse_id(pk)).first()
    if found is None:
        raise not_found("suppression_list")
    return found


def _outdials(request, ids) -> list[Outdial] | None:
    if ids is None:
        return None
    found = list(Outdial.objects.owned_by(request.user.customer).filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise APIError(
            400,
            "INVALID_ARGUMENT",
            "outdial_ids names an outdial that is not one of yours.",
            details=[{"field": "outdial_ids", "message": "not one of your outdials."}],
        )
    return found


def _keyset_page(request, queryset, present) -> Response:
    try:
        items, token = suppression.page(
            queryset, page_token_of(request), page_size_of(request)
        )
    except ValueError:
        raise APIError(
            400,
            "INVALID_PAGE_TOKEN",
            "page_token is not one this API gave out; pass next_page_token back "
            "unchanged, or leave it out for the first page.",
        ) from None
    return Response({"result": [present(i) for i in items], "next_page_token": token})


class SuppressionListViewSet(ViewSet):
    lookup_value_regex = ANY_ID

    def list(self, request):
        return page_response(request, lists_of(request), wire.suppression_list)

    def create(self, request):
        fields = valid_body(ListSerializer, request).validated_data
        made = suppression.create_list(
            request.user.customer,
            name=fields["name"],
            detail=fields.get("detail", ""),
            scope=fields.get("scope", "all"),
            outdials=_outdials(request, fields.get("outdial_ids")) or (),
            user=request.user.user,
        )
        return Response(wire.suppression_list(list_of(request, str(made.pk))))

    def retrieve(self, request, pk=None):
        return Response(wire.suppression_list(list_of(request, pk)))

    def update(self, request, pk=None):
        found = list_of(request, pk)
        fields = dict(valid_body(ListUpdateSerializer, request).validated_data)
        outdials = _outdials(request, fields.pop("outdial_ids", None))
        suppression.update_list(
            found, user=request.user.user, outdials=outdials, **fields
        )
        return Response(wire.suppression_list(list_of(request, pk)))

    def destroy(self, request, pk=None):
        """The list applies nowhere from now on. Its entries go at once
        (200 with the list), or, a big list's, in a job: 202 with the
        deletion, whose ``Location`` to poll. Deleting it again answers the
        same (and resumes a deletion that stopped)."""
        found = list_of(request, pk, deleted=True)
        job = suppression.delete_list(found, user=request.user.user)
        if job is None:
            return Response(wire.suppression_list(found))
        return Response(
            wire.suppression_deletion(job),
            status=202,
            headers={"Location": wire.suppression_deletion_path(job)},
        )

    @action(detail=True, methods=["get"])
    def deletion(self, request, pk=None):
        """The latest deletion of a list, with its progress."""
        found = list_of(request, pk, deleted=True)
        job = found.uploads.filter(kind="delete").order_by("-tm_create").first()
        if job is None:
            raise not_found("suppression_deletion")
        return Response(wire.suppression_deletion(job))

    @action(detail=True, methods=["get", "post"])
    def entries(self, request, pk=None):
        """GET: the list's entries, newest first; POST: add one (an address
        already there gets the new expiry, reason and source)."""
        found = list_of(request, pk)
        if request.method == "GET":
            queryset = SuppressionEntry.objects.filter(list=found)
            return _keyset_page(request, queryset, wire.suppression_entry)
        fields = valid_body(EntrySerializer, request).validated_data
        entry, _ = suppression.add(
            found,
            type_=fields["type"],
            address=fields["address"],
            kind=fields["kind"],
            tm_expire=fields.get("tm_expire"),
            reason=fields["reason"],
            source=fields["source"] or request.user.label,
            user=request.user.user,
        )
        return Response(wire.suppression_entry(entry))

    @action(
        detail=True,
        methods=["delete"],
        url_path=r"entries/(?P<entry_id>[^/]+)",
        url_name="entry",
    )
    def remove_entry(self, request, pk=None, entry_id=None):
        """Remove one entry, by its id."""
        found = list_of(request, pk)
        entry = (
            SuppressionEntry.objects.filter(list=found, pk=entry_id).first()
            if str(entry_id).isdigit() and len(str(entry_id)) < 19
            else None
        )
        if entry is None:
            raise not_found("suppression_entry")
        suppression.remove(found, entry, user=request.user.user)
        return Response(wire.suppression_entry(entry))

    @action(detail=True, methods=["get"])
    def changes(self, request, pk=None):
        """Every change to the list, newest first: who, when, what."""
        found = list_of(request, pk)
        log = found.changes.all()
        return _keyset_page(request, log, wire.suppression_change)

    @action(detail=False, methods=["get"])
    def check(self, request):
        """Whether one address is suppressed, and by which of the caller's
        lists (whatever their scope)."""
        fields = valid_query(CheckSerializer, request).validated_data
        hits = suppression.check(
            request.user.customer, fields["type"], fields["address"]
        )
        return Response(
            {
                "type": fields["type"],
                "address": fields["address"],
                "suppressed": bool(hits),
                "result": [wire.suppression_entry(hit["entry"]) for hit in hits],
            }
        )
