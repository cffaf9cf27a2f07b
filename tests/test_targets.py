"""``outdials/targets.py``: the one place outdials and targets are written."""

from outdials import targets
from outdials.api import wire
from outdials.models import Destination, OutdialTarget
from outdials.targets import Address
from tests.helpers import tel


def slots_of(target) -> list[tuple]:
    return list(
        Destination.objects.filter(outdial_target=target)
        .order_by("index")
        .values_list("index", "type", "target", "name", "try_count")
    )


def test_create_target_writes_one_row_per_filled_slot(outdial):
    target = targets.create_target(
        outdial,
        name="n",
        detail="d",
        data="x",
        slots=[tel("+15559876543"), None, Address("email", "a@b.example", name="w")],
    )
    row = OutdialTarget.objects.get()
    assert (row.name, row.detail, row.data, row.status) == ("n", "d", "x", "idle")
    assert row.tm_update == row.tm_create and row.tm_delete is None
    assert slots_of(target) == [
        (0, "tel", "+15559876543", "", 0),
        (2, "email", "a@b.example", "w", 0),
    ]
    # The answer needs no further query for its slots.
    body = wire.target(target)
    assert body["destination_1"] is None
    assert body["destination_2"]["name"] == "w"


def test_update_target_keeps_the_try_count_of_an_unchanged_slot(outdial, target):
    """Even one counted after ``target`` was read: a dialer claims while an
    operator edits, and the edit must not write the old count back."""
    Destination.objects.filter(outdial_target=target).update(try_count=2)
    before = target.tm_update
    targets.update_target(
        target,
        name="renamed",
        slots=[Address("tel", "+15559876543", name="home"), None, None, None, None],
    )
    target.refresh_from_db()
    assert target.name == "renamed"
    assert target.tm_update > before
    assert slots_of(target) == [(0, "tel", "+15559876543", "home", 2)]


def test_update_target_restarts_a_changed_slot_at_zero(outdial, target):
    Destination.objects.filter(outdial_target=target).update(try_count=3)
    targets.update_target(target, slots=[tel("+12025550143")])
    assert slots_of(target) == [(0, "tel", "+12025550143", "", 0)]


def test_update_target_adds_and_removes_slots(outdial):
    target = targets.create_target(
        outdial, slots=[tel("+15559876543"), tel("+12025550143")]
    )
    Destination.objects.filter(outdial_target=target, index=0).update(try_count=1)
    target = OutdialTarget.objects.with_destinations().get(pk=target.pk)
    targets.update_target(
        target,
        slots=[tel("+15559876543"), None, None, Address("sip", "sip:a@b.example")],
    )
    assert slots_of(target) == [
        (0, "tel", "+15559876543", "", 1),
        (3, "sip", "sip:a@b.example", "", 0),
    ]
    # A prefetched target answers its new slots, not the stale ones.
    body = wire.target(target)
    assert body["destination_1"] is None
    assert body["destination_3"]["target"] == "sip:a@b.example"


def test_update_target_without_slots_leaves_them_alone(outdial, target):
    targets.update_target(target, detail="only text")
    target.refresh_from_db()
    assert target.detail == "only text"
    assert slots_of(target) == [(0, "tel", "+15559876543", "", 0)]


def test_updating_an_outdial_stamps_tm_update(outdial):
    assert outdial.tm_update is None
    targets.update_fields(outdial, name="new", detail="d")
    outdial.refresh_from_db()
    assert (outdial.name, outdial.detail) == ("new", "d")
    assert outdial.tm_update is not None


def test_soft_delete_stamps_once(outdial, target):
    targets.soft_delete(target)
    target.refresh_from_db()
    first = target.tm_delete
    assert first is not None and target.tm_update == first
    targets.soft_delete(target)
    target.refresh_from_db()
    assert target.tm_delete == first
    assert OutdialTarget.objects.live().count() == 0
    assert OutdialTarget.objects.deleted().count() == 1
