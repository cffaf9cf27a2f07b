"""``/v1.0/outdials/{id}/targets``: create, list (with ``?status=``), get, delete."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from outdials import credentials, targets
from outdials.models import Destination, Outdial, OutdialTarget
from outdials.timestamps import SENTINEL, format_ts
from tests.helpers import assert_error, by_field, tel, without_request_id

TARGET_KEYS = (
    ["id", "outdial_id", "name", "detail", "data", "status"]
    + [f"destination_{i}" for i in range(5)]
    + [f"try_count_{i}" for i in range(5)]
    + ["tm_create", "tm_update", "tm_delete"]
)
SEED_TEL = {"type": "tel", "target": "+15559876543"}


def url(outdial, target=None):
    base = f"/v1.0/outdials/{outdial.id}/targets"
    return base + (f"/{target.id}" if target is not None else "")


def full_address(type_, target, target_name="", name="", detail=""):
    return {
        "type": type_,
        "target": target,
        "target_name": target_name,
        "name": name,
        "detail": detail,
    }


def post(api, outdial, **payload):
    payload.setdefault("destination_0", SEED_TEL)
    return api.post(url(outdial), payload, format="json")


def strict_numbers():
    return override_settings(
        OUTDIALS={**settings.OUTDIALS, "STRICT_PHONE_NUMBERS": True}
    )


# --- create -----------------------------------------------------------------


def test_it_creates_a_target_as_the_seed_shows(api, outdial):
    response = post(
        api,
        outdial,
        name="test destination 0",
        detail="test detatination 0 detail",
        data="test data",
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == TARGET_KEYS
    row = OutdialTarget.objects.get()
    assert body == {
        "id": str(row.id),
        "outdial_id": str(outdial.id),
        "name": "test destination 0",
        "detail": "test detatination 0 detail",
        "data": "test data",
        "status": "idle",
        "destination_0": full_address("tel", "+15559876543"),
        "destination_1": None,
        "destination_2": None,
        "destination_3": None,
        "destination_4": None,
        "try_count_0": 0,
        "try_count_1": 0,
        "try_count_2": 0,
        "try_count_3": 0,
        "try_count_4": 0,
        "tm_create": format_ts(row.tm_create),
        "tm_update": format_ts(row.tm_create),
        "tm_delete": SENTINEL,
    }
    assert row.outdial_id == outdial.id and row.status == "idle"
    assert list(
        Destination.objects.values_list("outdial_target", "index", "type", "target")
    ) == [(row.id, 0, "tel", "+15559876543")]


def test_it_stores_all_five_destinations_and_their_optional_keys(api, outdial):
    response = post(
        api,
        outdial,
        destination_0=SEED_TEL,
        destination_1={
            "type": "sip",
            "target": "sip:alice@pbx.example.com",
            "target_name": "Alice",
            "name": "desk phone",
            "detail": "ext. 12",
        },
        destination_2=None,
        destination_3={"type": "email", "target": "ops@example.com"},
        destination_4={"type": "sip", "target": "sips:bob@[2001:db8::1]:5061"},
    )
    assert response.status_code == 200
    body = response.json()
    assert [body[f"destination_{i}"] for i in range(5)] == [
        full_address("tel", "+15559876543"),
        full_address(
            "sip", "sip:alice@pbx.example.com", "Alice", "desk phone", "ext. 12"
        ),
        None,
        full_address("email", "ops@example.com"),
        full_address("sip", "sips:bob@[2001:db8::1]:5061"),
    ]
    assert list(
        Destination.objects.order_by("index").values_list("index", "type", "target")
    ) == [
        (0, "tel", "+15559876543"),
        (1, "sip", "sip:alice@pbx.example.com"),
        (3, "email", "ops@example.com"),
        (4, "sip", "sips:bob@[2001:db8::1]:5061"),
    ]
    assert api.get(url(outdial, OutdialTarget.objects.get())).json() == body


def test_it_ignores_server_managed_keys_on_create(api, outdial, bobs_outdial):
    forged = str(uuid.uuid4())
    response = post(
        api,
        outdial,
        name="n",
        id=forged,
        outdial_id=str(bobs_outdial.id),
        customer_id=str(bobs_outdial.customer_id),
        status="done",
        try_count_0=7,
        try_count_1=3,
        tm_create="2001-01-01 00:00:00.000000",
        tm_update="2001-01-01 00:00:00.000000",
        tm_delete="2001-01-01 00:00:00.000000",
        destination_0={**SEED_TEL, "try_count": 9},
    )
    assert response.status_code == 200
    body = response.json()
    row = OutdialTarget.objects.get()
    assert body["id"] == str(row.id) != forged
    assert body["outdial_id"] == str(outdial.id) == str(row.outdial_id)
    assert (body["status"], row.status) == ("idle", "idle")
    assert [body[f"try_count_{i}"] for i in range(5)] == [0] * 5
    assert Destination.objects.get().try_count == 0
    assert body["tm_create"] == format_ts(row.tm_create)
    assert not body["tm_create"].startswith("2001")
    assert body["tm_delete"] == SENTINEL and row.tm_delete is None
    assert not bobs_outdial.targets.exists()


@pytest.mark.parametrize(
    "payload,field,message",
    [
        ({"name": 5}, "name", "must be a string."),
        ({"detail": True}, "detail", "must be a string."),
        ({"data": 1.5}, "data", "must be a string."),
        ({"name": "n" * 256}, "name", "must be at most 255 characters."),
        ({"detail": "d" * 2001}, "detail", "must be at most 2000 characters."),
        (
            {"data": "x" * (64 * 1024 + 1)},
            "data",
            "must be at most 65536 bytes (UTF-8).",
        ),
        ({"name": "\x00"}, "name", "must not contain NUL characters."),
        (
            {"destination_0": "x"},
            "destination_0",
            "Invalid data. Expected a dictionary, but got str.",
        ),
        (
            {"destination_0": ["tel", "+15559876543"]},
            "destination_0",
            "Invalid data. Expected a dictionary, but got list.",
        ),
        (
            {"destination_0": {"type": 1, "target": "+15559876543"}},
            "destination_0.type",
            "must be a string.",
        ),
        (
            {"destination_0": {"target": "+15559876543"}},
            "destination_0.type",
            "This field is required.",
        ),
        (
            {"destination_0": {"type": "fax", "target": "+15559876543"}},
            "destination_0.type",
            "'fax' is not a destination type; use one of: "
            "tel, sip, email, whatsapp, agent, ai, ai_team, conference, extension, "
            "line, webchat, web_session.",
        ),
        (
            {"destination_0": {"type": "", "target": "+15559876543"}},
            "destination_0.type",
            "This field may not be blank.",
        ),
        (
            {"destination_0": {"type": "tel", "target": 15559876543}},
            "destination_0.target",
            "must be a string.",
        ),
        (
            {"destination_0": {**SEED_TEL, "target_name": "n" * 256}},
            "destination_0.target_name",
            "must be at most 255 characters.",
        ),
        (
            {"destination_0": {**SEED_TEL, "name": 5}},
            "destination_0.name",
            "must be a string.",
        ),
        (
            {"destination_0": {**SEED_TEL, "detail": "d" * 2001}},
            "destination_0.detail",
            "must be at most 2000 characters.",
        ),
        (
            {"destination_3": {"type": "email", "target": "x" * 2001}},
            "destination_3.target",
            "must be at most 2000 characters.",
        ),
    ],
)
def test_it_rejects_bad_fields_on_create(api, outdial, payload, field, message):
    response = post(api, outdial, **payload)
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {field: [message]}
    assert error["message"] == f"{field}: {message}"
    assert not OutdialTarget.objects.exists() and not Destination.objects.exists()


@pytest.mark.parametrize(
    "unused", [None, {}, {"type": "tel"}, {"type": "", "target": ""}]
)
def test_one_filled_slot_is_required_any_will_do(api, outdial, unused):
    slots = {f"destination_{i}": unused for i in range(5)}
    response = api.post(url(outdial), {"name": "x", **slots}, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    message = "At least one destination_N target is required."
    assert by_field(error["details"]) == {"body": [message]}
    assert not OutdialTarget.objects.exists()
    response = api.post(
        url(outdial), {**slots, "destination_3": SEED_TEL}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert [body[f"destination_{i}"] is not None for i in range(5)] == [
        False,
        False,
        False,
        True,
        False,
    ]


@pytest.mark.parametrize(
    "number,message",
    [
        (
            "15559876543",
            "must be an E.164 number starting with '+', e.g. +15559876543.",
        ),
        (
            "+1 555 987 6543",
            "must be '+' followed by 2 to 15 digits, without spaces or other signs.",
        ),
        (
            "+1555abc6543",
            "must be '+' followed by 2 to 15 digits, without spaces or other signs.",
        ),
        ("+1555987654", "+1555987654 is too short for its country code."),
        ("+155598765432", "+155598765432 is too long for its country code."),
        ("+999123456789", "+999123456789 has an unknown country code."),
    ],
)
def test_it_rejects_invalid_tel_numbers_naming_the_slot(api, outdial, number, message):
    response = post(
        api,
        outdial,
        destination_1={"type": "sip", "target": "sip:a@pbx.example.com"},
        destination_2={"type": "tel", "target": number},
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"destination_2.target": [message]}
    assert not OutdialTarget.objects.exists()


def test_unassigned_numbers_pass_unless_strict(api, outdial):
    assert post(api, outdial).status_code == 200  # +15559876543, as in the seed
    with strict_numbers():
        response = post(api, outdial)
        error = assert_error(response, 400, "INVALID_ARGUMENT")
        assert by_field(error["details"]) == {
            "destination_0.target": [
                "+15559876543 is not an assigned phone number (strict mode)."
            ]
        }
        assigned = post(
            api, outdial, destination_0={"type": "tel", "target": "+12025550143"}
        )
        assert assigned.status_code == 200
    assert OutdialTarget.objects.count() == 2


@pytest.mark.parametrize(
    "address,message",
    [
        (
            {"type": "sip", "target": "alice"},
            "must be a SIP address like alice@pbx.example.com or "
            "sip:alice@pbx.example.com.",
        ),
        (
            {"type": "sip", "target": "sip:alice@pbx.example.com:70000"},
            "has a port out of range (1–65535).",
        ),
        (
            {"type": "email", "target": "ops.example.com"},
            "must be an email address like ops@example.com.",
        ),
        (
            {"type": "email", "target": "+15559876543"},
            "must be an email address like ops@example.com.",
        ),
        (
            {"type": "tel", "target": "sip:alice@pbx.example.com"},
            "must be an E.164 number starting with '+', e.g. +15559876543.",
        ),
    ],
)
def test_it_rejects_bad_sip_and_email_addresses(api, outdial, address, message):
    response = post(api, outdial, destination_4=address)
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"destination_4.target": [message]}


def test_it_names_every_bad_slot(api, outdial):
    response = post(
        api,
        outdial,
        destination_0={"type": "tel", "target": "123"},
        destination_1={"type": "fax", "target": "x"},
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert set(by_field(error["details"])) == {
        "destination_0.target",
        "destination_1.type",
    }


def test_it_does_not_create_targets_in_another_customers_outdial(api, bobs_outdial):
    response = post(api, bobs_outdial)
    assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    assert not OutdialTarget.objects.exists()


# --- get --------------------------------------------------------------------


def test_it_gets_a_target(api, outdial, target):
    response = api.get(url(outdial, target))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == TARGET_KEYS
    assert body["id"] == str(target.id)
    assert body["name"] == "test destination 0"
    assert body["destination_0"] == full_address("tel", "+15559876543")
    assert body["tm_update"] == body["tm_create"] == format_ts(target.tm_create)


def test_it_shows_try_counts_per_slot(api, outdial):
    row = targets.create_target(
        outdial,
        slots=[tel("+15559876543"), None, tel("+12025550143")],
    )
    Destination.objects.filter(outdial_target=row, index=0).update(try_count=3)
    Destination.objects.filter(outdial_target=row, index=2).update(try_count=1)
    body = api.get(url(outdial, row)).json()
    assert [body[f"try_count_{i}"] for i in range(5)] == [3, 0, 1, 0, 0]
    assert body["destination_1"] is None


def test_a_target_under_another_outdial_is_a_404(api, alice, outdial, target):
    other = Outdial.objects.create(customer=alice.customer, name="other")
    for method in ("get", "delete"):
        response = getattr(api, method)(url(other, target))
        assert_error(response, 404, "OUTDIAL_TARGET_NOT_FOUND")
    target.refresh_from_db()
    assert target.tm_delete is None


def test_another_customers_target_is_a_404_like_a_missing_one(
    api, outdial, bobs_outdial
):
    bobs = targets.create_target(bobs_outdial, slots=[tel("+15559876543")])
    missing = f"{url(bobs_outdial)}/{uuid.uuid4()}"
    for method in ("get", "delete"):
        for path in (url(bobs_outdial, bobs), f"{url(outdial)}/{bobs.id}"):
            response = getattr(api, method)(path)
            assert_error(response, 404, "OUTDIAL_TARGET_NOT_FOUND")
            assert without_request_id(response) == without_request_id(
                getattr(api, method)(missing)
            )
    for method, payload in (("get", None), ("post", {"destination_0": SEED_TEL})):
        response = getattr(api, method)(url(bobs_outdial), payload, format="json")
        assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    bobs.refresh_from_db()
    assert bobs.tm_delete is None
    assert bobs_outdial.targets.count() == 1


def test_non_uuid_ids_are_a_400(api, outdial, target):
    for method in ("get", "delete"):
        response = getattr(api, method)(f"{url(outdial)}/not-a-uuid")
        error = assert_error(response, 400, "INVALID_ID")
        assert error["message"] == "The provided target_id is not a valid UUID."
        response = getattr(api, method)(f"/v1.0/outdials/nope/targets/{target.id}")
        error = assert_error(response, 400, "INVALID_ID")
        assert error["message"] == "The provided id is not a valid UUID."
    for method in ("get", "post"):
        response = getattr(api, method)(
            "/v1.0/outdials/nope/targets", {}, format="json"
        )
        assert_error(response, 400, "INVALID_ID")


def test_targets_have_no_update_endpoint(api, outdial, target):
    for method in ("put", "patch", "post"):
        response = getattr(api, method)(url(outdial, target), {}, format="json")
        assert_error(response, 404, "ROUTE_NOT_FOUND")


# --- delete -----------------------------------------------------------------


def test_it_soft_deletes_a_target(api, outdial, target):
    response = api.delete(url(outdial, target))
    assert response.status_code == 200
    body = response.json()
    target.refresh_from_db()
    assert target.tm_delete is not None
    assert body["tm_delete"] == body["tm_update"] == format_ts(target.tm_delete)
    assert body["destination_0"] == full_address("tel", "+15559876543")
    assert Destination.objects.filter(outdial_target=target).count() == 1
    assert api.get(url(outdial)).json() == {"result": [], "next_page_token": ""}
    # Still readable by id, with tm_delete set.
    assert api.get(url(outdial, target)).json() == body


def test_deleting_a_deleted_target_answers_it_again(api, outdial, target):
    """Idempotent, as VoIPbin's DELETE (SPEC §2)."""
    first = api.delete(url(outdial, target)).json()
    again = api.delete(url(outdial, target))
    assert again.status_code == 200
    assert again.json() == first == api.get(url(outdial, target)).json()


