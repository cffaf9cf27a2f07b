"""Finding a caller's resources by id (through ``queries.py``): another
customer's is a 404, like a missing one."""

import uuid

from .. import queries
from ..models import NIL_UUID, AccessKey, ImportBatch, Outdial, OutdialTarget
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


def _found(queryset, what: str):
    found = queries.one(queryset)
    if found is None:
        raise not_found(what)
    return found


def outdial_of(
    request, pk: str, *, live: bool = False, overdue: bool = False
) -> Outdial:
    """The caller's outdial ``pk``; ``live`` for changes (a deleted one is 404).

    ``overdue`` asks in the same query whether it holds expired leases, so the
    sweep runs only when it has work (``dialing.settle_if_overdue``).
    """
    queryset = queries.outdials_of(request.user.customer, live=live, overdue=overdue)
    return _found(queryset.filter(pk=parse_id(pk)), "outdial")


def target_of(
    request, outdial_pk: str, pk: str, *, live: bool = False, outdial=None
) -> OutdialTarget:
    """The target ``pk`` in the caller's outdial ``outdial_pk`` with its
    destinations, in two queries; ``live``: of a live outdial, for changes.
    ``outdial``, when already looked up, rides along instead of a join."""
    outdial_id = parse_id(outdial_pk)
    queryset = queries.targets_of(request.user.customer, outdial_id, live=live)
    queryset = queryset.filter(pk=parse_id(pk, "target_id")).with_destinations()
    target = _found(queryset, "target")
    if outdial is not None:
        target.outdial = outdial
    return target


def access_key_of(request, pk: str, *, live: bool = False) -> AccessKey:
    queryset = AccessKey.objects.owned_by(request.user.customer)
    if live:
        queryset = queryset.live()
    return _found(queryset.filter(pk=parse_id(pk)), "access_key")


def import_of(outdial: Outdial, pk: str) -> ImportBatch:
    queryset = ImportBatch.objects.filter(outdial=outdial)
    return _found(queryset.filter(pk=parse_id(pk, "import_id")), "import")
