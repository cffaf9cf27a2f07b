"""``/v1.0/outdials``: list, create, get, update, delete, campaign_id, data."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from outdials.models import NIL_UUID, Outdial
from outdials.timestamps import SENTINEL, format_ts
from tests.helpers import assert_error, by_field, without_request_id
from tests.test_seed_tutorial import OUTDIAL_KEYS

CAMPAIGN = "7f1c5b2e-2a9a-4c48-9d0e-3f2a1b4c5d6e"


def url(outdial=None, suffix=""):
    return "/v1.0/outdials" + (f"/{outdial.id}" if outdial else "") + suffix


# --- create -----------------------------------------------------------------


def test_it_creates_an_outdial(api, alice):
    response = api.post(
        url(),
        {"name": "spring", "detail": "spring campaign", "data": '{"k": 1}'},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == OUTDIAL_KEYS
    row = Outdial.objects.get()
    assert body == {
        "id": str(row.id),
        "customer_id": str(alice.customer.id),
        "campaign_id": "00000000-0000-0000-0000-000000000000",
        "name": "spring",
        "detail": "spring campaign",
        "data": '{"k": 1}',
        "tm_create": format_ts(row.tm_create),
        "tm_update": SENTINEL,
        "tm_delete": SENTINEL,
    }
    assert row.customer_id == alice.customer.id
    assert (row.name, row.detail, row.data) == ("spring", "spring campaign", '{"k": 1}')
    assert row.tm_update is None and row.tm_delete is None


def test_it_creates_an_outdial_from_an_empty_body(api):
    response = api.post(url(), {}, format="json")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["data"]) == ("", "")
    assert Outdial.objects.count() == 1


def test_it_takes_a_campaign_id_on_create(api):
    response = api.post(url(), {"name": "x", "campaign_id": CAMPAIGN}, format="json")
    assert response.status_code == 200
    assert response.json()["campaign_id"] == CAMPAIGN
    assert Outdial.objects.get().campaign_id == uuid.UUID(CAMPAIGN)


def test_it_ignores_server_managed_and_unknown_keys_on_create(api, alice, bob):
    forged = str(uuid.uuid4())
    response = api.post(
        url(),
        {
            "name": "mine",
            "id": forged,
            "customer_id": str(bob.customer.id),
            "tm_create": "2001-01-01 00:00:00.000000",
            "tm_update": "2001-01-01 00:00:00.000000",
            "tm_delete": "2001-01-01 00:00:00.000000",
            "colour": "blue",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    row = Outdial.objects.get()
    assert body["id"] == str(row.id) != forged
    assert body["customer_id"] == str(alice.customer.id)
    assert row.customer_id == alice.customer.id
    assert not body["tm_create"].startswith("2001")
    assert (body["tm_update"], body["tm_delete"]) == (SENTINEL, SENTINEL)
    assert row.tm_delete is None


@pytest.mark.parametrize(
    "payload,field,message",
    [
        ({"name": 5}, "name", "must be a string."),
        ({"name": None}, "name", "This field may not be null."),
        ({"detail": ["a"]}, "detail", "must be a string."),
        ({"data": {"k": 1}}, "data", "must be a string."),
        ({"campaign_id": 123}, "campaign_id", "must be a UUID string."),
        ({"campaign_id": "not-a-uuid"}, "campaign_id", "must be a UUID string."),
        ({"name": "n" * 256}, "name", "must be at most 255 characters."),
        ({"detail": "d" * 2001}, "detail", "must be at most 2000 characters."),
        (
            {"data": "x" * (64 * 1024 + 1)},
            "data",
            "must be at most 65536 bytes (UTF-8).",
        ),
        ({"name": "a\x00b"}, "name", "must not contain NUL characters."),
        ({"data": "a\x00b"}, "data", "must not contain NUL characters."),
    ],
)
def test_it_rejects_bad_fields_on_create(api, payload, field, message):
    response = api.post(url(), payload, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert error["message"] == f"{field}: {message}"
    assert by_field(error["details"]) == {field: [message]}
    assert not Outdial.objects.exists()


def test_it_accepts_values_at_the_limits(api):
    response = api.post(
        url(),
        {"name": "n" * 255, "detail": "d" * 2000, "data": "x" * 64 * 1024},
        format="json",
    )
    assert response.status_code == 200
    row = Outdial.objects.get()
    assert (len(row.name), len(row.detail), len(row.data)) == (255, 2000, 65536)


def test_it_names_every_bad_field(api):
    response = api.post(url(), {"name": 5, "detail": 6}, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {
        "name": ["must be a string."],
        "detail": ["must be a string."],
    }


def test_it_rejects_a_lone_surrogate_as_bad_input(api):
    response = api.post(
        url(),
        b'{"name": "a\\ud800b"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert not Outdial.objects.exists()


def test_it_keeps_unicode_text(api):
    response = api.post(url(), {"name": "Zoë 📞 東京"}, format="json")
    assert response.json()["name"] == "Zoë 📞 東京"
    assert Outdial.objects.get().name == "Zoë 📞 東京"


# --- list -------------------------------------------------------------------


def test_it_lists_live_outdials_newest_first(api, alice, bob):
    now = timezone.now()
    old = Outdial.objects.create(
        customer=alice.customer, name="old", tm_create=now - timedelta(hours=2)
    )
    new = Outdial.objects.create(
        customer=alice.customer, name="new", tm_create=now - timedelta(hours=1)
    )
    Outdial.objects.create(
        customer=alice.customer, name="gone", tm_delete=now, tm_update=now
    )
    Outdial.objects.create(customer=bob.customer, name="bob's")
    response = api.get(url())
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["result", "next_page_token"]
    assert [item["name"] for item in body["result"]] == ["new", "old"]
    assert body["result"][0] == api.get(url(new)).json()
    assert body["next_page_token"] == format_ts(old.tm_create)


def test_an_empty_list_has_an_empty_token(api):
    assert api.get(url()).json() == {"result": [], "next_page_token": ""}


# --- get --------------------------------------------------------------------


def test_it_gets_an_outdial(api, alice, outdial):
    response = api.get(url(outdial))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(outdial.id),
        "customer_id": str(alice.customer.id),
        "campaign_id": str(NIL_UUID),
        "name": "test outdial",
        "detail": "outdial for test use.",
        "data": "",
        "tm_create": format_ts(outdial.tm_create),
        "tm_update": SENTINEL,
        "tm_delete": SENTINEL,
    }


def test_it_accepts_a_trailing_slash(api, outdial):
    assert api.get(url(outdial) + "/").json()["id"] == str(outdial.id)
    assert api.get("/v1.0/outdials/").status_code == 200


def test_a_deleted_outdial_still_answers_by_id(api, outdial):
    deleted = api.delete(url(outdial)).json()
    response = api.get(url(outdial))
    assert response.status_code == 200
    assert response.json() == deleted
    assert response.json()["tm_delete"] != SENTINEL


@pytest.mark.parametrize("bad_id", ["abc", "123", "40bea034-1d17-474d-a5de"])
def test_a_non_uuid_id_is_a_400(api, bad_id):
    for method in ("get", "put", "delete"):
        response = getattr(api, method)(f"/v1.0/outdials/{bad_id}", format="json")
        error = assert_error(response, 400, "INVALID_ID")
        assert error["message"] == "The provided id is not a valid UUID."
    for suffix in ("campaign_id", "data"):
        response = api.put(f"/v1.0/outdials/{bad_id}/{suffix}", {}, format="json")
        assert_error(response, 400, "INVALID_ID")


def test_a_missing_outdial_is_a_404(api):
    response = api.get(f"/v1.0/outdials/{uuid.uuid4()}")
    error = assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    assert error["message"] == "The outdial was not found."


# --- tenancy ----------------------------------------------------------------


def calls_on(outdial_id):
    base = f"/v1.0/outdials/{outdial_id}"
    return [
        ("get", base, None),
        ("put", base, {"name": "stolen"}),
        ("delete", base, None),
        ("put", base + "/campaign_id", {"campaign_id": CAMPAIGN}),
        ("put", base + "/data", {"data": "stolen"}),
    ]


def test_another_customers_outdial_is_a_404_like_a_missing_one(api, bobs_outdial):
    before = Outdial.objects.filter(pk=bobs_outdial.pk).values().get()
    missing = uuid.uuid4()
    for (method, path, payload), (_, missing_path, _) in zip(
        calls_on(bobs_outdial.id), calls_on(missing), strict=True
    ):
        response = getattr(api, method)(path, payload, format="json")
        assert_error(response, 404, "OUTDIAL_NOT_FOUND")
        other = getattr(api, method)(missing_path, payload, format="json")
        assert without_request_id(response) == without_request_id(other)
    assert Outdial.objects.filter(pk=bobs_outdial.pk).values().get() == before


def test_the_list_shows_only_the_callers_outdials(api, outdial, bobs_outdial):
    ids = [item["id"] for item in api.get(url()).json()["result"]]
    assert ids == [str(outdial.id)]


# --- update -----------------------------------------------------------------


def test_it_updates_name_and_detail(api, outdial):
    response = api.put(
        url(outdial),
        {"name": "renamed", "detail": "new detail", "data": "ignored"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    outdial.refresh_from_db()
    assert (body["name"], body["detail"], body["data"]) == ("renamed", "new detail", "")
    assert (outdial.name, outdial.detail, outdial.data) == (
        "renamed",
        "new detail",
        "",
    )
    assert body["tm_update"] == format_ts(outdial.tm_update) != SENTINEL
    assert body["tm_delete"] == SENTINEL


def test_an_update_replaces_both_name_and_detail(api, outdial):
    """As VoIPbin's PUT: an omitted one becomes "" (SPEC §2)."""
    body = api.put(url(outdial), {"detail": "only this"}, format="json").json()
    assert (body["name"], body["detail"]) == ("", "only this")
    outdial.refresh_from_db()
    assert (outdial.name, outdial.detail) == ("", "only this")