def test_a_target_being_dialed_cannot_be_deleted(api, outdial, target):
    OutdialTarget.objects.filter(pk=target.pk).update(status="progressing")
    response = api.delete(url(outdial, target))
    error = assert_error(response, 409, "TARGET_IN_PROGRESS", "FAILED_PRECONDITION")
    assert error["message"] == (
        "A dialer holds this target; delete it after its attempt ends."
    )
    target.refresh_from_db()
    assert target.tm_delete is None


def test_targets_of_a_deleted_outdial_stay_readable_by_id(api, outdial, target):
    api.delete(f"/v1.0/outdials/{outdial.id}")
    assert api.get(url(outdial, target)).json()["id"] == str(target.id)
    assert api.delete(url(outdial, target)).json()["tm_delete"] is not None
    assert_error(api.get(url(outdial)), 404, "OUTDIAL_NOT_FOUND")


# --- list -------------------------------------------------------------------


def make_targets(outdial, count, status="idle", start=None):
    """``count`` targets one second apart (newest last) with one destination."""
    start = start or timezone.now() - timedelta(days=1)
    rows = OutdialTarget.objects.bulk_create(
        OutdialTarget(
            outdial=outdial,
            name=f"t{i}",
            status=status,
            tm_create=start + timedelta(seconds=i),
            tm_update=start + timedelta(seconds=i),
        )
        for i in range(count)
    )
    Destination.objects.bulk_create(
        Destination(outdial_target=row, index=0, type="tel", target="+15559876543")
        for row in rows
    )
    return rows


