"""Tenancy, across the whole API: every operation in the document, through
each credential carrier, signed in as alice and aimed at bob's ids.

An operation on bob's resources never succeeds, answers like a missing one,
shows none of bob's data and changes none of his rows; an operation without
ids (a list, a create) succeeds for alice and still shows nothing of bob's.
"""

import io
import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from outdials import credentials, dialing, importing, suppression, targets
from outdials.models import (
    AccessKey,
    Attempt,
    ImportBatch,
    Outdial,
    OutdialTarget,
    SuppressionEntry,
    SuppressionList,
)
from tests.helpers import tel

DOCUMENT = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True))
)
OPERATIONS = [
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in ("get", "put", "post", "delete", "patch")
    and "security" in item[method]
    # Signing out touches no customer's data (and would end alice's token
    # mid-matrix): tests/test_auth_cookies.py covers it.
    and path != "/auth/logout"
]
CARRIERS = [
    "token cookie",
    "accesskey cookie",
    "token query",
    "accesskey query",
    "bearer token",
    "bearer accesskey",
]
CSV = b"name,destination_0\nfrom a file,+15551230001\n"
# A body each operation would accept on the caller's own resources.
BODIES = {
    ("POST", "/v1.0/outdials"): {"name": "mine"},
    ("PUT", "/v1.0/outdials/{id}"): {"name": "taken over"},
    ("PUT", "/v1.0/outdials/{id}/campaign_id"): {
        "campaign_id": "11111111-2222-3333-4444-555555555555"
    },
    ("PUT", "/v1.0/outdials/{id}/data"): {"data": "taken over"},
    ("POST", "/v1.0/outdials/{id}/targets"): {
        "name": "planted",
        "destination_0": {"type": "tel", "target": "+15559876543"},
    },
    ("POST", "/v1.0/outdials/{id}/claim"): {"limit": 10, "max_try_count_0": 5},
    ("PUT", "/v1.0/outdials/{id}/targets/{target_id}/status"): {"status": "done"},
    ("POST", "/v1.0/accesskeys"): {"name": "mine", "expire": 3600},
    ("PUT", "/v1.0/accesskeys/{id}"): {"name": "taken over"},
    ("POST", "/v1.0/suppressions"): {"name": "mine"},
    ("PUT", "/v1.0/suppressions/{id}"): {"name": "taken over"},
    ("POST", "/v1.0/suppressions/{id}/entries"): {"address": "+15559876500"},
}


def _data_of(persona, label: str) -> dict:
    outdial = Outdial.objects.create(
        customer=persona.customer, name=f"{label}'s list", data=f"{label}-data"
    )
    target = targets.create_target(
        outdial, name=f"{label}'s target", slots=[tel("+15559876543")]
    )
    (claim,) = dialing.claim(
        outdial, max_try_counts=[3] * 5, limit=1, lease_seconds=600, try_interval_ms=0
    )
    report = importing.import_csv(outdial, io.BytesIO(CSV), file_name=f"{label}.csv")
    access_key, key = credentials.new_access_key(
        persona.customer, f"{label}'s key", "", 3600
    )
    listed = suppression.create_list(persona.customer, name=f"{label}'s dnc")
    number = "+15559876599" if label == "bob" else "+15559876598"
    entry, _ = suppression.add(listed, type_="tel", address=number)
    return {
        "suppression": str(listed.id),
        "entry": str(entry.id),
        "outdial": str(outdial.id),
        "target": str(target.id),
        "claim": str(claim.claim_id),
        "import": report.as_dict()["import_id"],
        "access_key": str(access_key.id),
        "key": key,
        "customer": str(persona.customer.id),
    }


def _rows_of(customer) -> list:
    """Everything of a customer's that an API call could change."""
    return [
        list(Outdial.objects.filter(customer=customer).order_by("id").values()),
        list(
            OutdialTarget.objects.filter(outdial__customer=customer)
            .order_by("id")
            .values()
        ),
        list(
            Attempt.objects.filter(outdial__customer=customer).order_by("id").values()
        ),
        list(
            ImportBatch.objects.filter(outdial__customer=customer)
            .order_by("id")
            .values()
        ),
        list(AccessKey.objects.filter(customer=customer).order_by("id").values()),
        list(SuppressionList.objects.filter(customer=customer).order_by("id").values()),
        list(
            SuppressionEntry.objects.filter(list__customer=customer)
            .order_by("id")
            .values()
        ),
    ]


def _client(carrier: str, alice, key: str) -> tuple[APIClient, str]:
    """A client that carries alice's token or access key as ``carrier`` says,
    and the query string to add to each URL."""
    client = APIClient()
    secret = (
        alice.token if carrier.startswith("token") or carrier == "bearer token" else key
    )
    kind = "token" if carrier.startswith("token") else "accesskey"
    if carrier.endswith("cookie"):
        client.cookies[kind] = secret
        return client, ""
    if carrier.endswith("query"):
        return client, f"?{kind}={secret}"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client, ""


def _url(path: str, theirs: dict) -> str:
    outdial_or_key = (
        theirs["access_key"]
        if path.startswith("/v1.0/accesskeys")
        else theirs["suppression"]
        if path.startswith("/v1.0/suppressions")
        else theirs["outdial"]
    )
    return (
        path.replace("{target_id}", theirs["target"])
        .replace("{entry_id}", theirs["entry"])
        .replace("{import_id}", theirs["import"])
        .replace("{id}", outdial_or_key)
    )


def _call(client, method: str, path: str, url: str, theirs: dict):
    if path.endswith("/result"):
        body = {"claim_id": theirs["claim"], "outcome": "answered"}
        return client.generic(method, url, json.dumps(body), "application/json")
    if path.endswith("/targets/import"):
        return client.post(url, CSV, content_type="text/csv")
    if path == "/v1.0/suppressions/check":
        # Bob's listed address: alice's lists do not have it.
        joiner = "&" if "?" in url else "?"
        return client.get(f"{url}{joiner}address=%2B15559876599")
    body = BODIES.get((method, path))
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, json.dumps(body), "application/json")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_carrier_reaches_another_customers_data(method, path, alice, bob):
    mine = _data_of(alice, "alice")
    theirs = _data_of(bob, "bob")
    before = _rows_of(bob.customer)
    # An entry's id is a small number: any text may hold it.
    foreign = [v for k, v in theirs.items() if k not in ("key", "entry")]
    foreign += ["bob's", "bob-data"]
    for carrier in CARRIERS:
        client, query = _client(carrier, alice, mine["key"])
        url = _url(path, theirs)
        response = _call(client, method, path, url + query, theirs)
        text = response.content.decode(errors="replace")
        leaked = [value for value in foreign if value in text]
        assert not leaked, (carrier, response.status_code, text)
        if "{" in path:
            assert response.status_code == 404, (carrier, text)
            assert response.json()["error"]["status"] == "NOT_FOUND"
        else:
            assert response.status_code == 200, (carrier, text)
    assert _rows_of(bob.customer) == before


@pytest.mark.parametrize("carrier", CARRIERS)
def test_each_carrier_signs_alice_in(carrier, alice, bob):
    """The matrix above means something: each carrier authenticates alice,
    who sees her own outdial and not bob's."""
    mine = _data_of(alice, "alice")
    _data_of(bob, "bob")
    client, query = _client(carrier, alice, mine["key"])
    response = client.get("/v1.0/outdials" + query)
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["result"]] == [mine["outdial"]]
    own = client.get(f"/v1.0/outdials/{mine['outdial']}/summary" + query)
    assert own.status_code == 200
    assert own.json()["total"] == 2
