"""Staff pages: the targets table (filters, paging), the target page with its
five slots, adding, deleting, re-opening and bulk actions."""

import re
import uuid

import pytest
from django.utils import timezone

from outdials import dialing, targets
from outdials.models import Destination, Outdial, OutdialTarget
from tests.helpers import messages_of, tel


def rows_in(html: str) -> list[str]:
    """Target names in the targets table, top to bottom."""
    return re.findall(
        r'<th scope="row"><a href="/outdials/[^"]+/targets/[^"]+">([^<]+)<', html
    )


def slot_form(**slots) -> dict:
    """Form data: text fields, then ``target_0="+1…"`` style slot values."""
    data = {"name": slots.pop("name", ""), "detail": "", "data": ""}
    for i in range(5):
        data[f"type_{i}"] = slots.pop(f"type_{i}", "tel")
        data[f"target_{i}"] = slots.pop(f"target_{i}", "")
        data[f"name_{i}"] = slots.pop(f"name_{i}", "")
    return data


@pytest.fixture
def page(alice_page, outdial):
    return f"/outdials/{outdial.pk}/"


def test_the_table_links_each_target_with_its_first_address_and_status(
    alice_page, page, outdial
):
    target = targets.create_target(
        outdial,
        name="Ann",
        slots=[tel("+15559876543"), None, tel("+15559876544")],
    )
    html = alice_page.get(page).content.decode()
    assert rows_in(html) == ["Ann"]
    assert f'href="/outdials/{outdial.pk}/targets/{target.pk}/">Ann<' in html
    # national form (the outdial's country is US), E.164 on hover
    assert (
        '<span class="tel" title="+15559876543">(555) 987-6543</span> '
        '<span class="muted">+1 more</span>'
    ) in html
    assert '<span class="badge badge--idle">Idle</span>' in html
    assert f'name="ids" value="{target.pk}"' in html


def test_the_table_filters_by_status(alice_page, page, outdial):
    ann = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    targets.create_target(outdial, name="Bo", slots=[tel("+15559876544")])
    dialing.set_status(ann, "done")
    html = alice_page.get(page + "?status=done").content.decode()
    assert rows_in(html) == ["Ann"]
    assert '<option value="done" selected>Done</option>' in html
    assert "Export CSV (filtered)" in html
    assert f'href="/outdials/{outdial.pk}/export.csv?status=done"' in html
    html = alice_page.get(page + "?status=progressing").content.decode()
    assert rows_in(html) == []
    assert "No target matches these filters." in html


def test_the_free_text_filter_searches_names_and_every_address(
    alice_page, page, outdial
):
    targets.create_target(outdial, name="Ann Lee", slots=[tel("+15559876543")])
    targets.create_target(
        outdial,
        name="Bo",
        slots=[
            tel("+15559876544"),
            None,
            None,
            targets.Address(type="email", target="Bo@Example.com"),
        ],
    )
    targets.create_target(outdial, name="Cy", slots=[tel("+442079460958")])
    assert rows_in(alice_page.get(page + "?q=lee").content.decode()) == ["Ann Lee"]
    assert rows_in(alice_page.get(page + "?q=bo%40example").content.decode()) == ["Bo"]
    assert rows_in(alice_page.get(page + "?q=555987").content.decode()) == [
        "Bo",
        "Ann Lee",
    ]
    both = alice_page.get(page + "?q=555987&status=idle").content.decode()
    assert rows_in(both) == ["Bo", "Ann Lee"]


def test_the_free_text_filter_also_serves_the_api(api, outdial):
    targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    targets.create_target(outdial, name="Bo", slots=[tel("+442079460958")])
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets?q=%2B44")
    assert [t["name"] for t in response.json()["result"]] == ["Bo"]


def test_a_bad_status_filter_shows_a_message_not_every_target(
    alice_page, page, outdial
):
    targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    response = alice_page.get(page + "?status=bogus")
    assert response.status_code == 200
    html = response.content.decode()
    assert rows_in(html) == []
    message = "Select a valid choice. bogus is not one of the available choices."
    assert html.count(message) == 1
    assert 'id="id_status_error"' in html


