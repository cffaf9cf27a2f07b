"""The REST API of SPEC §2: viewsets on one router (``urls.py``), thin actions
that parse, call the domain, answer. Targets, imports: ``target_views.py``,
``import_views.py``."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import credentials, dialing, paging, queries, targets
from .. import policy as dialing_policy
from ..models import AccessKey
from . import throttling, wire
from .answers import (
    json_answer,
    page_response,
    page_size_of,
    page_token_of,
    valid_body,
    valid_query,
)
from .auth import foreign_origin
from .base import ViewSet
from .dialing_serializers import (
    AvailableQuerySerializer,
    ClaimSerializer,
    PolicySerializer,
)
from .errors import APIError, error_response, route_not_found
from .lookups import access_key_of, outdial_of
from .parsers import json_body
from .serializers import (
    AccessKeyCreateSerializer,
    AccessKeyUpdateSerializer,
    CampaignSerializer,
    DataSerializer,
    LoginSerializer,
    OutdialCreateSerializer,
    OutdialUpdateSerializer,
)

# Ids in paths are checked by the views (a malformed one is a 400 naming it).
ANY_ID = "[^/]+"


class OutdialViewSet(ViewSet):
    lookup_value_regex = ANY_ID

    def list(self, request):
        # The customer's page in one statement compiled once (queries.py).
        token = page_token_of(request)
        after = paging.parse_token(token) if token else None
        size = page_size_of(request)
        rows = queries.live_outdials(request.user.customer.pk, after, size + 1)
        page = paging.page_of(rows, size)
        return json_answer(
            {
                "result": wire.outdials(page.items),
                "next_page_token": page.next_page_token,
            }
        )

    def create(self, request):
        fields = valid_body(OutdialCreateSerializer, request).validated_data
        outdial = targets.create_outdial(request.user.customer, **fields)
        return Response(wire.outdial(outdial))

    def retrieve(self, request, pk=None):
        return Response(wire.outdial(outdial_of(request, pk)))

    def _change(self, request, pk, serializer_class) -> Response:
        outdial = outdial_of(request, pk, live=True)
        changes = valid_body(serializer_class, request).validated_data
        return Response(wire.outdial(targets.update_fields(outdial, **changes)))

    def update(self, request, pk=None):
        return self._change(request, pk, OutdialUpdateSerializer)

    def destroy(self, request, pk=None):
        # Idempotent, as VoIPbin's (bin-api-manager/pkg/servicehandler/
        # outdials.go reads the outdial whether deleted or not, then deletes).
        outdial = outdial_of(request, pk)
        return Response(wire.outdial(targets.soft_delete(outdial)))

    @action(detail=True, methods=["put"], url_path="campaign_id")
    def campaign_id(self, request, pk=None):
        return self._change(request, pk, CampaignSerializer)

    @action(detail=True, methods=["put"], url_path="data")
    def data(self, request, pk=None):
        return self._change(request, pk, DataSerializer)

    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Lease eligible targets to a dialer."""
        outdial = outdial_of(request, pk, live=True, overdue=True)
        params = valid_body(ClaimSerializer, request)
        claims = dialing.claim(outdial, **params.arguments())
        return Response({"result": [wire.claim(c) for c in claims]})

    @action(detail=True, methods=["get"])
    def available(self, request, pk=None):
        """What a claim could take now."""
        outdial = outdial_of(request, pk, live=True)
        params = valid_query(AvailableQuerySerializer, request)
        arguments = params.arguments()
        found = dialing.available(outdial, **arguments)
        counts = dialing.callable_counts(
            outdial,
            max_try_counts=arguments["max_try_counts"],
            try_interval_ms=arguments["try_interval_ms"],
        )
        return Response({"result": [wire.target(t) for t in found], **counts})

    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Counts by status, destination and outcome."""
        return Response(dialing.summary(outdial_of(request, pk)))

    @action(detail=True, methods=["get", "put"], url_path="policy")
    def policy(self, request, pk=None):
        """The outdial's dialing policy; a PUT changes the fields it names."""
        if request.method == "GET":
            outdial = outdial_of(request, pk)
            return Response(wire.policy(outdial.pk, dialing_policy.as_dict(outdial)))
        outdial = outdial_of(request, pk, live=True)
        current = dialing_policy.as_dict(outdial)
        serializer = PolicySerializer(data=json_body(request), current=current)
        serializer.is_valid(raise_exception=True)
        saved = dialing_policy.save(outdial, serializer.validated_data)
        return Response(wire.policy(outdial.pk, saved))


class AccessKeyViewSet(ViewSet):
    lookup_value_regex = ANY_ID

    def list(self, request):
        queryset = AccessKey.objects.owned_by(request.user.customer).live()
        return page_response(request, queryset, wire.access_key)

    def create(self, request):
        fields = valid_body(AccessKeyCreateSerializer, request).validated_data
        access_key, token = credentials.new_access_key(
            request.user.customer, fields["name"], fields["detail"], fields["expire"]
        )
        return Response(wire.access_key(access_key, token=token))

    def retrieve(self, request, pk=None):
        return Response(wire.access_key(access_key_of(request, pk)))

    def update(self, request, pk=None):
        access_key = access_key_of(request, pk, live=True)
        changes = valid_body(AccessKeyUpdateSerializer, request).validated_data
        return Response(wire.access_key(targets.update_fields(access_key, **changes)))

    def destroy(self, request, pk=None):
        access_key = access_key_of(request, pk)
        return Response(wire.access_key(targets.soft_delete(access_key)))


class AuthViewSet(ViewSet):
    """``/auth/login`` and ``/auth/logout``."""

    @action(
        detail=False,
        methods=["post"],
        authentication_classes=[],
        permission_classes=[],
    )
    def login(self, request):
        """A 7-day token in the body and an HttpOnly cookie.

        Not from a page of another site: the body is read as JSON whatever its
        Content-Type (SPEC §2), so a cross-site ``text/plain`` form could carry
        it; the browser's ``Origin`` tells, and no other site can sign a
        browser in under its own account (login CSRF)."""
        origin = foreign_origin(request._request)
        if origin is not None:
            raise APIError(
                403,
                "CROSS_ORIGIN",
                f"A page of another site ({origin}) cannot sign in here; sign in "
                "from this site or without a browser.",
            )
        fields = valid_body(LoginSerializer, request).validated_data
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
                403,
                "NO_CUSTOMER",
                "This account belongs to no customer; use the admin.",
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

    @action(detail=False, methods=["post"])
    def logout(self, request):
        """Ends every login token of the caller's user (this one included)
        and clears the cookie."""
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


@csrf_exempt
def unknown(request, path=""):
    """Any other URL under the API: a 404 in the envelope, never an HTML page."""
    refused = route_not_found(request)
    return error_response(request, 404, refused.reason, refused.message)
