"""The REST API of SPEC §2: thin views that parse, call the domain, answer."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.middleware.csrf import get_token
from rest_framework import serializers as drf_serializers
from rest_framework import viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
)
from rest_framework.decorators import permission_classes as permissions
from rest_framework.response import Response

from .. import credentials, dialing, targets
from ..models import AccessKey, Outdial, OutdialTarget
from . import throttling, wire
from .auth import foreign_origin
from .errors import APIError, not_found, route_not_found
from .filters import TargetFilter
from .lookups import access_key_of, outdial_of, parse_id, target_of
from .pagination import page_of, page_size_of, paginate, parse_token
from .parsers import json_body
from .reads import destination_slots, live_targets, target_with_slots
from .serializers import (
    AccessKeyCreateSerializer,
    AccessKeyUpdateSerializer,
    CampaignSerializer,
    DataSerializer,
    LoginSerializer,
    OutdialCreateSerializer,
    OutdialUpdateSerializer,
    TargetCreateSerializer,
)


def valid(serializer_class, request):
    """The request's JSON body checked by ``serializer_class``."""
    serializer = serializer_class(data=json_body(request))
    serializer.is_valid(raise_exception=True)
    return serializer


def page_response(request, queryset, present) -> Response:
    page = paginate(request, queryset)
    return Response(
        {
            "result": [present(item) for item in page.items],
            "next_page_token": page.next_page_token,
        }
    )


class OutdialViewSet(viewsets.ViewSet):
    lookup_value_regex = "[^/]+"

    def list(self, request):
        queryset = Outdial.objects.live().filter(customer=request.user.customer)
        # Rows, not model instances: a third less per page.
        rows = queryset.values_list(*wire.OUTDIAL_FIELDS, named=True)
        return page_response(request, rows, wire.outdial)

    def create(self, request):
        fields = valid(OutdialCreateSerializer, request).validated_data
        outdial = Outdial.objects.create(customer=request.user.customer, **fields)
        return Response(wire.outdial(outdial))

    def retrieve(self, request, pk=None):
        return Response(wire.outdial(outdial_of(request, pk)))

    def update(self, request, pk=None):
        outdial = outdial_of(request, pk, live=True)
        changes = valid(OutdialUpdateSerializer, request).validated_data
        return Response(wire.outdial(targets.update_outdial(outdial, **changes)))

    def destroy(self, request, pk=None):
        # Idempotent, as VoIPbin's (bin-api-manager/pkg/servicehandler/
        # outdials.go reads the outdial whether deleted or not, then deletes).
        outdial = outdial_of(request, pk)
        return Response(wire.outdial(targets.soft_delete(outdial)))

    @action(detail=True, methods=["put"], url_path="campaign_id")
    def campaign_id(self, request, pk=None):
        outdial = outdial_of(request, pk, live=True)
        changes = valid(CampaignSerializer, request).validated_data
        return Response(wire.outdial(targets.update_outdial(outdial, **changes)))

    @action(detail=True, methods=["put"], url_path="data")
    def data(self, request, pk=None):
        outdial = outdial_of(request, pk, live=True)
        changes = valid(DataSerializer, request).validated_data
        return Response(wire.outdial(targets.update_outdial(outdial, **changes)))


class TargetViewSet(viewsets.ViewSet):
    """Targets of one outdial: ``/outdials/{outdial_pk}/targets``."""

    def list(self, request, outdial_pk=None):
        # Listing settles expired claims, checked in the outdial's own query.
        overdue = {"leases_overdue": dialing.leases_overdue()}
        outdial = outdial_of(request, outdial_pk, live=True, annotations=overdue)
        dialing.settle_if_overdue(outdial)
        if any(name in request.query_params for name in TargetFilter.base_filters):
            queryset = OutdialTarget.objects.live().filter(outdial_id=outdial.pk)
            filtered = TargetFilter(request.query_params, queryset=queryset)
            if not filtered.is_valid():
                raise drf_serializers.ValidationError(filtered.errors)
            # Rows, not model instances: no object per row.
            rows = filtered.qs.values_list(*wire.TARGET_FIELDS, named=True)
            page = paginate(request, rows)
        else:
            # A dialer's poll, unfiltered: the keyset page in one statement.
            size = page_size_of(request)
            token = request.query_params.get("page_token", "")
            after = parse_token(token) if token else None
            page = page_of(live_targets(outdial.pk, after, size + 1), size)
        # The page's destinations in one statement: two reads per page.
        slots = destination_slots([row.pk for row in page.items])
        return Response(
            {
                "result": wire.targets(outdial.pk, page.items, slots),
                "next_page_token": page.next_page_token,
            }
        )

    def create(self, request, outdial_pk=None):
        outdial = outdial_of(request, outdial_pk, live=True)
        params = valid(TargetCreateSerializer, request)
        target = targets.create_target(outdial, slots=params.slots(), **params.texts())
        return Response(wire.target(target))

    def retrieve(self, request, outdial_pk=None, pk=None):
        # The target joined to its outdial and destinations: one statement.
        outdial_id, target_id = parse_id(outdial_pk), parse_id(pk, "target_id")
        found = target_with_slots(request.user.customer.pk, outdial_id, target_id)
        if found is None:
            raise not_found("target")
        return Response(wire.target_row(*found))

    def destroy(self, request, outdial_pk=None, pk=None):
        # Idempotent, as VoIPbin's: a deleted target answers 200 with itself.
        target = target_of(request, outdial_pk, pk)
        if not targets.delete_target(target) and target.tm_delete is None:
            raise APIError(
                409,
                "TARGET_IN_PROGRESS",
                "The target is being dialed; delete it after its attempt ends.",
            )
        return Response(wire.target(target))


