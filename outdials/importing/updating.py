"""Re-uploads with a key column: rows whose key (a CRM id, say) matches a live
target of the outdial update it instead of adding a second one.

An update changes name, detail, data and destinations through
``targets.update_target`` (so a destination whose address stays keeps its try
count, and the attempt log is untouched), never a target a dialer holds, and
keeps the values before in an ``ImportChange``: undoing the import puts them
back.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from .. import targets, validators
from ..models import (
    DESTINATION_SLOTS,
    Destination,
    ImportBatch,
    ImportChange,
    OutdialTarget,
    TargetStatus,
)

KEY_MAX_LENGTH = OutdialTarget._meta.get_field("external_id").max_length
CHUNK = 500
HELD = "is being dialed, so it was not updated; upload the file again after the call."


@dataclass(frozen=True, slots=True)
class Current:
    """A keyed live target as the check compares a row with it."""

    pk: uuid.UUID
    values: tuple  # (name, detail, data, ((index, type, target, target_name), …))
    keys: frozenset  # its address keys: not duplicates of its own row


class Update(NamedTuple):
    row: int
    pk: uuid.UUID
    name: str
    detail: str
    data: str
    destinations: tuple
    external_id: str


def keyed_targets(outdial) -> dict[str, Current]:
    """The outdial's live targets that have a key, by key, in two queries."""
    keyed = OutdialTarget.objects.live().filter(outdial=outdial).exclude(external_id="")
    found: dict = {}
    for pk, external_id, name, detail, data in keyed.values_list(
        "pk", "external_id", "name", "detail", "data"
    ).iterator(chunk_size=5000):
        found[pk] = (external_id, name, detail, data, [])
    rows = (
        Destination.objects.filter(outdial_target__in=keyed)
        .order_by("outdial_target", "index")
        .values_list("outdial_target", "index", "type", "target", "target_name")
    )
    for pk, index, type_, target, target_name in rows.iterator(chunk_size=5000):
        if pk in found:
            found[pk][4].append((index, type_, target, target_name))
    return {
        external_id: Current(
            pk,
            (name, detail, data, tuple(slots)),
            frozenset(validators.address_key(t, a) for _i, t, a, _n in slots),
        )
        for pk, (external_id, name, detail, data, slots) in found.items()
    }


def _slots(destinations: Iterable) -> list:
    slots: list = [None] * len(DESTINATION_SLOTS)
    for index, type_, address, target_name, *rest in destinations:
        slots[index] = targets.Address(type_, address, target_name, *rest)
    return slots


def _before(target: OutdialTarget) -> dict:
    return {
        "name": target.name,
        "detail": target.detail,
        "data": target.data,
        "external_id": target.external_id,
        "destinations": [
            [d.index, d.type, d.target, d.target_name, d.name, d.detail, d.try_count]
            for d in target.destinations.all()
        ],
    }


def _locked(pks) -> list[OutdialTarget]:
    return list(
        OutdialTarget.objects.select_for_update(of=("self",))
        .live()
        .filter(pk__in=pks)
        .with_destinations()
    )


def apply(batch: ImportBatch, updates: list[Update], report) -> None:
    """Write ``updates`` inside the import's transaction; a target held by a
    dialer (or deleted meanwhile) is left as it is and counted unchanged."""
    for start in range(0, len(updates), CHUNK):
        chunk = {update.pk: update for update in updates[start : start + CHUNK]}
        changes = []
        done = set()
        for target in _locked(chunk):
            update = chunk[target.pk]
            if target.status == TargetStatus.PROGRESSING:
                continue
            done.add(target.pk)
            changes.append(
                ImportChange(batch=batch, outdial_target=target, before=_before(target))
            )
            # Slots keep destination-level name and detail the file has none of.
            kept = {d.index: d for d in target.destinations.all()}
            targets.update_target(
                target,
                slots=[
                    None
                    if slot is None
                    else targets.Address(
                        slot.type,
                        slot.target,
                        slot.target_name,
                        kept[n].name if n in kept else "",
                        kept[n].detail if n in kept else "",
                    )
                    for n, slot in enumerate(_slots(update.destinations))
                ],
                name=update.name,
                detail=update.detail,
                data=update.data,
                external_id=update.external_id,
            )
        ImportChange.objects.bulk_create(changes)
        for pk, update in chunk.items():
            if pk not in done:
                report.updated -= 1
                report.unchanged += 1
                report.warn(update.row, "", f"Its target {HELD}")


def restore(batch: ImportBatch) -> tuple[int, int]:
    """Put back what ``batch`` changed on the targets it updated: answers
    ``(restored, kept)``; a target a dialer holds now is kept as it is."""
    restored = kept = 0
    changes = batch.changes.order_by("pk").values_list("outdial_target", "before")
    for start in range(0, changes.count(), CHUNK):
        chunk = dict(changes[start : start + CHUNK])
        for target in _locked(chunk):
            if target.status == TargetStatus.PROGRESSING:
                kept += 1
                continue
            before = chunk[target.pk]
            now = {(d.index, d.type, d.target) for d in target.destinations.all()}
            targets.update_target(
                target,
                slots=_slots(row[:6] for row in before["destinations"]),
                name=before["name"],
                detail=before["detail"],
                data=before["data"],
                external_id=before["external_id"],
            )
            # A slot that changed back counts the tries it had before.
            counted = False
            for index, type_, address, *_rest, try_count in before["destinations"]:
                if (index, type_, address) not in now and try_count:
                    Destination.objects.filter(
                        outdial_target=target, index=index
                    ).update(try_count=try_count)
                    counted = True
            if counted:
                targets.recount_tries([target.pk])
            restored += 1
    return restored, kept
