"""Every request of the seed tutorial answers the tutorial's shape."""

import re
import uuid

from outdials.timestamps import SENTINEL

TS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
OUTDIAL_KEYS = [
    "id",
    "customer_id",
    "campaign_id",
    "name",
    "detail",
    "data",
    "tm_create",
    "tm_update",
    "tm_delete",
]
TARGET_KEYS = (
    ["id", "outdial_id", "name", "detail", "data", "status"]
    + [f"destination_{i}" for i in range(5)]
    + [f"try_count_{i}" for i in range(5)]
    + ["tm_create", "tm_update", "tm_delete"]
)


def login(anon, username="alice"):
    from tests.helpers import PASSWORD

    response = anon.post(
        "/auth/login", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert list(response.json()) == ["username", "token"]
    return response.json()["token"]


def test_the_tutorial_end_to_end(anon, alice):
    token = login(anon)
    anon.cookies.clear()  # the tutorial passes ?token=

    created = anon.post(
        f"/v1.0/outdials?token={token}",
        {
            "name": "test outdial",
            "detail": "outdial for test use.",
            "data": "test data",
        },
        format="json",
    )
    assert created.status_code == 200
    outdial = created.json()
    assert list(outdial) == OUTDIAL_KEYS
    assert uuid.UUID(outdial["id"])
    assert outdial["customer_id"] == str(alice.customer.id)
    assert outdial["campaign_id"] == "00000000-0000-0000-0000-000000000000"
    assert (outdial["name"], outdial["detail"], outdial["data"]) == (
        "test outdial",
        "outdial for test use.",
        "test data",
    )
    assert TS.fullmatch(outdial["tm_create"])
    assert outdial["tm_update"] == SENTINEL
    assert outdial["tm_delete"] == SENTINEL

    listed = anon.get(f"/v1.0/outdials?token={token}").json()
    assert list(listed) == ["result", "next_page_token"]
    assert listed["result"] == [outdial]
    assert listed["next_page_token"] == outdial["tm_create"]

    detail = anon.get(f"/v1.0/outdials/{outdial['id']}?token={token}")
    assert detail.status_code == 200
    assert detail.json() == outdial

    created_target = anon.post(
        f"/v1.0/outdials/{outdial['id']}/targets?token={token}",
        {
            "name": "test destination 0",
            "detail": "test detatination 0 detail",
            "data": "test data",
            "destination_0": {"type": "tel", "target": "+15559876543"},
        },
        format="json",
    )
    assert created_target.status_code == 200
    target = created_target.json()
    assert list(target) == TARGET_KEYS
    assert target["outdial_id"] == outdial["id"]
    assert target["status"] == "idle"
    assert target["destination_0"] == {
        "type": "tel",
        "target": "+15559876543",
        "target_name": "",
        "name": "",
        "detail": "",
    }
    assert [target[f"destination_{i}"] for i in range(1, 5)] == [None] * 4
    assert [target[f"try_count_{i}"] for i in range(5)] == [0] * 5
    assert target["tm_update"] == target["tm_create"]
    assert target["tm_delete"] == SENTINEL

    targets = anon.get(f"/v1.0/outdials/{outdial['id']}/targets?token={token}").json()
    assert targets == {"result": [target], "next_page_token": target["tm_create"]}


def test_login_sets_an_httponly_token_cookie_that_authenticates(anon, alice):
    token = login(anon)
    cookie = anon.cookies["token"]
    assert cookie.value == token
    assert cookie["httponly"]
    assert cookie["max-age"] == 7 * 24 * 3600
    assert anon.get("/v1.0/outdials").status_code == 200
