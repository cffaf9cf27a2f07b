"""The target pages of the admin: the destination slots inline, search,
filters and the actions on selected targets."""

import pytest
from django.urls import reverse

from outdials import exporting, targets
from outdials.models import Destination, OutdialTarget
from tests.helpers import make_staff, messages_of, run_action, signed_in, slot_rows, tel

CHANGELIST = reverse("admin:outdials_outdialtarget_changelist")
ADD = reverse("admin:outdials_outdialtarget_add")


def change_url(target) -> str:
    return reverse("admin:outdials_outdialtarget_change", args=[target.pk])


@pytest.fixture
def alice_admin(alice):
    return signed_in(make_staff(alice.customer, "alice-ops"))


def new_target(client, outdial, *rows, name="carol"):
    return client.post(
        ADD,
        {"outdial": str(outdial.pk), "name": name, "detail": "", "data": "{}"}
        | slot_rows(rows),
    )


def inline_errors(response) -> list:
    (formset,) = response.context["inline_admin_formsets"]
    return formset.formset.errors


def inline_non_form_errors(response) -> list:
    (formset,) = response.context["inline_admin_formsets"]
    return list(formset.formset.non_form_errors())


# Creating and changing a target through the inline.


def test_a_target_added_with_slots_is_idle_with_fresh_try_counts(alice_admin, outdial):
    response = new_target(
        alice_admin,
        outdial,
        (0, "tel", "+15559876543"),
        (2, "sip", "sip:carol@pbx.example.com"),
    )
    assert response.status_code == 302
    created = OutdialTarget.objects.get(name="carol")
    assert response["Location"] == CHANGELIST
    assert (created.outdial, created.status, created.data) == (outdial, "idle", "{}")
    assert created.tm_update == created.tm_create
    assert [(d.index, d.type, d.target, d.try_count) for d in created.slots() if d] == [
        (0, "tel", "+15559876543", 0),
        (2, "sip", "sip:carol@pbx.example.com", 0),
    ]


@pytest.mark.parametrize(
    ("type_", "address", "error"),
    [
        ("tel", "555987", "555987 is too short for its country code."),
        ("tel", "+1 555 987", "+1 555 987 is too short for its country code."),
        ("tel", "+1555", "+1555 is too short for its country code."),
        (
            "sip",
            "alice",
            "Must be a SIP address like alice@pbx.example.com or "
            "sip:alice@pbx.example.com.",
        ),
        ("email", "ops at example", "Must be an email address like ops@example"),
        ("tel", "", "This field is required."),
    ],
)
def test_a_bad_destination_is_refused_on_its_field(
    alice_admin, outdial, type_, address, error
):
    response = new_target(alice_admin, outdial, (0, type_, address))
    assert response.status_code == 200
    (row_errors,) = inline_errors(response)
    assert list(row_errors) == ["target"]
    assert row_errors["target"][0].startswith(error)
    assert error.strip() in response.content.decode().replace("&#x27;", "'")
    assert not OutdialTarget.objects.filter(name="carol").exists()


def test_an_unknown_destination_type_is_refused(alice_admin, outdial):
    response = new_target(alice_admin, outdial, (0, "fax", "+15559876543"))
    (row_errors,) = inline_errors(response)
    assert row_errors["type"] == [
        "Select a valid choice. fax is not one of the available choices."
    ]


def test_a_target_needs_destination_0(alice_admin, outdial):
    response = new_target(alice_admin, outdial, (1, "tel", "+15559876543"))
    assert response.status_code == 200
    assert inline_non_form_errors(response) == ["Destination 0 needs an address."]
    assert not OutdialTarget.objects.exists()


def test_two_rows_cannot_share_a_slot(alice_admin, outdial):
    response = new_target(
        alice_admin, outdial, (0, "tel", "+15559876543"), (0, "tel", "+15559876544")
    )
    assert response.status_code == 200
    assert inline_non_form_errors(response) == [
        "Please correct the duplicate data for index."
    ]
    assert not OutdialTarget.objects.exists()