def test_it_lists_live_targets_newest_first(api, outdial, bobs_outdial):
    rows = make_targets(outdial, 3)
    targets.soft_delete(rows[1])
    make_targets(bobs_outdial, 2)
    response = api.get(url(outdial))
    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body["result"]] == ["t2", "t0"]
    assert body["result"][0] == api.get(url(outdial, rows[2])).json()
    assert body["result"][0]["destination_0"] == full_address("tel", "+15559876543")
    assert body["next_page_token"] == format_ts(rows[0].tm_create)


def test_it_filters_the_list_by_status(api, outdial):
    start = timezone.now() - timedelta(days=1)
    make_targets(outdial, 5, "idle", start)
    make_targets(outdial, 3, "done", start + timedelta(minutes=1))
    make_targets(outdial, 2, "progressing", start + timedelta(minutes=2))
    for status, count in (("idle", 5), ("done", 3), ("progressing", 2)):
        result = api.get(url(outdial), {"status": status}).json()["result"]
        assert len(result) == count
        assert {item["status"] for item in result} == {status}
    assert len(api.get(url(outdial)).json()["result"]) == 10
    assert len(api.get(url(outdial), {"status": ""}).json()["result"]) == 10


def test_the_status_filter_combines_with_paging(api, outdial):
    start = timezone.now() - timedelta(days=1)
    idle = make_targets(outdial, 7, "idle", start)
    # Interleave done targets between the idle ones.
    make_targets(outdial, 7, "done", start + timedelta(milliseconds=500))
    seen, token = [], ""
    while True:
        page = api.get(
            url(outdial), {"status": "idle", "page_size": 3, "page_token": token}
        ).json()
        if not page["result"]:
            assert page["next_page_token"] == ""
            break
        assert len(page["result"]) <= 3
        assert {item["status"] for item in page["result"]} == {"idle"}
        seen += [item["id"] for item in page["result"]]
        token = page["next_page_token"]
    assert seen == [str(row.id) for row in reversed(idle)]


