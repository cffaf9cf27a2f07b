"""``/v1.0/suppressions…`` (issue 16): lists, entries with keyset pages, add
and remove one, check one address, the change log; another customer's list
answers 404 like a missing one."""

import pytest

from outdials import suppression
from outdials.models import SuppressionChange, SuppressionEntry, SuppressionList
from outdials.timestamps import SENTINEL
from tests.helpers import assert_error


@pytest.fixture
def dnc(alice):
    return suppression.create_list(alice.customer, name="DNC")


@pytest.fixture
def bobs_list(bob):
    made = suppression.create_list(bob.customer, name="Bob's")
    suppression.add(made, type_="tel", address="+15550003001")
    return made


def test_it_creates_a_list_of_chosen_outdials(api, alice, outdial):
    response = api.post(
        "/v1.0/suppressions",
        {"name": "Campaign DNC", "scope": "chosen", "outdial_ids": [str(outdial.id)]},
        format="json",
    )
    assert response.status_code == 200, response.content
    made = SuppressionList.objects.get()
    assert response.json() == {
        "id": str(made.id),
        "customer_id": str(alice.customer.id),
        "name": "Campaign DNC",
        "detail": "",
        "scope": "chosen",
        "outdial_ids": [str(outdial.id)],
        "default_for": None,
        "tm_create": response.json()["tm_create"],
        "tm_update": SENTINEL,
    }


def test_it_refuses_another_customers_outdial_in_the_scope(api, bobs_outdial):
    response = api.post(
        "/v1.0/suppressions",
        {"name": "x", "scope": "chosen", "outdial_ids": [str(bobs_outdial.id)]},
        format="json",
    )
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert not SuppressionList.objects.exists()


def test_it_lists_only_the_callers_lists(api, dnc, bobs_list):
    response = api.get("/v1.0/suppressions")
    assert [item["name"] for item in response.json()["result"]] == ["DNC"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", ""),
        ("put", ""),
        ("delete", ""),
        ("get", "/entries"),
        ("post", "/entries"),
        ("get", "/changes"),
        ("delete", "/entries/1"),
    ],
)
def test_another_customers_list_is_a_404(api, bobs_list, method, path):
    body = {"name": "mine now", "address": "+15550003009"}
    response = getattr(api, method)(
        f"/v1.0/suppressions/{bobs_list.id}{path}", body, format="json"
    )
    assert_error(response, 404, "SUPPRESSION_LIST_NOT_FOUND")
    assert SuppressionList.objects.get(pk=bobs_list.pk).name == "Bob's"
    assert SuppressionEntry.objects.filter(list=bobs_list).count() == 1


def test_it_adds_an_entry_normalized_as_targets_are(api, dnc):
    response = api.post(
        f"/v1.0/suppressions/{dnc.id}/entries",
        {"address": "Ops@Example.COM", "reason": "complaint"},
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = SuppressionEntry.objects.get()
    assert response.json() == {
        "id": entry.id,
        "list_id": str(dnc.id),
        "kind": "address",
        "type": "email",
        "address": "ops@example.com",
        "tm_expire": SENTINEL,
        "reason": "complaint",
        "source": "alice",
        "tm_create": response.json()["tm_create"],
    }


def test_it_refuses_an_address_that_is_not_one(api, dnc):
    response = api.post(
        f"/v1.0/suppressions/{dnc.id}/entries",
        {"type": "tel", "address": "12"},
        format="json",
    )
    body = assert_error(response, 400, "INVALID_ARGUMENT")
    assert body["details"][0]["field"] == "address"


def test_it_adds_a_prefix_with_an_expiry(api, dnc):
    response = api.post(
        f"/v1.0/suppressions/{dnc.id}/entries",
        {"address": "+1900", "kind": "prefix", "tm_expire": "2031-01-01 00:00:00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "prefix"
    assert response.json()["tm_expire"].startswith("2031-01-01 00:00:00")


def test_entries_come_in_keyset_pages_newest_first(api, dnc):
    for n in range(5):
        suppression.add(dnc, type_="tel", address=f"+1555000400{n}")
    first = api.get(f"/v1.0/suppressions/{dnc.id}/entries?page_size=3").json()
    assert [e["address"] for e in first["result"]] == [
        "+15550004004",
        "+15550004003",
        "+15550004002",
    ]
    second = api.get(
        f"/v1.0/suppressions/{dnc.id}/entries?page_size=3"
        f"&page_token={first['next_page_token']}"
    ).json()
    assert [e["address"] for e in second["result"]] == [
        "+15550004001",
        "+15550004000",
    ]
    assert second["next_page_token"] == ""
    bad = api.get(f"/v1.0/suppressions/{dnc.id}/entries?page_token=x")
    assert_error(bad, 400, "INVALID_PAGE_TOKEN")


def test_it_removes_one_entry_and_logs_every_change(api, dnc):
    entry, _ = suppression.add(dnc, type_="tel", address="+15550005001")
    response = api.delete(f"/v1.0/suppressions/{dnc.id}/entries/{entry.id}")
    assert response.status_code == 200
    assert not SuppressionEntry.objects.exists()
    assert_error(
        api.delete(f"/v1.0/suppressions/{dnc.id}/entries/{entry.id}"),
        404,
        "SUPPRESSION_ENTRY_NOT_FOUND",
    )
    log = api.get(f"/v1.0/suppressions/{dnc.id}/changes").json()["result"]
    assert [(c["action"], c["what"].get("address")) for c in log] == [
        ("remove", "+15550005001"),
        ("add", "+15550005001"),
        ("create_list", None),
    ]
    assert log[0]["created_by"] == "alice"


def test_check_answers_the_entries_that_suppress_an_address(api, dnc, bobs_list):
    suppression.add(dnc, type_="tel", address="+1900", kind="prefix")
    response = api.get("/v1.0/suppressions/check?address=%2B19005550100")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["type"], body["address"], body["suppressed"]) == (
        "tel",
        "+19005550100",
        True,
    )
    assert [e["address"] for e in body["result"]] == ["+1900"]
    # Bob's entry is his only.
    other = api.get("/v1.0/suppressions/check?address=%2B15550003001").json()
    assert (other["suppressed"], other["result"]) == (False, [])


def test_it_renames_a_list_and_deletes_it(api, dnc, outdial):
    response = api.put(
        f"/v1.0/suppressions/{dnc.id}",
        {"name": "Registry", "scope": "chosen", "outdial_ids": [str(outdial.id)]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["outdial_ids"]) == (
        "Registry",
        [str(outdial.id)],
    )
    assert SuppressionChange.objects.filter(action="update_list").count() == 1
    assert api.delete(f"/v1.0/suppressions/{dnc.id}").status_code == 200
    # Kept, deleted, with its change log (tests/test_suppression_deletion.py).
    assert SuppressionList.objects.get().tm_delete is not None
    assert not SuppressionList.objects.live().exists()
