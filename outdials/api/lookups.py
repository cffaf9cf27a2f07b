"""Finding a caller's resources by id: another customer's is a 404."""

import uuid

from django.db.models import QuerySet

from ..models import NIL_UUID, AccessKey, Outdial, OutdialTarget
from .errors import APIError, not_found


def parse_id(value: str, name: str = "id") -> uuid.UUID:
    """An id from the URL; one that is not a UUID, or is the nil UUID, is a
    400 ``INVALID_ID`` (bin-api-manager/server/outdials.go: FromStringOrNil,
    then ``== uuid.Nil``)."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        parsed = NIL_UUID
    if parsed == NIL_UUID:
        raise APIError(
            400, "INVALID_ID", f"The provided {name} is not a valid UUID."
        ) from None
    return parsed


def one(queryset):
    """The row a lookup by a unique key finds, or ``None``.

    Not ``first()``: that orders by pk, and compiling the ORDER BY is a fifth
    of a lookup's cost on every API call, for a choice among one row.
    """
    return next(iter(queryset[:1]), None)


def outdial_of(
    request, pk: str, *, live: bool = False, annotations: dict | None = None
) -> Outdial:
    """The caller's outdial ``pk``; ``live`` for changes (a deleted one is 404).

    ``annotations`` ride along in the same query (e.g. ``leases_overdue``).
    """
    queryset = Outdial.objects.filter(customer=request.user.customer)
    if annotations:
        queryset = queryset.annotate(**annotations)
    if live:
        queryset = queryset.live()
    found = one(queryset.filter(pk=parse_id(pk)))
    if found is None:
        raise not_found("outdial")
    return found


def target_query(request, outdial_pk: str, pk: str, *, live: bool = False) -> QuerySet:
    """Target ``pk`` of the caller's outdial ``outdial_pk`` as a queryset:
    empty when it is missing or another customer's."""
    outdial_id = parse_id(outdial_pk)
    target_id = parse_id(pk, "target_id")
    queryset = OutdialTarget.objects.filter(
        outdial_id=outdial_id, outdial__customer=request.user.customer, pk=target_id
    )
    if live:
        queryset = queryset.live().filter(outdial__tm_delete__isnull=True)
    return queryset


def target_of(
    request, outdial_pk: str, pk: str, *, live: bool = False
) -> OutdialTarget:
    """The target ``pk`` in the caller's outdial ``outdial_pk``, in one query."""
    found = one(target_query(request, outdial_pk, pk, live=live).with_destinations())
    if found is None:
        raise not_found("target")
    return found


def access_key_of(request, pk: str, *, live: bool = False) -> AccessKey:
    queryset = AccessKey.objects.filter(customer=request.user.customer)
    if live:
        queryset = queryset.live()
    found = one(queryset.filter(pk=parse_id(pk)))
    if found is None:
        raise not_found("access_key")
    return found