@pytest.mark.parametrize("status", ["IDLE", "paused", "idle,done", "\x00"])
def test_an_invalid_status_filter_is_a_400(api, outdial, status):
    response = api.get(url(outdial), {"status": status})
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == ["status"]
    assert (
        "is not one of the available choices" in by_field(error["details"])["status"][0]
    )


# --- query counts -----------------------------------------------------------


def page_queries(client, outdial, django_assert_max_num_queries, count) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_assert_max_num_queries(4):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(outdial), {"page_size": 100})
    assert response.status_code == 200
    assert len(response.json()["result"]) == min(count, 100)
    return len(captured)


@pytest.mark.parametrize("carrier", ["token", "accesskey"])
def test_a_page_of_targets_costs_a_constant_number_of_queries(
    anon, alice, outdial, django_assert_max_num_queries, carrier
):
    if carrier == "token":
        anon.credentials(HTTP_AUTHORIZATION=alice.bearer)
    else:
        _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
        anon.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    # Every slot filled, so destinations cannot hide behind an empty prefetch.
    rows = make_targets(outdial, 10)
    small = page_queries(anon, outdial, django_assert_max_num_queries, 10)
    rows += make_targets(outdial, 290, start=timezone.now() - timedelta(hours=1))
    Destination.objects.bulk_create(
        Destination(outdial_target=row, index=i, type="email", target="a@b.example")
        for row in rows
        for i in range(1, 5)
    )
    large = page_queries(anon, outdial, django_assert_max_num_queries, 300)
    assert small == large <= 4
    # And the status filter costs nothing extra.
    with django_assert_max_num_queries(large):
        assert anon.get(url(outdial), {"status": "idle"}).status_code == 200


