"""The Django admin: every page renders, and staff stay inside their customer.

``admin_client`` (pytest-django) is an operator: a superuser without a
customer. ``alice_admin`` is a staff user of alice's customer holding every
Outdials permission but not superuser status; bob's rows must not exist for her.
"""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from outdials import credentials, importing, targets
from outdials.models import (
    AccessKey,
    Attempt,
    Customer,
    Destination,
    ImportBatch,
    Outdial,
    OutdialTarget,
    User,
)
from tests.helpers import PASSWORD, make_staff, messages_of, run_action, signed_in, tel
from tests.helpers import admin_url as url


@pytest.fixture
def alice_staff(alice) -> User:
    return make_staff(alice.customer, "alice-ops")


@pytest.fixture
def alice_admin(alice_staff) -> Client:
    return signed_in(alice_staff)


@pytest.fixture
def bobs_target(bobs_outdial) -> OutdialTarget:
    return targets.create_target(
        bobs_outdial, name="bob's callee", slots=[tel("+442079460958")]
    )


def attempt_on(target, outcome="no_answer") -> Attempt:
    now = timezone.now()
    return Attempt.objects.create(
        outdial=target.outdial,
        outdial_target=target,
        destination_index=0,
        address=target.slots()[0].target,
        try_count=1,
        max_try_counts=[2, 0, 0, 0, 0],
        outcome=outcome,
        lease_expires=now + timedelta(seconds=30),
    )


def import_into(outdial, file_name) -> ImportBatch:
    return ImportBatch.objects.create(
        outdial=outdial,
        created_by_name="ops",
        file_name=file_name,
        rows=3,
        created=2,
        duplicates=1,
        report={"errors": [], "warnings": ["row 3 repeats row 2"]},
    )


@pytest.fixture
def rows(alice, outdial, target, bobs_target):
    """One row of every model for each customer."""
    key, _ = credentials.new_access_key(alice.customer, "alice's key", "", 3600)
    bobs_key, _ = credentials.new_access_key(bobs_target.outdial.customer, "bk", "", 60)
    return {
        "ours": {
            Customer: alice.customer,
            User: alice.user,
            AccessKey: key,
            Outdial: outdial,
            OutdialTarget: target,
            Destination: target.slots()[0],
            Attempt: attempt_on(target),
            ImportBatch: import_into(outdial, "alice-list.csv"),
        },
        "theirs": {
            Customer: bobs_target.outdial.customer,
            User: User.objects.get(username="bob"),
            AccessKey: bobs_key,
            Outdial: bobs_target.outdial,
            OutdialTarget: bobs_target,
            Destination: bobs_target.slots()[0],
            Attempt: attempt_on(bobs_target),
            ImportBatch: import_into(bobs_target.outdial, "bob-list.csv"),
        },
    }


MODELS = [
    Customer,
    User,
    AccessKey,
    Outdial,
    OutdialTarget,
    Destination,
    Attempt,
    ImportBatch,
]
SYSTEM_WRITTEN = [Destination, Attempt, ImportBatch]


# Every page, as an operator.


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_an_operator_sees_every_customers_rows(admin_client, rows, model):
    response = admin_client.get(url(model))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert {rows["ours"][model], rows["theirs"][model]} <= shown
    page = response.content.decode()
    assert f"/{rows['theirs'][model].pk}/change/" in page


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_change_page_renders(admin_client, rows, model):
    obj = rows["ours"][model]
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    editable = model not in SYSTEM_WRITTEN
    assert ('name="_save"' in response.content.decode()) is editable


@pytest.mark.parametrize("model", SYSTEM_WRITTEN, ids=lambda m: m.__name__)
def test_system_written_rows_cannot_be_added_or_deleted(admin_client, rows, model):
    obj = rows["ours"][model]
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "delete", obj.pk)).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [Customer, Outdial, OutdialTarget, AccessKey])
def test_lists_and_keys_are_never_hard_deleted(admin_client, rows, model):
    obj = rows["ours"][model]
    assert (
        admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code
        == 403
    )
    response = run_action(admin_client, model, "delete_selected", [obj.pk], post="yes")
    assert response.status_code == 200
    assert not any("deleted" in message for message in messages_of(response))
    assert model.objects.filter(pk=obj.pk).exists()