def test_the_table_pages_by_keyset_and_keeps_the_filters(alice_page, page, outdial):
    """110 targets written in one instant (as an import does): every one once."""
    same = timezone.now()
    made = OutdialTarget.objects.bulk_create(
        OutdialTarget(outdial=outdial, name=f"t{i:03}", tm_create=same)
        for i in range(110)
    )
    Destination.objects.bulk_create(
        Destination(outdial_target=t, index=0, type="tel", target=f"+1555987{i:04}")
        for i, t in enumerate(made)
    )
    seen, url = [], page + "?q=t"
    while True:
        html = alice_page.get(url).content.decode()
        seen += rows_in(html)
        older = re.search(r'href="\?q=t&amp;after=([^"]+)" rel="next"', html)
        if older is None:
            break
        url = page + "?q=t&after=" + older.group(1)
    assert len(seen) == len(set(seen)) == 110


def test_adding_a_target_with_slots(alice_page, page, outdial):
    response = alice_page.post(
        page + "targets/new/",
        slot_form(
            name="Ann",
            target_0="+15559876543",
            name_0="mobile",
            type_2="sip",
            target_2="sip:ann@pbx.example.com",
        ),
    )
    target = OutdialTarget.objects.get(name="Ann")
    assert response["Location"] == f"{page}targets/{target.pk}/"
    assert messages_of(response) == ["Added the target “Ann”."]
    slots = [(s.type, s.target, s.name) if s else None for s in target.slots()]
    assert slots == [
        ("tel", "+15559876543", "mobile"),
        None,
        ("sip", "sip:ann@pbx.example.com", ""),
        None,
        None,
    ]
    assert target.status == "idle"


def test_a_target_needs_destination_0(alice_page, page):
    response = alice_page.post(page + "targets/new/", slot_form(name="Ann"))
    assert response.status_code == 200
    assert "Destination 0 needs an address." in response.content.decode()
    assert messages_of(response) == ["The target was not added: fix the fields below."]
    assert OutdialTarget.objects.count() == 0