# --- concurrent writers -----------------------------------------------------


def test_concurrent_writers_all_succeed(transactional_db, alice):
    """Four clients adding targets to one outdial at once: no error, no loss."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from rest_framework.test import APIClient

    outdial = Outdial.objects.create(customer=alice.customer, name="busy")

    def add_targets(worker: int) -> list[int]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=alice.bearer)
        try:
            return [
                client.post(
                    url(outdial),
                    {
                        "name": f"w{worker}-{i}",
                        "destination_0": SEED_TEL,
                        "destination_1": {"type": "email", "target": "a@b.example"},
                    },
                    format="json",
                ).status_code
                for i in range(10)
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = [code for codes in pool.map(add_targets, range(4)) for code in codes]
    assert codes == [200] * 40
    assert outdial.targets.count() == 40
    assert Destination.objects.filter(outdial_target__outdial=outdial).count() == 80
    names = set(outdial.targets.values_list("name", flat=True))
    assert names == {f"w{w}-{i}" for w in range(4) for i in range(10)}


def test_a_target_claimed_while_being_deleted_stays(api, outdial, target, monkeypatch):
    """The dialer claims between the delete's read and its write: the claim wins."""
    from outdials.api import target_views as views

    read = views.target_of

    def read_then_claimed(*args, **kwargs):
        found = read(*args, **kwargs)
        OutdialTarget.objects.filter(pk=found.pk).update(status="progressing")
        return found

    monkeypatch.setattr(views, "target_of", read_then_claimed)
    response = api.delete(url(outdial, target))
    assert_error(response, 409, "TARGET_IN_PROGRESS", "FAILED_PRECONDITION")
    target.refresh_from_db()
    assert (target.status, target.tm_delete) == ("progressing", None)


def test_a_target_deleted_meanwhile_answers_as_deleted(
    api, outdial, target, monkeypatch
):
    from outdials.api import target_views as views

    read = views.target_of

    def read_then_deleted(*args, **kwargs):
        found = read(*args, **kwargs)
        OutdialTarget.objects.filter(pk=found.pk).update(tm_delete=timezone.now())
        return found

    monkeypatch.setattr(views, "target_of", read_then_deleted)
    response = api.delete(url(outdial, target))
    assert response.status_code == 200
    target.refresh_from_db()
    assert response.json()["tm_delete"] == format_ts(target.tm_delete)
