"""The admin of suppression lists (issue 16): every page renders for an
operator; staff see only their customer's lists and entries; an entry added
here is normalized and logged like one added anywhere else."""

import pytest

from outdials import suppression
from outdials.models import (
    SuppressionChange,
    SuppressionEntry,
    SuppressionList,
    SuppressionUpload,
)
from tests.helpers import admin_url as url
from tests.helpers import make_staff, signed_in


@pytest.fixture
def lists(alice, bob):
    ours = suppression.create_list(alice.customer, name="alice registry")
    theirs = suppression.create_list(bob.customer, name="bob registry")
    suppression.add(ours, type_="tel", address="+12025550143")
    suppression.add(theirs, type_="tel", address="+12025550199")
    return ours, theirs


@pytest.fixture
def alice_admin(alice):
    return signed_in(make_staff(alice.customer, "alice-ops"))


@pytest.mark.parametrize(
    "model", [SuppressionList, SuppressionEntry, SuppressionChange, SuppressionUpload]
)
def test_every_list_page_renders(admin_client, lists, model):
    assert admin_client.get(url(model)).status_code == 200


def test_a_list_change_page_renders(admin_client, lists):
    assert (
        admin_client.get(url(SuppressionList, "change", lists[0].pk)).status_code == 200
    )


def test_staff_see_only_their_customers_lists_and_entries(alice_admin, lists):
    page = alice_admin.get(url(SuppressionList)).content.decode()
    assert "alice registry" in page and "bob registry" not in page
    page = alice_admin.get(url(SuppressionEntry)).content.decode()
    assert "+12025550143" in page and "+12025550199" not in page
    theirs = SuppressionEntry.objects.get(address="+12025550199")
    response = alice_admin.get(url(SuppressionEntry, "change", theirs.pk))
    assert response.status_code == 302


def test_an_entry_added_in_the_admin_is_normalized_and_logged(admin_client, lists):
    ours = lists[0]
    response = admin_client.post(
        url(SuppressionEntry, "add"),
        {
            "list": str(ours.pk),
            "type": "email",
            "kind": "address",
            "address": "Ops@Example.COM",
            "reason": "complaint",
            "source": "phone call",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = SuppressionEntry.objects.get(address="ops@example.com")
    assert (entry.list, entry.reason, entry.source) == (ours, "complaint", "phone call")
    assert SuppressionChange.objects.filter(list=ours, action="add").count() == 2


def test_the_admin_names_the_fields_as_people_do(admin_client, lists):
    """Human labels, as the outdials' and targets' fields have."""
    html = admin_client.get(url(SuppressionList)).content.decode()
    assert ">Created<" in html and ">Default list of<" in html
    assert "Select suppression list to change" in html
    html = admin_client.get(url(SuppressionEntry)).content.decode()
    assert ">Destination type<" in html and ">Expires<" in html
    html = admin_client.get(url(SuppressionChange)).content.decode()
    assert "Suppression list changes" in html
    html = admin_client.get(url(SuppressionUpload)).content.decode()
    assert "Suppression list jobs" in html
    labels = {
        (model.__name__, field.name): field.verbose_name
        for model in (SuppressionList, SuppressionEntry, SuppressionChange)
        for field in model._meta.get_fields()
        if field.name in ("tm_create", "tm_update", "tm_delete", "tm_expire")
    }
    assert labels == {
        ("SuppressionList", "tm_create"): "created",
        ("SuppressionList", "tm_update"): "updated",
        ("SuppressionList", "tm_delete"): "deleted",
        ("SuppressionEntry", "tm_create"): "added",
        ("SuppressionEntry", "tm_expire"): "expires",
        ("SuppressionChange", "tm_create"): "when",
    }
