"""What the read endpoints cannot avoid doing, and nothing else.

Each view does the same work as its API twin, in the same statements (the
ones ``outdials/queries.py`` compiles once from the models' rules): check the
access key, check the outdial is the caller's, read one keyset page (rows
after ``(tm_create, id)`` newest first, ``LIMIT n + 1``) and the page's
destinations in one statement, then answer the same JSON built from plain
dicts (``wire.py``) and rendered by orjson. No DRF, no serializer, no
queryset built per request. The benchmark compares the API against these in
the same server, so what is left over is the framework's cost.

Routed only by ``benchmarks.floor.urls`` (the benchmark's own settings, see
``settings.py``). They keep tenancy: a bad key is 401, another customer's id
a 404.
"""

import uuid

import orjson
from django.http import HttpResponse

from outdials import paging, queries
from outdials.api import wire
from outdials.credentials import hash_access_key


def _json(body, status=200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body), status=status, content_type="application/json"
    )


def _error(status: int, reason: str) -> HttpResponse:
    return _json({"error": {"status": reason, "reason": reason}}, status)


def _customer(request):
    """The customer id of the Bearer access key, or ``None``."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return None
    row = queries.access_key_row(hash_access_key(key))
    return row[1] if row else None


def _after(request):
    """The parsed ``page_token``: ``None`` for the first page, ``False`` if
    it is malformed."""
    token = request.GET.get("page_token", "")
    if not token:
        return None
    try:
        return paging.parse_token(token)
    except paging.InvalidPageToken:
        return False


def _caller_and_keyset(request):
    """The caller's customer id, the parsed page token and the page size, or
    the error answer the API gives when one is bad."""
    customer = _customer(request)
    if customer is None:
        return None, None, 0, _error(401, "UNAUTHENTICATED")
    after = _after(request)
    if after is False:
        return None, None, 0, _error(400, "INVALID_PAGE_TOKEN")
    try:
        size = paging.page_size(request.GET.get("page_size", ""))
    except paging.InvalidPageSize:
        return None, None, 0, _error(400, "INVALID_REQUEST_PARAMETER")
    return customer, after, size, None


def _page(page: paging.Page, result: list) -> HttpResponse:
    return _json({"result": result, "next_page_token": page.next_page_token})


def outdials(request):
    customer, after, size, refused = _caller_and_keyset(request)
    if refused:
        return refused
    page = paging.page_of(queries.live_outdials(customer, after, size + 1), size)
    return _page(page, [wire.outdial(row) for row in page.items])


def targets(request, outdial_id: uuid.UUID):
    customer, after, size, refused = _caller_and_keyset(request)
    if refused:
        return refused
    # Like the API, ask in the same statement whether a lease is overdue (the
    # API would then settle it; the benchmark never has one).
    if queries.live_outdial_overdue(customer, outdial_id) is None:
        return _error(404, "OUTDIAL_NOT_FOUND")
    page = paging.page_of(queries.live_targets(outdial_id, after, size + 1), size)
    slots = queries.destination_slots([row.pk for row in page.items])
    return _page(page, wire.targets(outdial_id, page.items, slots))


def target(request, outdial_id: uuid.UUID, target_id: uuid.UUID):
    customer = _customer(request)
    if customer is None:
        return _error(401, "UNAUTHENTICATED")
    found = queries.target_with_slots(customer, outdial_id, target_id)
    if found is None:
        return _error(404, "TARGET_NOT_FOUND")
    return _json(wire.target_row(*found))