def test_an_update_ignores_server_managed_keys(api, alice, bob, outdial):
    created = format_ts(outdial.tm_create)
    response = api.put(
        url(outdial),
        {
            "id": str(uuid.uuid4()),
            "customer_id": str(bob.customer.id),
            "tm_create": "2001-01-01 00:00:00.000000",
            "tm_delete": "2001-01-01 00:00:00.000000",
            "campaign_id": CAMPAIGN,
        },
        format="json",
    )
    body = response.json()
    assert body["id"] == str(outdial.id)
    assert body["customer_id"] == str(alice.customer.id)
    assert body["tm_create"] == created
    assert body["tm_delete"] == SENTINEL
    assert body["campaign_id"] == str(NIL_UUID)
    outdial.refresh_from_db()
    assert outdial.customer_id == alice.customer.id and outdial.tm_delete is None


def test_an_update_rejects_wrong_types(api, outdial):
    error = assert_error(
        api.put(url(outdial), {"name": 5}, format="json"), 400, "INVALID_ARGUMENT"
    )
    assert by_field(error["details"]) == {"name": ["must be a string."]}
    error = assert_error(
        api.put(url(outdial), {"detail": "d" * 2001}, format="json"),
        400,
        "INVALID_ARGUMENT",
    )
    assert by_field(error["details"]) == {
        "detail": ["must be at most 2000 characters."]
    }
    outdial.refresh_from_db()
    assert outdial.tm_update is None


