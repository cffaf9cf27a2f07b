"""A target a dialer holds cannot be changed by people, on any path.

A dialer claims a target; before it reports the result, a staff user tries to
edit and delete it through the staff pages and through the admin. Every
attempt is refused with the reason on the page, and the target and its claim
stay exactly as the claim left them, so the dialer's result still lands.
Also when the claim comes between the page's read and its write.
"""

import pytest
from django.urls import reverse

from outdials import dialing, targets, views
from outdials.models import Attempt, Destination, OutdialTarget
from tests.helpers import make_staff, messages_of, signed_in, slot_rows

HELD_CHANGE = "A dialer holds this target; change it after its attempt ends."
HELD_DELETE = "A dialer holds this target; delete it after its attempt ends."


@pytest.fixture
def claim(outdial, target):
    """The dialer's claim on ``target``."""
    [claim] = dialing.claim(outdial, max_try_counts=[3, 0, 0, 0, 0])
    assert claim.target.pk == target.pk
    return claim


def snapshot(target) -> tuple:
    """What a person's change would touch, and the claim's own state."""
    row = OutdialTarget.objects.get(pk=target.pk)
    slots = list(
        Destination.objects.filter(outdial_target=target).values_list(
            "index", "target", "try_count"
        )
    )
    attempts = list(
        Attempt.objects.filter(outdial_target=target).values_list("outcome")
    )
    return row.name, row.status, row.tm_update, row.tm_delete, slots, attempts


def assert_claim_still_lands(outdial, target, claim) -> None:
    settled = dialing.report_result(outdial, target.pk, claim.claim_id, "answered")
    assert (settled.status, settled.tm_delete) == ("done", None)


def page_form(name: str, address: str) -> dict:
    data = {"name": name, "detail": "", "data": ""}
    for i in range(5):
        data |= {f"type_{i}": "tel", f"target_{i}": "", f"name_{i}": ""}
    return data | {"target_0": address}


def test_the_pages_refuse_to_edit_or_delete_a_held_target(
    alice_page, outdial, target, claim
):
    before = snapshot(target)
    url = f"/outdials/{outdial.pk}/targets/{target.pk}/"

    edited = alice_page.post(url, page_form("Changed", "+15550001111"))
    assert edited.status_code == 200
    assert messages_of(edited) == [HELD_CHANGE]
    assert HELD_CHANGE in edited.content.decode()

    deleted = alice_page.post(url + "delete/")
    assert deleted["Location"] == url
    assert messages_of(deleted) == [HELD_DELETE]

    assert snapshot(target) == before
    assert_claim_still_lands(outdial, target, claim)


def test_the_pages_refuse_a_target_claimed_after_they_read_it(
    alice_page, outdial, target, monkeypatch
):
    """The page reads an idle target, then the dialer claims it: the write,
    not the earlier read, decides, so the claim wins."""
    read = views._target
    claims = []

    def read_then_claimed(*args, **kwargs):
        found = read(*args, **kwargs)
        claims.extend(dialing.claim(outdial, max_try_counts=[3, 0, 0, 0, 0]))
        return found

    monkeypatch.setattr(views, "_target", read_then_claimed)
    url = f"/outdials/{outdial.pk}/targets/{target.pk}/"
    edited = alice_page.post(url, page_form("Changed", "+15550001111"))
    assert messages_of(edited) == [HELD_CHANGE]
    deleted = alice_page.post(url + "delete/")
    assert messages_of(deleted) == [HELD_DELETE]
    row = OutdialTarget.objects.get(pk=target.pk)
    assert (row.name, row.status, row.tm_delete) == (target.name, "progressing", None)
    assert_claim_still_lands(outdial, target, claims[0])


@pytest.fixture
def alice_admin(alice):
    return signed_in(make_staff(alice.customer, "alice-ops"))


def test_the_admin_refuses_to_edit_or_delete_a_held_target(
    alice_admin, outdial, target, claim
):
    before = snapshot(target)
    change = reverse("admin:outdials_outdialtarget_change", args=[target.pk])
    slot0 = Destination.objects.get(outdial_target=target, index=0)
    slot0.target = "+15550001111"

    edited = alice_admin.post(
        change,
        {"name": "Changed", "detail": "", "data": ""} | slot_rows([], existing=[slot0]),
        follow=True,
    )
    assert edited.status_code == 200
    assert edited.redirect_chain == [(change, 302)]
    assert messages_of(edited) == [HELD_CHANGE]

    changelist = reverse("admin:outdials_outdialtarget_changelist")
    deleted = alice_admin.post(
        changelist,
        {"action": "soft_delete_selected", "_selected_action": [str(target.pk)]},
        follow=True,
    )
    assert messages_of(deleted) == [
        "Deleted 0 target(s).",
        "Skipped 1 target(s) a dialer holds; delete them after their attempt ends.",
    ]

    assert snapshot(target) == before
    assert_claim_still_lands(outdial, target, claim)


def test_a_target_is_changeable_again_once_its_result_is_in(
    alice_page, outdial, target, claim
):
    assert_claim_still_lands(outdial, target, claim)
    url = f"/outdials/{outdial.pk}/targets/{target.pk}/"
    edited = alice_page.post(url, page_form("Changed", "+15550001111"))
    assert messages_of(edited) == ["Saved the target."]
    targets.delete_target(OutdialTarget.objects.get(pk=target.pk))
    assert OutdialTarget.objects.get(pk=target.pk).tm_delete is not None
