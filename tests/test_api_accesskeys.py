"""``/v1.0/accesskeys``: list, create, get, update, delete (SPEC §6)."""

import hashlib
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outdials import credentials
from outdials.models import AccessKey, Outdial
from outdials.timestamps import SENTINEL, format_ts, parse_ts
from tests.helpers import assert_error, by_field, without_request_id

KEY_FIELDS = [
    "id",
    "customer_id",
    "name",
    "detail",
    "token_prefix",
    "tm_expire",
    "tm_create",
    "tm_update",
    "tm_delete",
]
YEAR = 365 * 24 * 3600


def url(access_key=None):
    return "/v1.0/accesskeys" + (f"/{access_key.id}" if access_key else "")


@pytest.fixture
def key(alice):
    """Alice's access key and its secret."""
    return credentials.new_access_key(alice.customer, "ci", "for the CI job", 3600)


@pytest.fixture
def bobs_key(bob):
    return credentials.new_access_key(bob.customer, "bob's", "", 3600)


def lists_outdials(anon, secret) -> int:
    return anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


# --- create -----------------------------------------------------------------


def test_it_creates_a_key_and_shows_it_once(api, alice):
    before = timezone.now()
    response = api.post(
        url(), {"name": "ci", "detail": "for CI", "expire": 86400}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [*KEY_FIELDS, "token"]
    row = AccessKey.objects.get()
    secret = body["token"]
    assert body == {
        "id": str(row.id),
        "customer_id": str(alice.customer.id),
        "name": "ci",
        "detail": "for CI",
        "token_prefix": secret[:12],
        "tm_expire": format_ts(row.tm_expire),
        "tm_create": format_ts(row.tm_create),
        "tm_update": SENTINEL,
        "tm_delete": SENTINEL,
        "token": secret,
    }
    assert secret.startswith("odk_") and len(secret) >= 40
    expires = parse_ts(body["tm_expire"]) - before
    assert timedelta(seconds=86400) <= expires < timedelta(seconds=86400 + 60)
    # Never shown again.
    assert "token" not in api.get(url(row)).json()
    assert all("token" not in item for item in api.get(url()).json()["result"])
    assert "token" not in api.put(url(row), {"name": "x"}, format="json").json()
    assert "token" not in api.delete(url(row)).json()


def test_the_key_is_stored_hashed_never_in_clear(api):
    secret = api.post(url(), {"name": "ci"}, format="json").json()["token"]
    row = AccessKey.objects.values().get()
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(row)
    assert row["token_prefix"] == secret[:12]
    # Nothing in the table holds the rest of the key.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AccessKey._meta.db_table}")
        stored = repr(cursor.fetchall())
    assert secret[12:] not in stored and secret not in stored


def test_every_key_is_different(api):
    secrets = {api.post(url(), {}, format="json").json()["token"] for _ in range(5)}
    assert len(secrets) == 5
    assert AccessKey.objects.values("token_hash").distinct().count() == 5


def test_a_key_lasts_a_year_by_default(api):
    before = timezone.now()
    body = api.post(url(), {}, format="json").json()
    lasts = parse_ts(body["tm_expire"]) - before
    assert timedelta(seconds=YEAR) <= lasts < timedelta(seconds=YEAR + 60)
    assert (body["name"], body["detail"]) == ("", "")


def test_a_new_key_authenticates_as_its_customer(anon, api, alice):
    Outdial.objects.create(customer=alice.customer, name="alice's list")
    secret = api.post(url(), {"name": "ci"}, format="json").json()["token"]
    for extra in (
        {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
        {"QUERY_STRING": f"accesskey={secret}"},
    ):
        response = anon.get("/v1.0/outdials", **extra)
        assert [o["name"] for o in response.json()["result"]] == ["alice's list"]
    created = anon.post(
        "/v1.0/outdials",
        {"name": "by key"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert created.json()["customer_id"] == str(alice.customer.id)


def test_the_server_managed_fields_are_ignored_on_create(api, alice, bob):
    body = api.post(
        url(),
        {
            "id": str(uuid.uuid4()),
            "customer_id": str(bob.customer.id),
            "token_prefix": "odk_chosen",
            "token": "odk_chosen_by_the_caller_0123456789abcdef",
            "tm_expire": "9999-01-01 00:00:00.000000",
            "tm_delete": "2001-01-01 00:00:00.000000",
        },
        format="json",
    ).json()
    row = AccessKey.objects.get()
    assert body["id"] == str(row.id)
    assert row.customer_id == alice.customer.id
    assert body["token"] != "odk_chosen_by_the_caller_0123456789abcdef"
    assert body["token_prefix"] == body["token"][:12] != "odk_chosen"
    assert row.tm_delete is None and body["tm_delete"] == SENTINEL
    assert parse_ts(body["tm_expire"]).year == timezone.now().year + 1


@pytest.mark.parametrize(
    "payload,field,message",
    [
        ({"expire": "3600"}, "expire", "must be a whole number."),
        ({"expire": 3600.5}, "expire", "must be a whole number."),
        ({"expire": True}, "expire", "must be a whole number."),
        ({"expire": None}, "expire", "This field may not be null."),
        ({"expire": 59}, "expire", "Ensure this value is greater than or equal to 60."),
        ({"expire": -1}, "expire", "Ensure this value is greater than or equal to 60."),
        (
            {"expire": 10 * YEAR + 1},
            "expire",
            "Ensure this value is less than or equal to 315360000.",
        ),
        (
            {"expire": 10**20},
            "expire",
            "Ensure this value is less than or equal to 315360000.",
        ),
        ({"name": 5}, "name", "must be a string."),
        ({"name": "n" * 256}, "name", "must be at most 255 characters."),
        ({"detail": "d" * 2001}, "detail", "must be at most 2000 characters."),
        ({"detail": "\x00"}, "detail", "must not contain NUL characters."),
    ],
)
def test_it_rejects_bad_fields_on_create(api, payload, field, message):
    response = api.post(url(), payload, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {field: [message]}
    assert not AccessKey.objects.exists()


# --- list and get -----------------------------------------------------------


def test_it_lists_live_keys_newest_first(api, alice, bob, key, bobs_key):
    older, _ = credentials.new_access_key(alice.customer, "older", "", 3600)
    older.tm_create = timezone.now() - timedelta(days=1)
    older.save()
    gone, _ = credentials.new_access_key(alice.customer, "gone", "", 3600)
    api.delete(url(gone))
    expired, _ = credentials.new_access_key(alice.customer, "expired", "", 3600)
    AccessKey.objects.filter(pk=expired.pk).update(
        tm_expire=timezone.now() - timedelta(seconds=1)
    )
    body = api.get(url()).json()
    # Expired keys stay listed (so they can be seen and deleted); deleted ones go.
    assert [item["name"] for item in body["result"]] == ["expired", "ci", "older"]
    assert body["next_page_token"] == format_ts(older.tm_create)
    assert body["result"][1] == api.get(url(key[0])).json()
    assert list(body["result"][1]) == KEY_FIELDS


def test_it_gets_a_key(api, alice, key):
    access_key, secret = key
    body = api.get(url(access_key)).json()
    assert body == {
        "id": str(access_key.id),
        "customer_id": str(alice.customer.id),
        "name": "ci",
        "detail": "for the CI job",
        "token_prefix": secret[:12],
        "tm_expire": format_ts(access_key.tm_expire),
        "tm_create": format_ts(access_key.tm_create),
        "tm_update": SENTINEL,
        "tm_delete": SENTINEL,
    }


def test_an_access_key_can_manage_keys(anon, key):
    access_key, secret = key
    response = anon.get(url(access_key), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.json()["id"] == str(access_key.id)


# --- update -----------------------------------------------------------------


def test_it_updates_name_and_detail_only(api, key):
    access_key, secret = key
    response = api.put(
        url(access_key),
        {
            "name": "renamed",
            "detail": "new",
            "tm_expire": "9999-01-01 00:00:00.000000",
            "token_prefix": "odk_x",
            "expire": 10,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    expire_before = access_key.tm_expire
    access_key.refresh_from_db()
    assert (access_key.name, access_key.detail) == ("renamed", "new")
    assert access_key.tm_expire == expire_before
    assert body["token_prefix"] == secret[:12]
    assert body["tm_update"] == format_ts(access_key.tm_update) != SENTINEL
    assert credentials.access_key_for(secret) == access_key


def test_an_update_rejects_bad_fields(api, key):
    access_key, _ = key
    response = api.put(url(access_key), {"name": ["x"]}, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"name": ["must be a string."]}
    access_key.refresh_from_db()
    assert access_key.name == "ci" and access_key.tm_update is None


def test_patch_is_not_an_update(api, key):
    response = api.patch(url(key[0]), {"name": "x"}, format="json")
    assert_error(response, 404, "ROUTE_NOT_FOUND")


# --- delete, expiry ---------------------------------------------------------


def test_a_deleted_key_no_longer_authenticates(anon, api, key):
    access_key, secret = key
    assert lists_outdials(anon, secret) == 200
    response = api.delete(url(access_key))
    assert response.status_code == 200
    body = response.json()
    access_key.refresh_from_db()
    assert body["tm_delete"] == body["tm_update"] == format_ts(access_key.tm_delete)
    assert lists_outdials(anon, secret) == 401
    assert anon.get("/v1.0/outdials", {"accesskey": secret}).status_code == 401
    anon.cookies["accesskey"] = secret
    assert anon.get("/v1.0/outdials").status_code == 401
    # Still readable by id; no longer changeable.
    assert api.get(url(access_key)).json() == body
    assert_error(api.put(url(access_key), {"name": "x"}), 404, "ACCESSKEY_NOT_FOUND")
    # Deleting it again answers it again (idempotent, as VoIPbin's DELETE).
    assert api.delete(url(access_key)).json() == body


def test_a_key_can_delete_itself(anon, key):
    access_key, secret = key
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert anon.delete(url(access_key), **auth).status_code == 200
    assert anon.get(url(access_key), **auth).status_code == 401


def test_an_expired_key_no_longer_authenticates(anon, key):
    access_key, secret = key
    access_key.tm_expire = timezone.now() + timedelta(seconds=30)
    access_key.save()
    assert lists_outdials(anon, secret) == 200
    access_key.tm_expire = timezone.now() - timedelta(microseconds=1)
    access_key.save()
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_a_wrong_or_altered_key_does_not_authenticate(anon, key):
    _, secret = key
    for wrong in (secret[:-1], secret + "a", secret.upper(), secret[:12], "odk_"):
        assert lists_outdials(anon, wrong) == 401, wrong


# --- tenancy and ids --------------------------------------------------------


def test_another_customers_key_is_a_404_like_a_missing_one(api, bobs_key):
    access_key, secret = bobs_key
    missing = f"/v1.0/accesskeys/{uuid.uuid4()}"
    for method, payload in (("get", None), ("put", {"name": "x"}), ("delete", None)):
        response = getattr(api, method)(url(access_key), payload, format="json")
        assert_error(response, 404, "ACCESSKEY_NOT_FOUND")
        assert without_request_id(response) == without_request_id(
            getattr(api, method)(missing, payload, format="json")
        )
    access_key.refresh_from_db()
    assert access_key.name == "bob's" and access_key.tm_delete is None
    assert credentials.access_key_for(secret) == access_key
    assert api.get(url()).json() == {"result": [], "next_page_token": ""}


def test_a_non_uuid_key_id_is_a_400(api):
    for method in ("get", "put", "delete"):
        response = getattr(api, method)("/v1.0/accesskeys/123", {}, format="json")
        error = assert_error(response, 400, "INVALID_ID")
        assert error["message"] == "The provided id is not a valid UUID."


def test_a_missing_key_is_a_404(api):
    error = assert_error(
        api.get(f"/v1.0/accesskeys/{uuid.uuid4()}"), 404, "ACCESSKEY_NOT_FOUND"
    )
    assert error["message"] == "The access key was not found."
