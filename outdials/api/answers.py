"""The things every API view does the same way: check its input with a
serializer (the body or the query string, one way), answer a keyset page, and
answer the hot reads' JSON."""

from django.http import HttpResponse
from rest_framework.response import Response

from .. import paging
from .parsers import json_body
from .renderers import dumps


def valid(serializer_class, data):
    """``data`` (a body or a query dict) checked by ``serializer_class``: the
    serializer, validated, or a 400 in the envelope naming each bad field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


def valid_body(serializer_class, request):
    """The request's JSON body (whatever its ``Content-Type``, see
    ``parsers.py``) checked by ``serializer_class``."""
    return valid(serializer_class, json_body(request))


def valid_query(serializer_class, request):
    """The request's query string checked by ``serializer_class``."""
    return valid(serializer_class, request.query_params)


def page_size_of(request) -> int:
    return paging.page_size(request.query_params.get("page_size", ""))


def page_token_of(request) -> str:
    return request.query_params.get("page_token", "")


def page_response(request, queryset, present) -> Response:
    """A page of ``queryset`` newest first, each item ``present``-ed, and
    the token for the next page."""
    page = paging.paginate(queryset, page_token_of(request), page_size_of(request))
    return Response(
        {
            "result": [present(item) for item in page.items],
            "next_page_token": page.next_page_token,
        }
    )


def json_answer(body) -> HttpResponse:
    """``body`` as the API's JSON renderer writes it (the same bytes and
    ``Content-Type``), answered past DRF's template response and rendering:
    for the reads a dialer polls all day (a target, a page of targets, of
    outdials), which take no content negotiation (one renderer)."""
    return HttpResponse(dumps(body), content_type="application/json")