@pytest.mark.parametrize(
    ("slot", "type_", "value", "message"),
    [
        (0, "tel", "555987", "555987 is too short for its country code."),
        (0, "tel", "+1555", "+1555 is too short for its country code."),
        (0, "tel", "+1 555 987", "+1 555 987 is too short for its country code."),
        (
            3,
            "sip",
            "alice",
            "Must be a SIP address like alice@pbx.example.com or "
            "sip:alice@pbx.example.com.",
        ),
        (4, "email", "not-an-email", "Must be an email address like ops@example"),
        (1, "tel", "+1" * 1001, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_addresses_get_the_shared_rules_message_beside_their_input(
    alice_page, page, slot, type_, value, message
):
    data = slot_form(name="Ann", target_0="+15559876543")
    data[f"type_{slot}"], data[f"target_{slot}"] = type_, value
    response = alice_page.post(page + "targets/new/", data)
    html = response.content.decode()
    assert response.status_code == 200
    error_list = re.search(
        rf'<ul class="errorlist" id="id_target_{slot}_error">(.*?)</ul>', html
    )
    assert error_list is not None and message in error_list.group(1)
    assert f'aria-describedby="id_target_{slot}_error"' in html
    assert OutdialTarget.objects.count() == 0


def test_an_address_sent_without_a_type_gets_the_likely_one(alice_page, page):
    data = slot_form(name="Ann", target_0="+15559876543", target_1="a@example.com")
    del data["type_0"], data["type_1"]
    alice_page.post(page + "targets/new/", data)
    target = OutdialTarget.objects.get(name="Ann")
    assert [s.type for s in target.slots() if s] == ["tel", "email"]


def test_the_target_page_shows_fields_slots_and_the_attempt_log(
    alice_page, page, outdial
):
    target = targets.create_target(
        outdial, name="Ann", detail="prefers mornings", slots=[tel("+15559876543")]
    )
    [claim] = dialing.claim(outdial, max_try_counts=[3, 0, 0, 0, 0], limit=1)
    dialing.report_result(outdial, target.pk, claim.claim_id, "busy")
    html = alice_page.get(f"{page}targets/{target.pk}/").content.decode()
    assert "<h1>Ann</h1>" in html
    assert "prefers mornings</textarea>" in html
    assert 'value="(555) 987-6543"' in html  # as people write it
    assert 'Dialed as <span class="cell-mono">+15559876543</span>' in html
    assert "Tries so far: <strong>1</strong>" in html
    assert '<span class="badge badge--busy">Busy</span>' in html
    for i in range(5):
        assert f'<label for="id_target_{i}"><span class="visually-hidden">' in html
    assert "Re-open" not in html  # idle already


def test_editing_a_number_with_a_bad_value_then_fixing_it(alice_page, page, outdial):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    url = f"{page}targets/{target.pk}/"
    bad = alice_page.post(url, slot_form(name="Ann", target_0="+1 555"))
    html = bad.content.decode()
    assert "The target was not saved: fix the fields below." in html
    assert "+1 555 is too short for its country code." in html
    assert 'value="+1 555"' in html  # what was typed stays, to be fixed
    assert target.slots()[0].target == "+15559876543"
    good = alice_page.post(url, slot_form(name="Ann", target_0="+15559876500"))
    assert good["Location"] == url
    assert messages_of(good) == ["Saved the target."]
    assert Destination.objects.get(outdial_target=target, index=0).target == (
        "+15559876500"
    )


def test_editing_keeps_try_counts_and_labels_of_unchanged_slots(
    alice_page, page, outdial
):
    target = targets.create_target(
        outdial,
        name="Ann",
        slots=[
            targets.Address(type="tel", target="+15559876543", target_name="Ann L."),
            tel("+15559876544"),
        ],
    )
    dialing.claim(outdial, max_try_counts=[1, 1, 0, 0, 0], limit=1)
    Destination.objects.filter(outdial_target=target).update(try_count=1)
    OutdialTarget.objects.filter(pk=target.pk).update(status="idle")
    alice_page.post(
        f"{page}targets/{target.pk}/",
        slot_form(name="Ann B", target_0="+15559876543", target_1="+15559876599"),
    )
    first, second = Destination.objects.filter(outdial_target=target).order_by("index")
    assert (first.try_count, first.target_name) == (1, "Ann L.")
    assert (second.target, second.try_count) == ("+15559876599", 0)


def test_a_target_being_dialed_is_not_changed(alice_page, page, outdial):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)
    url = f"{page}targets/{target.pk}/"
    response = alice_page.post(url, slot_form(name="Changed", target_0="+15559876543"))
    assert "A dialer holds this target; change it after its attempt ends." in (
        response.content.decode()
    )
    target.refresh_from_db()
    assert target.name == "Ann"
    response = alice_page.post(url + "delete/")
    assert messages_of(response) == [
        "A dialer holds this target; delete it after its attempt ends."
    ]
    target.refresh_from_db()
    assert target.tm_delete is None


def test_deleting_a_target_asks_first(alice_page, page, outdial):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    url = f"{page}targets/{target.pk}/delete/"
    html = alice_page.get(url).content.decode()
    assert "Delete “Ann”?" in html
    target.refresh_from_db()
    assert target.tm_delete is None
    response = alice_page.post(url)
    assert response["Location"] == page
    assert messages_of(response) == ["Deleted the target “Ann”."]
    target.refresh_from_db()
    assert target.tm_delete is not None
    assert alice_page.get(f"{page}targets/{target.pk}/").status_code == 404


def test_reopening_a_done_target(alice_page, page, outdial):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    dialing.set_status(target, "done")
    url = f"{page}targets/{target.pk}/"
    assert "Re-open (back to idle)" in alice_page.get(url).content.decode()
    response = alice_page.post(url + "reopen/")
    assert messages_of(response) == ["Re-opened the target: it is idle again."]
    target.refresh_from_db()
    assert target.status == "idle"
    assert alice_page.get(url + "reopen/").status_code == 405


def test_reopening_a_target_being_dialed_says_why_not(alice_page, page, outdial):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)
    response = alice_page.post(f"{page}targets/{target.pk}/reopen/")
    assert messages_of(response) == [
        "A dialer holds this target; change its status after its attempt ends."
    ]
    target.refresh_from_db()
    assert target.status == "progressing"


def test_targets_of_other_outdials_and_customers_are_404s(
    alice_page, alice, outdial, bobs_outdial
):
    bobs = targets.create_target(bobs_outdial, name="B", slots=[tel("+15559876543")])
    other = Outdial.objects.create(customer=alice.customer, name="other")
    mine_elsewhere = targets.create_target(other, name="O", slots=[tel("+15559876543")])
    for outdial_pk, target_pk in [
        (outdial.pk, bobs.pk),  # bob's target under alice's outdial
        (bobs_outdial.pk, bobs.pk),  # bob's target under bob's outdial
        (outdial.pk, mine_elsewhere.pk),  # alice's, but another outdial
        (outdial.pk, uuid.uuid4()),
    ]:
        url = f"/outdials/{outdial_pk}/targets/{target_pk}/"
        assert alice_page.get(url).status_code == 404
        assert (
            alice_page.post(url, slot_form(target_0="+15550000000")).status_code == 404
        )
        assert alice_page.post(url + "delete/").status_code == 404
        assert alice_page.post(url + "reopen/").status_code == 404
    assert alice_page.get(f"/outdials/{outdial.pk}/targets/nope/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.tm_delete is None and bobs.slots()[0].target == "+15559876543"


def test_a_bulk_action_asks_for_confirmation_then_applies(alice_page, page, outdial):
    ann = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    bo = targets.create_target(outdial, name="Bo", slots=[tel("+15559876544")])
    cy = targets.create_target(outdial, name="Cy", slots=[tel("+15559876545")])
    selected = {"action": "done", "ids": [str(ann.pk), str(bo.pk)], "back": "q=5"}
    confirm = alice_page.post(page + "targets/bulk/", selected)
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Mark done: 2 targets?" in html
    assert 'name="confirm" value="yes"' in html
    assert OutdialTarget.objects.filter(status="done").count() == 0
    done = alice_page.post(page + "targets/bulk/", {**selected, "confirm": "yes"})
    assert done["Location"] == page + "?q=5"
    assert messages_of(done) == ["Marked 2 targets done."]
    statuses = dict(OutdialTarget.objects.values_list("name", "status"))
    assert statuses == {"Ann": "done", "Bo": "done", "Cy": "idle"}
    reset = alice_page.post(
        page + "targets/bulk/",
        {"action": "idle", "ids": [str(ann.pk), str(cy.pk)], "confirm": "yes"},
    )
    assert messages_of(reset)[-1] == "Reset 1 target to idle; 1 already were."


def test_bulk_delete_leaves_targets_being_dialed_alone(alice_page, page, outdial):
    ann = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    bo = targets.create_target(outdial, name="Bo", slots=[tel("+15559876544")])
    dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)  # takes Ann
    response = alice_page.post(
        page + "targets/bulk/",
        {"action": "delete", "ids": [str(ann.pk), str(bo.pk)], "confirm": "yes"},
    )
    assert messages_of(response) == [
        "Deleted 1 target; left 1 target alone while being dialed."
    ]
    assert list(OutdialTarget.objects.live().values_list("name", flat=True)) == ["Ann"]


def test_bulk_actions_ignore_ids_of_other_outdials_and_garbage(
    alice_page, page, outdial, bobs_outdial
):
    bobs = targets.create_target(bobs_outdial, name="B", slots=[tel("+15559876543")])
    response = alice_page.post(
        page + "targets/bulk/",
        {"action": "delete", "ids": [str(bobs.pk), "nope"], "confirm": "yes"},
    )
    assert messages_of(response) == ["Select one or more targets and an action first."]
    bobs.refresh_from_db()
    assert bobs.tm_delete is None
    response = alice_page.post(
        page + "targets/bulk/", {"action": "explode", "ids": [str(bobs.pk)]}
    )
    assert response.status_code == 302
    assert alice_page.get(page + "targets/bulk/").status_code == 405


def test_a_target_deleted_while_its_page_was_open_is_not_revived(
    alice_page, page, outdial
):
    """Someone (the API, another person) deletes the target between the page
    load and the save: the save is a 404 and the target stays deleted."""
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    url = f"{page}targets/{target.pk}/"
    assert alice_page.get(url).status_code == 200
    targets.soft_delete(target)
    response = alice_page.post(url, slot_form(name="Ann 2", target_0="+15559876500"))
    assert response.status_code == 404
    target.refresh_from_db()
    assert (target.name, target.tm_delete is not None) == ("Ann", True)
    assert target.slots()[0].target == "+15559876543"
