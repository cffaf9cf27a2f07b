"""Writing outdials and targets: create, change, soft-delete.

Shared by the API, the staff pages and the admin, so that every path sets the
same timestamps and keeps the destinations table in step with the slots.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import guards, policy, search
from .dialing_sql import UNMARKED
from .models import Destination, Outdial, OutdialTarget, TargetStatus

# A new target waits for its first claim; the importer's bulk rows too.
NEW_STATUS = TargetStatus.IDLE.value


@dataclass
class Address:
    """A validated destination slot as callers hand it over."""

    type: str
    target: str
    target_name: str = ""
    name: str = ""
    detail: str = ""


def create_outdial(customer, **fields) -> Outdial:
    """A new outdial of ``customer`` (a Customer or its id)."""
    return Outdial.objects.create(
        customer_id=getattr(customer, "pk", customer), **fields
    )


def update_fields(obj, **changes):
    """Change an outdial's or an access key's fields and stamp ``tm_update``.
    Targets change through :func:`update_target`, which guards them."""
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.tm_update = timezone.now()
    obj.save(update_fields=[*changes, "tm_update"])
    return obj


def soft_delete(obj):
    """Mark ``obj`` deleted unless it is a target a dialer holds; it stays
    readable by id and leaves every list. People delete a target through
    :func:`delete_target`, which says why it refuses."""
    type(obj).objects.filter(pk=obj.pk).soft_delete()
    obj.refresh_from_db(fields=["tm_delete", "tm_update"])
    return obj


def restore(obj):
    """Undo :func:`soft_delete`: ``obj`` returns to its lists; a change, so
    ``tm_update`` moves on."""
    type(obj).objects.filter(pk=obj.pk).restore()
    obj.refresh_from_db(fields=["tm_delete", "tm_update"])
    return obj


def delete_target(target: OutdialTarget) -> OutdialTarget:
    """Soft-delete ``target``; refused (:class:`guards.TargetInProgress`) while
    a dialer holds it. Deleting a deleted target (also one deleted meanwhile)
    changes nothing and answers it as stored: idempotent, as VoIPbin's."""
    if target.tm_delete is None:
        try:
            guards.write(target, "delete it", delete=True)
        except guards.TargetGone:
            target.refresh_from_db(fields=["status", "tm_update", "tm_delete"])
    return target


def delete_targets(queryset) -> tuple[int, int]:
    """Soft-delete the targets of ``queryset`` no dialer holds, in one
    statement. Answers ``(deleted, held)``: a target being dialed is left
    alone, as a single delete refuses it."""
    return queryset.soft_delete(), queryset.live().held().count()


def _destination(target: OutdialTarget, index: int, slot: Address) -> Destination:
    """A new slot's row: its try count starts at 0."""
    return Destination(
        outdial_target=target,
        index=index,
        type=slot.type,
        target=slot.target,
        target_name=slot.target_name,
        name=slot.name,
        detail=slot.detail,
    )


def _addresses(slots: Sequence[Address | None]) -> str:
    """The ``addresses`` of a target whose slots are ``slots``."""
    return search.joined_addresses(slot.target for slot in slots if slot)


@transaction.atomic
def create_target(
    outdial: Outdial,
    *,
    name: str = "",
    detail: str = "",
    data: str = "",
    slots: Sequence[Address | None],
    time_zone: str = "",
) -> OutdialTarget:
    """A new ``idle`` target with try counts at 0; ``tm_update == tm_create``.
    ``time_zone`` (canonical, or "") as ``policy.zone_for_target`` decides."""
    now = timezone.now()
    addresses = [(slot.type, slot.target) for slot in slots if slot is not None]
    target = OutdialTarget.objects.create(
        outdial=outdial,
        name=name,
        addresses=_addresses(slots),
        detail=detail,
        data=data,
        status=NEW_STATUS,
        time_zone=policy.zone_for_target(time_zone, addresses),
        tm_create=now,
        tm_update=now,
    )
    rows = Destination.objects.bulk_create(
        [_destination(target, i, slot) for i, slot in enumerate(slots) if slot]
    )
    target._prefetched_objects_cache = {"destinations": rows}
    return target


