"""Writing outdials and targets: create, change, soft-delete.

Shared by the API, the staff pages and the admin, so that every path sets the
same timestamps and keeps the destinations table in step with the slots.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import statistics
from .models import Destination, Outdial, OutdialTarget, TargetStatus


@dataclass
class Address:
    """A validated destination slot as callers hand it over."""

    type: str
    target: str
    target_name: str = ""
    name: str = ""
    detail: str = ""


def touch(obj, *fields: str) -> None:
    """Save ``fields`` of ``obj`` and stamp ``tm_update``."""
    obj.tm_update = timezone.now()
    obj.save(update_fields=[*fields, "tm_update"])


def update_outdial(outdial: Outdial, **changes) -> Outdial:
    for name, value in changes.items():
        setattr(outdial, name, value)
    touch(outdial, *changes)
    return outdial


def soft_delete(obj):
    """Mark ``obj`` deleted; it stays readable by id and leaves every list."""
    if obj.tm_delete is None:
        now = timezone.now()
        obj.tm_delete = now
        obj.tm_update = now
        obj.save(update_fields=["tm_delete", "tm_update"])
    return obj


def restore(obj):
    """Undo :func:`soft_delete`: ``obj`` returns to its lists; a change, so
    ``tm_update`` moves on."""
    if obj.tm_delete is not None:
        obj.tm_delete = None
        touch(obj, "tm_delete")
    return obj


def delete_target(target: OutdialTarget) -> bool:
    """Soft-delete ``target`` unless a dialer holds it, in one statement: a
    claim cannot slip in between the check and the write. Answers whether it
    was deleted; ``target`` then holds the stored status and times."""
    deleted, _ = soft_delete_targets(OutdialTarget.objects.filter(pk=target.pk))
    target.refresh_from_db(fields=["status", "tm_update", "tm_delete"])
    return bool(deleted)


def soft_delete_targets(queryset) -> tuple[int, int]:
    """Soft-delete the live targets of ``queryset`` that no dialer holds, in one
    statement. Answers ``(deleted, skipped)``: a ``progressing`` target is left
    alone, as a single delete refuses it."""
    now = timezone.now()
    live = queryset.filter(tm_delete__isnull=True)
    deleted = live.exclude(status=TargetStatus.PROGRESSING).update(
        tm_delete=now, tm_update=now
    )
    statistics.refresh_after_bulk_write(deleted, OutdialTarget)
    return deleted, live.filter(status=TargetStatus.PROGRESSING).count()


def _destination_rows(target: OutdialTarget, slots: Sequence[Address | None]):
    return [
        Destination(
            outdial_target=target,
            index=index,
            type=slot.type,
            target=slot.target,
            target_name=slot.target_name,
            name=slot.name,
            detail=slot.detail,
        )
        for index, slot in enumerate(slots)
        if slot is not None
    ]


@transaction.atomic
def create_target(
    outdial: Outdial,
    *,
    name: str = "",
    detail: str = "",
    data: str = "",
    slots: Sequence[Address | None],
) -> OutdialTarget:
    """A new ``idle`` target with try counts at 0; ``tm_update == tm_create``."""
    now = timezone.now()
    target = OutdialTarget.objects.create(
        outdial=outdial,
        name=name,
        detail=detail,
        data=data,
        status=TargetStatus.IDLE,
        tm_create=now,
        tm_update=now,
    )
    rows = Destination.objects.bulk_create(_destination_rows(target, slots))
    target._prefetched_objects_cache = {"destinations": rows}
    return target


@transaction.atomic
def update_target(
    target: OutdialTarget,
    *,
    slots: Sequence[Address | None] | None = None,
    **changes,
) -> OutdialTarget:
    """Change a target's text fields and, if given, its five slots.

    A slot whose type and address stay the same keeps its try count; a slot
    that changes address starts again at 0.
    """
    for name, value in changes.items():
        setattr(target, name, value)
    if slots is not None:
        current = {d.index: d for d in target.destinations.all()}
        for index, slot in enumerate(slots):
            old = current.get(index)
            if slot is None:
                if old is not None:
                    old.delete()
                continue
            if old is None:
                Destination.objects.create(
                    outdial_target=target,
                    index=index,
                    type=slot.type,
                    target=slot.target,
                    target_name=slot.target_name,
                    name=slot.name,
                    detail=slot.detail,
                )
                continue
            fields = ["type", "target", "target_name", "name", "detail"]
            if (old.type, old.target) != (slot.type, slot.target):
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
        if hasattr(target, "_prefetched_objects_cache"):
            target._prefetched_objects_cache.pop("destinations", None)
    touch(target, *changes)
    return target
