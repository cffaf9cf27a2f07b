"""Dialing endpoints: claim, result, available, eligibility, attempts, summary
and the status override. Each parses, calls ``outdials.dialing``, answers."""

from django.db.models import F
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .. import dialing
from ..models import OutdialTarget
from . import wire
from .dialing_serializers import (
    AvailableQuerySerializer,
    ClaimSerializer,
    EligibilityQuerySerializer,
    ResultSerializer,
    StatusSerializer,
)
from .errors import APIError, not_found
from .lookups import outdial_of, parse_id
from .parsers import json_body
from .views import page_response


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


def _outdial(request, outdial_pk: str, *, live: bool = False):
    """The caller's outdial, with whether it holds expired leases (no extra
    query), so the sweep runs only when it has work."""
    return outdial_of(
        request,
        outdial_pk,
        live=live,
        annotations={"leases_overdue": dialing.leases_overdue()},
    )


def _target(outdial, pk: str, *, live: bool = False) -> OutdialTarget:
    queryset = OutdialTarget.objects.filter(outdial=outdial)
    if live:
        queryset = queryset.live()
    found = queryset.with_destinations().filter(pk=parse_id(pk, "target_id")).first()
    if found is None:
        raise not_found("target")
    found.outdial = outdial
    return found


def _refused(error: dialing.DialingError) -> APIError:
    if isinstance(error, dialing.TargetNotFound):
        return not_found("target")
    return APIError(409, error.reason, error.message)


@api_view(["POST"])
def claim(request, outdial_pk: str) -> Response:
    """``POST /outdials/{id}/claim``: lease eligible targets to a dialer."""
    outdial = _outdial(request, outdial_pk, live=True)
    params = _valid(ClaimSerializer, json_body(request))
    claims = dialing.claim(outdial, **params.arguments())
    return Response({"result": [wire.claim(c) for c in claims]})


@api_view(["POST"])
def result(request, outdial_pk: str, pk: str) -> Response:
    """``POST /outdials/{id}/targets/{target_id}/result``: settle a claim."""
    outdial = outdial_of(request, outdial_pk)
    target_id = parse_id(pk, "target_id")
    fields = _valid(ResultSerializer, json_body(request)).validated_data
    try:
        target = dialing.report_result(
            outdial, target_id, fields["claim_id"], fields["outcome"]
        )
    except dialing.DialingError as error:
        raise _refused(error) from None
    return Response(wire.target(target))


@api_view(["GET"])
def available(request, outdial_pk: str) -> Response:
    """``GET /outdials/{id}/available``: what a claim could take now."""
    outdial = _outdial(request, outdial_pk, live=True)
    params = _valid(AvailableQuerySerializer, request.query_params)
    found = dialing.available(outdial, **params.arguments())
    return Response({"result": [wire.target(t) for t in found]})


@api_view(["GET"])
def eligibility(request, outdial_pk: str, pk: str) -> Response:
    """``GET /outdials/{id}/targets/{target_id}/eligibility``: why (not)."""
    outdial = _outdial(request, outdial_pk)
    params = _valid(EligibilityQuerySerializer, request.query_params)
    dialing.settle_if_overdue(outdial)
    target = _target(outdial, pk)
    return Response(dialing.eligibility(target, **params.arguments()))


@api_view(["GET"])
def attempts(request, outdial_pk: str, pk: str) -> Response:
    """``GET /outdials/{id}/targets/{target_id}/attempts``: the log, newest first."""
    outdial = _outdial(request, outdial_pk)
    dialing.settle_if_overdue(outdial)
    target = _target(outdial, pk)
    # Paged like every list: the keyset pager reads ``tm_create``.
    log = dialing.attempts(target).annotate(tm_create=F("tm_start"))
    return page_response(request, log, wire.attempt)


@api_view(["GET"])
def summary(request, outdial_pk: str) -> Response:
    """``GET /outdials/{id}/summary``: counts by status, destination, outcome."""
    return Response(dialing.summary(_outdial(request, outdial_pk)))


@api_view(["PUT"])
def status(request, outdial_pk: str, pk: str) -> Response:
    """``PUT /outdials/{id}/targets/{target_id}/status``: a person's override."""
    target = _target(outdial_of(request, outdial_pk, live=True), pk, live=True)
    fields = _valid(StatusSerializer, json_body(request)).validated_data
    try:
        target = dialing.set_status(target, fields["status"])
    except dialing.DialingError as error:
        raise _refused(error) from None
    return Response(wire.target(target))