def test_an_operator_filters_by_customer(admin_client, rows, alice):
    response = admin_client.get(url(OutdialTarget), {"customer": alice.customer.pk})
    page = response.content.decode()
    assert "test destination 0" in page
    assert "bob&#x27;s callee" not in page


def test_an_outdial_id_search_matches_it_exactly(admin_client, rows, outdial):
    response = admin_client.get(url(Outdial), {"q": str(outdial.pk)})
    assert list(response.context["cl"].result_list) == [outdial]
    response = admin_client.get(url(Outdial), {"q": "test outd"})
    assert list(response.context["cl"].result_list) == [outdial]


# Tenancy: a staff user who is not a superuser.


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_see_only_their_customers_rows(alice_admin, rows, model):
    response = alice_admin.get(url(model))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert rows["ours"][model] in shown
    assert rows["theirs"][model] not in shown
    assert f"/{rows['theirs'][model].pk}/change/" not in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_another_customers_row_is_not_there_for_staff(alice_admin, rows, model):
    """Its change page answers like a missing row: back to the index."""
    theirs = rows["theirs"][model]
    response = alice_admin.get(url(model, "change", theirs.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    missing = alice_admin.get(
        url(model, "change", "4b1d9d7e-0000-4000-8000-000000000000")
    )
    assert missing.status_code == 302
    assert missing["Location"] == response["Location"]


def test_staff_cannot_change_another_customers_outdial(alice_admin, bobs_outdial):
    response = alice_admin.post(
        url(Outdial, "change", bobs_outdial.pk), {"name": "mine now"}
    )
    assert response.status_code == 302
    bobs_outdial.refresh_from_db()
    assert bobs_outdial.name == "bob's list"
    assert bobs_outdial.tm_update is None


def test_staff_actions_skip_another_customers_ids(alice_admin, outdial, bobs_outdial):
    response = run_action(
        alice_admin, Outdial, "soft_delete_selected", [outdial.pk, bobs_outdial.pk]
    )
    assert "Deleted 1 outdial(s)." in messages_of(response)
    bobs_outdial.refresh_from_db()
    assert bobs_outdial.tm_delete is None
    outdial.refresh_from_db()
    assert outdial.tm_delete is not None


def test_staff_create_outdials_for_their_own_customer(alice_admin, alice, bob):
    form = alice_admin.get(url(Outdial, "add")).context["adminform"].form
    assert "customer" not in form.fields
    response = alice_admin.post(
        url(Outdial, "add"),
        {
            "name": "spring",
            "detail": "",
            "data": "",
            "campaign_id": str(bob.customer.pk),
            "customer": str(bob.customer.pk),
        },
    )
    assert response.status_code == 302
    created = Outdial.objects.get(name="spring")
    assert created.customer == alice.customer


def test_staff_cannot_file_a_target_under_another_customers_outdial(
    alice_admin, bobs_outdial
):
    response = alice_admin.post(
        url(OutdialTarget, "add"),
        {
            "outdial": str(bobs_outdial.pk),
            "name": "intruder",
            "destinations-TOTAL_FORMS": "1",
            "destinations-INITIAL_FORMS": "0",
            "destinations-0-index": "0",
            "destinations-0-type": "tel",
            "destinations-0-target": "+15559876543",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["outdial"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not OutdialTarget.objects.filter(name="intruder").exists()


def test_staff_filter_choices_name_only_their_outdials(alice_admin, rows):
    page = alice_admin.get(url(OutdialTarget)).content.decode()
    assert "test outdial" in page
    assert "bob&#x27;s list" not in page
    assert "?customer=" not in page


def test_staff_outdial_autocomplete_lists_only_theirs(
    alice_admin, outdial, bobs_outdial
):
    response = alice_admin.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "outdials",
            "model_name": "outdialtarget",
            "field_name": "outdial",
            "term": "",
        },
    )
    assert [row["id"] for row in response.json()["results"]] == [str(outdial.pk)]


def test_staff_see_their_customer_but_cannot_add_or_rename_one(alice_admin, alice):
    assert alice_admin.get(url(Customer, "add")).status_code == 403
    response = alice_admin.post(
        url(Customer, "change", alice.customer.pk), {"name": "renamed"}
    )
    assert response.status_code == 403
    alice.customer.refresh_from_db()
    assert alice.customer.name == "alice's company"


def test_staff_manage_their_colleagues_without_handing_out_superuser(
    alice_admin, alice, alice_staff
):
    User.objects.create_superuser("root", password=PASSWORD, customer=alice.customer)
    shown = alice_admin.get(url(User)).context["cl"].result_list
    assert {user.username for user in shown} == {"alice", "alice-ops"}
    page = alice_admin.get(url(User, "change", alice.user.pk))
    form = page.context["adminform"].form
    assert {"is_superuser", "groups", "user_permissions", "customer"}.isdisjoint(
        form.fields
    )
    response = alice_admin.post(
        url(User, "change", alice.user.pk),
        {
            "username": "alice",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.user.refresh_from_db()
    assert alice.user.is_staff and not alice.user.is_superuser


def test_staff_add_users_to_their_own_customer(alice_admin, alice):
    response = alice_admin.post(
        url(User, "add"),
        {
            "username": "carol",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(username="carol").customer == alice.customer


def test_staff_without_a_customer_see_nothing_and_add_nothing(db, rows):
    drifter = make_staff(None, "drifter")
    client = signed_in(drifter)
    assert list(client.get(url(Outdial)).context["cl"].result_list) == []
    assert client.get(url(Outdial, "add")).status_code == 403


def test_an_operator_assigns_a_user_to_a_customer(admin_client, bob):
    response = admin_client.post(
        url(User, "add"),
        {
            "username": "dave",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "customer": str(bob.customer.pk),
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="dave").customer == bob.customer


# Access keys.


def test_a_new_access_key_is_shown_once_and_works(alice_admin, alice):
    response = alice_admin.post(
        url(AccessKey, "add"),
        {"name": "dialer", "detail": "rack 3", "expire_seconds": "3600"},
        follow=True,
    )
    (message,) = [text for text in messages_of(response) if "copy it now" in text]
    key = re.search(r"odk_[A-Za-z0-9_-]+", message).group()
    access_key = AccessKey.objects.get(name="dialer")
    assert access_key.customer == alice.customer
    assert credentials.access_key_for(key) == access_key
    assert 3590 < (access_key.tm_expire - timezone.now()).total_seconds() <= 3600
    page = alice_admin.get(url(AccessKey, "change", access_key.pk)).content.decode()
    assert access_key.token_prefix in page
    assert key not in page
    assert access_key.token_hash not in page
    listing = alice_admin.get(url(AccessKey)).content.decode()
    assert key not in listing and access_key.token_hash not in listing


def test_an_operator_creates_a_key_for_a_chosen_customer(admin_client, bob):
    response = admin_client.post(
        url(AccessKey, "add"),
        {"customer": str(bob.customer.pk), "name": "ops", "expire_seconds": "600"},
    )
    assert response.status_code == 302
    assert AccessKey.objects.get(name="ops").customer == bob.customer


@pytest.mark.parametrize(
    ("seconds", "error"),
    [
        ("59", "Ensure this value is greater than or equal to 60."),
        ("forever", "Enter a whole number."),
        ("315360001", "Ensure this value is less than or equal to 315360000."),
    ],
)
def test_an_access_key_needs_a_sensible_lifetime(alice_admin, seconds, error):
    response = alice_admin.post(
        url(AccessKey, "add"), {"name": "k", "expire_seconds": seconds}
    )
    assert response.context["adminform"].form.errors["expire_seconds"] == [error]
    assert not AccessKey.objects.exists()


def test_renaming_a_key_stamps_it_and_keeps_its_hash(alice_admin, rows):
    key = rows["ours"][AccessKey]
    response = alice_admin.post(
        url(AccessKey, "change", key.pk),
        {"name": "renamed", "detail": "", "token_hash": "0" * 64},
    )
    assert response.status_code == 302
    before = key.token_hash
    key.refresh_from_db()
    assert (key.name, key.token_hash) == ("renamed", before)
    assert key.tm_update is not None


def test_revoking_a_key_ends_it(alice_admin, alice):
    key, secret = credentials.new_access_key(alice.customer, "old", "", 3600)
    response = run_action(alice_admin, AccessKey, "revoke", [key.pk])
    assert "Revoked 1 access key(s)." in messages_of(response)
    assert credentials.access_key_for(secret) is None
    key.refresh_from_db()
    assert key.tm_delete is not None
    assert alice_admin.get(url(AccessKey)).context["cl"].result_count == 0


# Outdials.


def set_statuses(outdial, statuses) -> list[OutdialTarget]:
    made = []
    for n, status in enumerate(statuses):
        target = targets.create_target(
            outdial, name=f"t{n}", slots=[tel(f"+1555987654{n}")]
        )
        OutdialTarget.objects.filter(pk=target.pk).update(status=status)
        made.append(target)
    return made


def test_the_outdial_page_counts_targets_and_links_to_them(alice_admin, outdial):
    made = set_statuses(outdial, ["idle", "idle", "progressing", "done"])
    targets.soft_delete(made[0])
    page = alice_admin.get(url(Outdial, "change", outdial.pk)).content.decode()
    base = url(OutdialTarget)
    for status, count in [("idle", 1), ("progressing", 1), ("done", 1)]:
        link = f"{base}?outdial={outdial.pk}&amp;status__exact={status}"
        assert f'<a href="{link}">{status}</a>: {count}' in page
    assert f'<a href="{base}?outdial={outdial.pk}">total</a>: 3' in page
    assert f'href="{base}?outdial={outdial.pk}&amp;deleted=yes"' in page
    assert "0 done without an answer" in page
    attempts = url(Attempt)
    assert f'<a href="{attempts}?outdial={outdial.pk}">attempts</a>' in page
    listed = alice_admin.get(base, {"outdial": outdial.pk, "status__exact": "idle"})
    assert list(listed.context["cl"].result_list) == [made[1]]


def test_the_outdial_page_never_lists_targets_inline(alice_admin, outdial, target):
    response = alice_admin.get(url(Outdial, "change", outdial.pk))
    assert response.context["inline_admin_formsets"] == []
    assert str(target.pk) not in response.content.decode()


def test_editing_an_outdial_goes_through_the_domain(alice_admin, outdial):
    response = alice_admin.post(
        url(Outdial, "change", outdial.pk),
        {
            "name": "renamed",
            "detail": outdial.detail,
            "data": "",
            "campaign_id": str(outdial.campaign_id),
        },
    )
    assert response.status_code == 302
    outdial.refresh_from_db()
    assert outdial.name == "renamed"
    assert outdial.tm_update is not None


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "a\x00b", "Null characters are not allowed."),
        (
            "name",
            "n" * 256,
            "Ensure this value has at most 255 characters (it has 256).",
        ),
        ("detail", "d" * 2001, "Must be at most 2000 characters."),
        ("campaign_id", "not-a-uuid", "Enter a valid UUID."),
    ],
)
def test_an_outdial_with_bad_fields_is_refused(
    alice_admin, outdial, field, value, error
):
    data = {
        "name": "x",
        "detail": "",
        "data": "",
        "campaign_id": str(outdial.campaign_id),
    }
    response = alice_admin.post(
        url(Outdial, "change", outdial.pk), {**data, field: value}
    )
    assert response.status_code == 200
    assert error in response.context["adminform"].form.errors[field]
    outdial.refresh_from_db()
    assert outdial.name == "test outdial"


def test_deleted_outdials_leave_the_list_until_asked_for(alice_admin, outdial):
    run_action(alice_admin, Outdial, "soft_delete_selected", [outdial.pk])
    assert alice_admin.get(url(Outdial)).context["cl"].result_count == 0
    deleted = alice_admin.get(url(Outdial), {"deleted": "yes"}).context["cl"]
    assert list(deleted.result_list) == [outdial]
    page = alice_admin.get(url(Outdial, "change", outdial.pk)).content.decode()
    assert 'name="_save"' not in page  # read-only until restored


def test_restoring_an_outdial_brings_it_back(alice_admin, outdial):
    targets.soft_delete(outdial)
    deleted_at = outdial.tm_delete
    response = run_action(
        alice_admin, Outdial, "restore_selected", [outdial.pk], query="?deleted=yes"
    )
    assert "Restored 1 outdial(s)." in messages_of(response)
    outdial.refresh_from_db()
    assert outdial.tm_delete is None
    assert outdial.tm_update > deleted_at


@pytest.mark.parametrize(
    "params",
    [
        {"outdial": "not-a-uuid"},
        {"customer": "7"},
        {"deleted": "maybe"},
        {"destination_type": "fax"},
    ],
)
def test_a_malformed_filter_is_refused_politely(admin_client, outdial, params):
    response = admin_client.get(url(OutdialTarget), params)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_an_import_shows_its_report(alice_admin, rows):
    batch = rows["ours"][ImportBatch]
    page = alice_admin.get(url(ImportBatch, "change", batch.pk)).content.decode()
    assert "row 3 repeats row 2" in page
    assert "alice-list.csv" in page


def test_undoing_an_import_goes_through_the_importer(alice_admin, outdial, bob):
    report = importing.import_csv(
        outdial,
        io.BytesIO(b"name,destination_0\nann,+15559876501\nben,+15559876502\n"),
        file_name="spring.csv",
        created_by_name="alice-ops",
    )
    batch = ImportBatch.objects.get(pk=report.import_id)
    ben = OutdialTarget.objects.get(name="ben")
    attempt_on(ben)  # a target with a history is kept
    theirs = import_into(
        Outdial.objects.create(customer=bob.customer, name="b"), "b.csv"
    )
    response = run_action(
        alice_admin, ImportBatch, "undo_selected", [batch.pk, theirs.pk]
    )
    assert messages_of(response) == [
        "Undid 1 import(s): 1 target(s) deleted, 1 kept because a dialer has "
        "tried them."
    ]
    assert list(OutdialTarget.objects.live().values_list("name", flat=True)) == ["ben"]
    batch.refresh_from_db()
    theirs.refresh_from_db()
    assert batch.tm_undo is not None and theirs.tm_undo is None
    again = run_action(alice_admin, ImportBatch, "undo_selected", [batch.pk])
    assert messages_of(again) == [
        "Undid 0 import(s): 0 target(s) deleted, 0 kept because a dialer has "
        "tried them."
    ]


def test_undo_needs_the_right_to_change_targets(alice, rows):
    viewer = make_staff(alice.customer, "viewer")
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    page = signed_in(viewer).get(url(ImportBatch)).content.decode()
    assert "undo_selected" not in page
    response = run_action(
        signed_in(viewer), ImportBatch, "undo_selected", [rows["ours"][ImportBatch].pk]
    )
    assert response.status_code == 200
    assert not messages_of(response)
    assert ImportBatch.objects.filter(tm_undo__isnull=False).count() == 0


def test_an_operator_moves_a_user_to_another_customer(admin_client, alice, bob):
    response = admin_client.post(
        url(User, "change", alice.user.pk),
        {
            "username": "alice",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "customer": str(bob.customer.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    alice.user.refresh_from_db()
    assert alice.user.customer == bob.customer


def test_an_operators_outdial_filter_follows_the_chosen_customer(
    admin_client, rows, alice
):
    everyone = admin_client.get(url(OutdialTarget)).content.decode()
    assert "test outdial" in everyone and "bob&#x27;s list" in everyone
    page = admin_client.get(
        url(OutdialTarget), {"customer": alice.customer.pk}
    ).content.decode()
    assert "test outdial" in page and "bob&#x27;s list" not in page


def test_the_attempt_log_link_lists_that_targets_attempts(alice_admin, rows, outdial):
    ours = rows["ours"][Attempt]
    other = targets.create_target(outdial, name="other", slots=[tel("+15559876500")])
    attempt_on(other)
    response = alice_admin.get(
        url(Attempt), {"outdial_target": rows["ours"][OutdialTarget].pk}
    )
    assert list(response.context["cl"].result_list) == [ours]


@pytest.mark.parametrize(
    ("term", "found"),
    [("+15559876543", "ours"), ("+442079460958", None), ("+1555", None)],
)
def test_destinations_are_found_by_exact_address(alice_admin, rows, term, found):
    response = alice_admin.get(url(Destination), {"q": term})
    expected = [rows[found][Destination]] if found else []
    assert list(response.context["cl"].result_list) == expected