def test_a_target_holds_at_most_five_destinations(alice_admin, outdial):
    rows = [(i % 5, "tel", f"+1555987654{i}") for i in range(6)]
    response = new_target(alice_admin, outdial, *rows)
    assert inline_non_form_errors(response) == ["Please submit at most 5 forms."]
    assert not OutdialTarget.objects.exists()


def test_a_slot_out_of_range_is_refused(alice_admin, outdial):
    response = new_target(
        alice_admin, outdial, (0, "tel", "+15559876543"), (5, "tel", "+15559876544")
    )
    (_, second) = inline_errors(response)
    assert second["index"] == [
        "Select a valid choice. 5 is not one of the available choices."
    ]


def test_target_texts_follow_the_shared_limits(alice_admin, outdial):
    response = alice_admin.post(
        ADD,
        {"outdial": str(outdial.pk), "name": "", "detail": "x" * 2001, "data": ""}
        | slot_rows([(0, "tel", "+15559876543")]),
    )
    assert response.context["adminform"].form.errors["detail"] == [
        "Must be at most 2000 characters."
    ]


def test_changing_an_address_restarts_its_try_count(alice_admin, target):
    slot0 = target.slots()[0]
    Destination.objects.filter(pk=slot0.pk).update(try_count=2)
    slot0.refresh_from_db()
    second = targets.update_target(
        target, slots=[tel("+15559876543"), tel("+15559876500")]
    ).slots()[1]
    Destination.objects.filter(pk=second.pk).update(try_count=1)
    second.refresh_from_db()
    second.target = "+15559876599"  # the operator edits slot 1 only
    response = alice_admin.post(
        change_url(target),
        {"name": target.name, "detail": target.detail, "data": ""}
        | slot_rows([], existing=[slot0, second]),
    )
    assert response.status_code == 302, inline_errors(response)
    counts = {d.index: (d.target, d.try_count) for d in target.destinations.all()}
    assert counts == {0: ("+15559876543", 2), 1: ("+15559876599", 0)}
    target.refresh_from_db()
    assert target.tm_update > target.tm_create


def test_removing_a_slot_deletes_its_destination(alice_admin, target):
    slot0 = target.slots()[0]
    second = targets.update_target(
        target, slots=[tel("+15559876543"), tel("+15559876500")]
    ).slots()[1]
    data = slot_rows([], existing=[slot0, second]) | {"destinations-1-DELETE": "on"}
    response = alice_admin.post(
        change_url(target), {"name": "renamed", "detail": "", "data": ""} | data
    )
    assert response.status_code == 302, inline_errors(response)
    assert list(target.destinations.values_list("index", flat=True)) == [0]
    target.refresh_from_db()
    assert target.name == "renamed"


def test_status_and_try_counts_are_not_editable(alice_admin, target):
    slot0 = target.slots()[0]
    data = slot_rows([], existing=[slot0]) | {"destinations-0-try_count": "9"}
    response = alice_admin.post(
        change_url(target),
        {"name": "x", "detail": "", "data": "", "status": "done"} | data,
    )
    assert response.status_code == 302
    target.refresh_from_db()
    slot0.refresh_from_db()
    assert (target.name, target.status, slot0.try_count) == ("x", "idle", 0)