def test_it_sets_the_campaign_id(api, outdial):
    response = api.put(
        url(outdial, "/campaign_id"), {"campaign_id": CAMPAIGN}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["campaign_id"] == CAMPAIGN
    outdial.refresh_from_db()
    assert outdial.campaign_id == uuid.UUID(CAMPAIGN)
    assert response.json()["tm_update"] == format_ts(outdial.tm_update)


def test_it_detaches_the_campaign_with_the_nil_uuid(api, outdial):
    api.put(url(outdial, "/campaign_id"), {"campaign_id": CAMPAIGN}, format="json")
    response = api.put(
        url(outdial, "/campaign_id"), {"campaign_id": str(NIL_UUID)}, format="json"
    )
    assert response.json()["campaign_id"] == str(NIL_UUID)


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_campaign_id_is_the_nil_uuid(api, outdial, empty):
    """VoIPbin reads it with uuid.FromStringOrNil (server/outdials.go)."""
    api.put(url(outdial, "/campaign_id"), {"campaign_id": CAMPAIGN}, format="json")
    response = api.put(
        url(outdial, "/campaign_id"), {"campaign_id": empty}, format="json"
    )
    assert response.json()["campaign_id"] == str(NIL_UUID)
    created = api.post("/v1.0/outdials", {"campaign_id": empty}, format="json")
    assert created.json()["campaign_id"] == str(NIL_UUID)


@pytest.mark.parametrize(
    "payload,message",
    [
        ({}, "This field is required."),
        ({"campaign_id": 123}, "must be a UUID string."),
        ({"campaign_id": "nope"}, "must be a UUID string."),
    ],
)
def test_the_campaign_id_must_be_a_uuid(api, outdial, payload, message):
    response = api.put(url(outdial, "/campaign_id"), payload, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"campaign_id": [message]}


def test_it_sets_the_data(api, outdial):
    response = api.put(url(outdial, "/data"), {"data": "new data"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == "new data"
    outdial.refresh_from_db()
    assert outdial.data == "new data" and outdial.tm_update is not None


@pytest.mark.parametrize(
    "payload,message",
    [
        ({}, "This field is required."),
        ({"data": 5}, "must be a string."),
        ({"data": "x" * (64 * 1024 + 1)}, "must be at most 65536 bytes (UTF-8)."),
    ],
)
def test_the_data_must_be_a_string_within_its_limit(api, outdial, payload, message):
    response = api.put(url(outdial, "/data"), payload, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"data": [message]}
    outdial.refresh_from_db()
    assert outdial.data == ""


# --- delete -----------------------------------------------------------------


def test_it_soft_deletes_an_outdial(api, outdial):
    response = api.delete(url(outdial))
    assert response.status_code == 200
    body = response.json()
    outdial.refresh_from_db()
    assert outdial.tm_delete is not None
    assert body["tm_delete"] == format_ts(outdial.tm_delete)
    assert body["tm_update"] == body["tm_delete"]
    assert body["name"] == "test outdial"
    assert api.get(url()).json() == {"result": [], "next_page_token": ""}


@pytest.mark.parametrize(
    "method,suffix,payload",
    [
        ("put", "", {"name": "x"}),
        ("put", "/campaign_id", {"campaign_id": CAMPAIGN}),
        ("put", "/data", {"data": "x"}),
        ("get", "/targets", None),
        (
            "post",
            "/targets",
            {"destination_0": {"type": "tel", "target": "+15559876543"}},
        ),
    ],
)
def test_a_deleted_outdial_cannot_be_changed(api, outdial, method, suffix, payload):
    deleted = api.delete(url(outdial)).json()
    response = getattr(api, method)(url(outdial, suffix), payload, format="json")
    assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    assert api.get(url(outdial)).json() == deleted