class AccessKeyViewSet(viewsets.ViewSet):
    lookup_value_regex = "[^/]+"

    def list(self, request):
        queryset = AccessKey.objects.live().filter(customer=request.user.customer)
        return page_response(request, queryset, wire.access_key)

    def create(self, request):
        fields = valid(AccessKeyCreateSerializer, request).validated_data
        access_key, token = credentials.new_access_key(
            request.user.customer, fields["name"], fields["detail"], fields["expire"]
        )
        return Response(wire.access_key(access_key, token=token))

    def retrieve(self, request, pk=None):
        return Response(wire.access_key(access_key_of(request, pk)))

    def update(self, request, pk=None):
        access_key = access_key_of(request, pk, live=True)
        changes = valid(AccessKeyUpdateSerializer, request).validated_data
        for name, value in changes.items():
            setattr(access_key, name, value)
        targets.touch(access_key, *changes)
        return Response(wire.access_key(access_key))

    def destroy(self, request, pk=None):
        access_key = access_key_of(request, pk)
        return Response(wire.access_key(targets.soft_delete(access_key)))


@api_view(["POST"])
@authentication_classes([])
@permissions([])
def login(request):
    """``POST /auth/login``: a 7-day token in the body and an HttpOnly cookie.

    Not from a page of another site: the body is read as JSON whatever its
    Content-Type (SPEC §2), so a cross-site ``text/plain`` form could carry
    it; the browser's ``Origin`` tells, and no other site can sign a browser
    in under its own account (login CSRF)."""
    origin = foreign_origin(request._request)
    if origin is not None:
        raise APIError(
            403,
            "CROSS_ORIGIN",
            f"A page of another site ({origin}) cannot sign in here; sign in "
            "from this site or without a browser.",
        )
    fields = valid(LoginSerializer, request).validated_data
    user = authenticate(
        request._request, username=fields["username"], password=fields["password"]
    )
    if user is None:
        throttling.refuse_if_locked(request._request)
        raise APIError(
            401, "INVALID_CREDENTIALS", "The username or password is not right."
        )
    if user.customer_id is None:
        raise APIError(
            403, "NO_CUSTOMER", "This account belongs to no customer; use the admin."
        )
    token = credentials.issue_token(user)
    response = Response({"username": user.get_username(), "token": token})
    lifetime = settings.OUTDIALS["TOKEN_LIFETIME"]
    response.set_cookie(
        "token",
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    # The CSRF proof that writes authenticated by that cookie need
    # (api/auth.py): the csrftoken cookie, sent back as X-CSRFToken.
    get_token(request._request)
    return response


@api_view(["POST"])
def logout(request):
    """``POST /auth/logout``: ends every login token of the caller's user
    (this one included) and clears the cookie."""
    user = request.user.user
    if user is None:
        raise APIError(
            400,
            "NOT_A_LOGIN_TOKEN",
            "An access key does not sign out; delete it (DELETE "
            "/v1.0/accesskeys/{id}) to end it.",
        )
    credentials.end_tokens(user)
    response = Response({"username": user.get_username()})
    response.delete_cookie("token", samesite="Lax")
    return response


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permissions([])
def unknown(request, path=""):
    """Any other URL under the API: a 404 in the envelope, never an HTML page."""
    raise route_not_found(request)