def test_saving_without_changes_writes_nothing(alice_admin, target):
    before = target.tm_update
    response = alice_admin.post(
        change_url(target),
        {"name": target.name, "detail": "", "data": ""}
        | slot_rows([], existing=[target.slots()[0]]),
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.tm_update == before


def test_a_deleted_target_is_read_only(alice_admin, target):
    targets.soft_delete(target)
    page = alice_admin.get(change_url(target)).content.decode()
    assert 'name="_save"' not in page
    response = alice_admin.post(
        change_url(target),
        {"name": "zombie", "detail": "", "data": ""}
        | slot_rows([], existing=[target.slots()[0]]),
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.name == "test destination 0"


def test_the_target_page_links_to_its_attempt_log(alice_admin, target):
    page = alice_admin.get(change_url(target)).content.decode()
    log = reverse("admin:outdials_attempt_changelist")
    assert f'href="{log}?outdial_target={target.pk}"' in page


# Finding targets.


@pytest.fixture
def crowd(outdial):
    return {
        name: targets.create_target(
            outdial, name=name, slots=[tel(number), tel("+15550000000")]
        )
        for name, number in [
            ("Ada Lovelace", "+15559876501"),
            ("Grace Hopper", "+15559876502"),
            ("Alan Turing", "+15559876503"),
        ]
    }


def listed(client, **params) -> list:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200, response.get("Location")
    return list(response.context["cl"].result_list)


def test_search_matches_part_of_a_name(alice_admin, crowd):
    assert listed(alice_admin, q="hopp") == [crowd["Grace Hopper"]]


def test_search_matches_an_exact_address_once_per_target(alice_admin, crowd):
    assert listed(alice_admin, q="+15559876503") == [crowd["Alan Turing"]]
    shared = listed(alice_admin, q="+15550000000")
    assert sorted(t.name for t in shared) == sorted(crowd)


def test_search_matches_a_target_id(alice_admin, crowd):
    assert listed(alice_admin, q=str(crowd["Ada Lovelace"].pk)) == [
        crowd["Ada Lovelace"]
    ]


def test_search_of_another_customers_id_finds_nothing(alice_admin, bobs_outdial):
    theirs = targets.create_target(bobs_outdial, slots=[tel("+15559876543")])
    assert listed(alice_admin, q=str(theirs.pk)) == []


def test_the_newest_target_comes_first(alice_admin, crowd):
    assert [t.name for t in listed(alice_admin)] == [
        "Alan Turing",
        "Grace Hopper",
        "Ada Lovelace",
    ]


def test_the_list_filters_by_destination_type(alice_admin, crowd, outdial):
    emailed = targets.create_target(
        outdial,
        name="mailbox",
        slots=[tel("+15559876599"), targets.Address("email", "ops@example.com")],
    )
    assert listed(alice_admin, destination_type="email") == [emailed]
    assert len(listed(alice_admin, destination_type="tel")) == 4


def test_the_list_filters_by_status_and_outdial(alice_admin, crowd, outdial, alice):
    other = outdial.__class__.objects.create(customer=alice.customer, name="other")
    elsewhere = targets.create_target(other, slots=[tel("+15559876543")])
    OutdialTarget.objects.filter(pk=crowd["Ada Lovelace"].pk).update(status="done")
    assert listed(alice_admin, status__exact="done") == [crowd["Ada Lovelace"]]
    assert listed(alice_admin, outdial=other.pk) == [elsewhere]


def test_the_list_shows_each_targets_destinations(alice_admin, crowd):
    page = alice_admin.get(CHANGELIST).content.decode()
    assert "tel:+15559876502, tel:+15550000000" in page


# Actions.


def test_soft_delete_leaves_held_targets_alone(alice_admin, crowd):
    held = crowd["Grace Hopper"]
    OutdialTarget.objects.filter(pk=held.pk).update(status="progressing")
    ids = [t.pk for t in crowd.values()]
    response = run_action(alice_admin, OutdialTarget, "soft_delete_selected", ids)
    assert messages_of(response) == [
        "Deleted 2 target(s).",
        "Skipped 1 target(s) a dialer holds; delete them after their attempt ends.",
    ]
    assert listed(alice_admin) == [held]
    assert OutdialTarget.objects.deleted().count() == 2


def test_restore_brings_targets_back(alice_admin, crowd):
    gone = crowd["Ada Lovelace"]
    targets.soft_delete(gone)
    assert listed(alice_admin, deleted="yes") == [gone]
    response = run_action(
        alice_admin,
        OutdialTarget,
        "restore_selected",
        [gone.pk],
        query="?deleted=yes",
    )
    assert messages_of(response) == ["Restored 1 target(s)."]
    gone.refresh_from_db()
    assert gone.tm_delete is None
    assert len(listed(alice_admin)) == 3


def test_restore_takes_the_whole_selection_in_one_statement(
    alice_admin, crowd, django_assert_max_num_queries
):
    """No row-by-row loop, so no limit: every selected target comes back."""
    for target in crowd.values():
        targets.soft_delete(target)
    with django_assert_max_num_queries(12):
        response = alice_admin.post(
            CHANGELIST + "?deleted=yes",
            {
                "action": "restore_selected",
                "select_across": "1",
                "index": "0",
                "_selected_action": [str(crowd["Ada Lovelace"].pk)],
            },
        )
    assert messages_of(response) == [f"Restored {len(crowd)} target(s)."]
    assert OutdialTarget.objects.live().count() == len(crowd)


def test_actions_skip_another_customers_targets(alice_admin, crowd, bobs_outdial):
    theirs = targets.create_target(bobs_outdial, slots=[tel("+15559876543")])
    response = run_action(
        alice_admin,
        OutdialTarget,
        "soft_delete_selected",
        [theirs.pk, crowd["Ada Lovelace"].pk],
    )
    assert messages_of(response) == ["Deleted 1 target(s)."]
    theirs.refresh_from_db()
    assert theirs.tm_delete is None


def test_reset_to_idle_goes_through_dialing(alice_admin, crowd):
    ada, grace, alan = crowd.values()
    OutdialTarget.objects.filter(pk=ada.pk).update(status="done")
    OutdialTarget.objects.filter(pk=grace.pk).update(status="progressing")
    response = run_action(
        alice_admin, OutdialTarget, "reset_to_idle", [ada.pk, grace.pk, alan.pk]
    )
    assert messages_of(response) == [
        "Reset 1 target(s) to idle.",
        "Skipped 1 target(s) a dialer holds; their attempt decides their status.",
    ]
    statuses = dict(OutdialTarget.objects.values_list("name", "status"))
    assert statuses == {
        "Ada Lovelace": "idle",
        "Grace Hopper": "progressing",
        "Alan Turing": "idle",
    }
    ada.refresh_from_db()
    assert ada.tm_update > ada.tm_create


def test_mark_done_goes_through_dialing(alice_admin, crowd, bobs_outdial):
    theirs = targets.create_target(bobs_outdial, slots=[tel("+15559876543")])
    ids = [t.pk for t in crowd.values()] + [theirs.pk]
    response = run_action(alice_admin, OutdialTarget, "mark_done", ids)
    assert messages_of(response) == ["Marked 3 target(s) done."]
    assert set(OutdialTarget.objects.values_list("status", flat=True)) == {
        "done",
        "idle",
    }
    theirs.refresh_from_db()
    assert theirs.status == "idle"


def exported(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return b"".join(response.streaming_content).decode("utf-8")


def test_export_writes_the_selected_targets_like_the_export_endpoint(
    alice_admin, crowd, bobs_outdial
):
    theirs = targets.create_target(bobs_outdial, slots=[tel("+15559876543")])
    grace = crowd["Grace Hopper"]
    targets.update_target(grace, name='=HYPERLINK("http://evil")', detail="-1+1")
    chosen = [crowd["Ada Lovelace"].pk, grace.pk, theirs.pk]
    response = alice_admin.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": chosen}
    )
    text = exported(response)
    assert response["Content-Disposition"].startswith('attachment; filename="targets-')
    same = OutdialTarget.objects.filter(pk__in=chosen[:2])
    assert text == "".join(exporting.iter_chunks(same))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(exporting.export_columns())
    assert len(lines) == 3
    assert lines[2].startswith(
        '"\'=HYPERLINK(""http://evil"")",\'-1+1,,+15559876502,tel,'
    )
    assert str(theirs.pk) not in text


def test_export_across_every_page_follows_the_filters(alice_admin, crowd):
    OutdialTarget.objects.filter(pk=crowd["Alan Turing"].pk).update(status="done")
    response = alice_admin.post(
        CHANGELIST + "?status__exact=idle",
        {
            "action": "export_csv",
            "select_across": "1",
            "index": "0",
            "_selected_action": [str(crowd["Ada Lovelace"].pk)],
        },
    )
    text = exported(response)
    assert "Ada Lovelace" in text and "Grace Hopper" in text
    assert "Alan Turing" not in text


def test_search_matches_part_of_an_address(alice_admin, crowd):
    assert listed(alice_admin, q="9876502") == [crowd["Grace Hopper"]]


def test_an_overlong_search_is_refused_politely(alice_admin, crowd):
    response = alice_admin.get(CHANGELIST, {"q": "x" * 201})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
