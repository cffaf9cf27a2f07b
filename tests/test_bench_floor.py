"""The read path's floor (benchmarks/floor) answers exactly what the API answers.

`make bench` compares the API's speed with these twins without DRF; the
comparison only means something while both give the same bodies. The product
never routes them: only the benchmark's own URLconf does.
"""

import json
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from benchmarks.floor import views as floor
from outdials import credentials, targets
from outdials.models import Outdial, OutdialTarget
from tests.helpers import tel


@pytest.fixture
def key(alice) -> str:
    return credentials.new_access_key(alice.customer, "bench", "", 3600)[1]


@pytest.fixture
def listed(outdial):
    """Five targets, three of them created in the same microsecond."""
    made = [
        targets.create_target(
            outdial,
            name=f"t{n}",
            slots=[tel(f"+1555987654{n}"), None, targets.Address("email", "a@b.co")],
        )
        for n in range(5)
    ]
    same = timezone.now() - timedelta(hours=1)
    OutdialTarget.objects.filter(pk__in=[t.pk for t in made[1:4]]).update(
        tm_create=same
    )
    return made


def floor_json(view, path: str, key: str, **kwargs):
    request = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    response = view(request, **kwargs)
    return response.status_code, json.loads(response.content)


def test_the_product_does_not_route_it(client, key):
    response = client.get("/bench-floor/v1.0/outdials", HTTP_AUTHORIZATION=key)
    assert response.status_code == 404


def test_the_benchmark_urlconf_routes_it_beside_the_product(client, key, settings):
    settings.ROOT_URLCONF = "benchmarks.floor.urls"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    floor_answer = client.get("/bench-floor/v1.0/outdials", **headers)
    assert floor_answer.status_code == 200
    assert floor_answer.json() == client.get("/v1.0/outdials", **headers).json()


def test_it_pages_targets_like_the_api(client, key, outdial, listed):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    path = f"/v1.0/outdials/{outdial.id}/targets?page_size=2"
    pages = 0
    while True:
        api = client.get(path, **headers)
        assert api.status_code == 200
        status, body = floor_json(floor.targets, path, key, outdial_id=outdial.id)
        assert (status, body) == (200, api.json())
        pages += 1
        if not body["next_page_token"]:
            break
        token = body["next_page_token"]
        path = f"/v1.0/outdials/{outdial.id}/targets?page_size=2&page_token={token}"
    assert pages == 4  # 2 + 2 + 1, then the empty last page


def test_it_reads_one_target_and_the_outdials_like_the_api(client, key, listed):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    target = listed[2]
    path = f"/v1.0/outdials/{target.outdial_id}/targets/{target.id}"
    status, body = floor_json(
        floor.target, path, key, outdial_id=target.outdial_id, target_id=target.id
    )
    assert (status, body) == (200, client.get(path, **headers).json())
    status, body = floor_json(floor.outdials, "/v1.0/outdials", key)
    assert (status, body) == (200, client.get("/v1.0/outdials", **headers).json())


def test_it_keeps_tenancy(key, bobs_outdial):
    path = f"/v1.0/outdials/{bobs_outdial.id}/targets"
    assert floor_json(floor.targets, path, key, outdial_id=bobs_outdial.id)[0] == 404
    status, body = floor_json(floor.outdials, "/v1.0/outdials", key)
    assert status == 200 and body["result"] == []
    assert floor_json(floor.outdials, "/v1.0/outdials", "odk_wrong")[0] == 401
    assert Outdial.objects.count() == 1