# Targets whose addresses one housekeeping round writes (one to two seconds at
# 1,000,000 targets on busy vCPUs), and per transaction.
MISSING_ADDRESSES_ROUND = 2_000
MISSING_ADDRESSES_CHUNK = 1_000


def write_missing_addresses(limit: int | None = None) -> int:
    """Write ``addresses`` of up to ``limit`` (``MISSING_ADDRESSES_ROUND``)
    targets that have none yet (made before the column, or inserted raw),
    from their destinations; answers how many. A target written meanwhile
    by a person's change keeps what that change wrote: only a NULL is
    replaced."""
    limit = MISSING_ADDRESSES_ROUND if limit is None else limit
    missing = OutdialTarget.objects.filter(addresses__isnull=True)
    written = 0
    for start in range(0, limit, MISSING_ADDRESSES_CHUNK):
        size = min(MISSING_ADDRESSES_CHUNK, limit - start)
        with transaction.atomic():
            ids = list(missing.values_list("pk", flat=True)[:size])
            rows = (
                Destination.objects.filter(outdial_target_id__in=ids)
                .order_by("outdial_target_id", "index")
                .values_list("outdial_target_id", "target")
            )
            joined = {
                pk: search.joined_addresses(address for _pk, address in slots)
                for pk, slots in groupby(rows, key=itemgetter(0))
            }
            written += missing.bulk_update(
                [OutdialTarget(pk=pk, addresses=joined.get(pk, "")) for pk in ids],
                ["addresses"],
            )
        if len(ids) < size:
            break
    return written


def summed_tries() -> Coalesce:
    """A target's (the outer row's) tries summed over its destinations: what
    its ``tries`` column keeps."""
    per_target = (
        Destination.objects.filter(outdial_target=OuterRef("pk"))
        .order_by()
        .values("outdial_target")
        .annotate(total=Sum("try_count"))
        .values("total")
    )
    return Coalesce(Subquery(per_target), 0)


def recount_tries(target_ids) -> None:
    """Write ``tries`` of these targets from their destinations' try counts:
    after a change that dropped a tried slot or set a try count."""
    OutdialTarget.objects.filter(pk__in=target_ids).update(tries=summed_tries())


@transaction.atomic
def update_target(
    target: OutdialTarget,
    *,
    slots: Sequence[Address | None] | None = None,
    **changes,
) -> OutdialTarget:
    """Change a target's text fields and, if given, its five slots.

    A slot whose type and address stay the same keeps its try count; a slot
    that changes address starts again at 0. Refused, changing nothing, while a
    dialer holds the target (:class:`guards.TargetInProgress`) or once it is
    deleted (:class:`guards.TargetGone`).
    """
    if slots is not None:
        # Judged again by the next claim, which may have passed it over
        # because every destination it had left was suppressed.
        changes = {**changes, **UNMARKED, "addresses": _addresses(slots)}
    guards.write(target, "change it", **changes)
    if slots is not None:
        current = {d.index: d for d in target.destinations.all()}
        tries_dropped = False
        for index, slot in enumerate(slots):
            old = current.get(index)
            if slot is None:
                if old is not None:
                    tries_dropped |= old.try_count > 0
                    old.delete()
                continue
            if old is None:
                _destination(target, index, slot).save()
                continue
            fields = ["type", "target", "target_name", "name", "detail"]
            if (old.type, old.target) != (slot.type, slot.target):
                tries_dropped |= old.try_count > 0
                old.try_count = 0
                fields.append("try_count")
            old.type, old.target = slot.type, slot.target
            old.target_name, old.name, old.detail = (
                slot.target_name,
                slot.name,
                slot.detail,
            )
            # Never write a kept slot's try_count: a dialer may have counted an
            # attempt since this target was read, and that count must stand.
            old.save(update_fields=fields)
        if tries_dropped:
            recount_tries([target.pk])
            target.refresh_from_db(fields=["tries"])
        if hasattr(target, "_prefetched_objects_cache"):
            target._prefetched_objects_cache.pop("destinations", None)
    return target
