"""The read path stays cheap as lists grow: a fixed number of queries per call,
a keyset the index can seek, callers that load only what the API reads."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outdials import credentials, queries, targets
from outdials.models import Destination, Outdial, OutdialTarget
from outdials.paging import after_token
from outdials.queries import destination_slots
from outdials.timestamps import format_ts
from tests.helpers import tel


def make_targets(outdial, count: int) -> list[OutdialTarget]:
    return [
        targets.create_target(
            outdial,
            name=f"t{n}",
            slots=[tel(f"+1555987{n:04d}"), targets.Address("email", f"p{n}@ex.co")],
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [1, 30])
def test_a_targets_page_costs_four_queries_whatever_its_size(
    api, outdial, count, django_assert_num_queries
):
    make_targets(outdial, count)
    url = f"/v1.0/outdials/{outdial.id}/targets?page_size=20"
    # the caller, the outdial (and its overdue leases), the page, its destinations
    with django_assert_num_queries(4):
        first = api.get(url).json()
    assert len(first["result"]) == min(count, 20)
    assert all(t["destination_1"]["type"] == "email" for t in first["result"])
    if count > 20:
        with django_assert_num_queries(4):
            rest = api.get(f"{url}&page_token={first['next_page_token']}").json()
        assert len(rest["result"]) == count - 20


def test_one_target_costs_two_queries(api, outdial, django_assert_num_queries):
    target = make_targets(outdial, 1)[0]
    with django_assert_num_queries(2):  # the caller, the target with its slots
        body = api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}").json()
    assert body["destination_0"]["target"] == "+15559870000"
    assert body["destination_1"]["target"] == "p0@ex.co"
    assert body["destination_2"] is None


def test_a_target_without_destinations_reads_as_empty_slots(api, outdial):
    target = make_targets(outdial, 1)[0]
    Destination.objects.filter(outdial_target=target).delete()
    body = api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}").json()
    assert [body[f"destination_{i}"] for i in range(5)] == [None] * 5
    assert [body[f"try_count_{i}"] for i in range(5)] == [0] * 5
    listed = api.get(f"/v1.0/outdials/{outdial.id}/targets").json()["result"]
    assert listed == [body]


def test_destination_slots_answers_in_the_order_asked(outdial):
    first, second = make_targets(outdial, 2)
    Destination.objects.filter(outdial_target=second, index=0).update(try_count=3)
    slots = destination_slots([second.id, first.id])
    assert slots[0][0] == ["tel", "+15559870001", "", "", "", 3]
    assert slots[1][1] == ["email", "p0@ex.co", "", "", "", 0]
    assert slots[0][2:] == [None, None, None]
    assert destination_slots([]) == []


def test_the_keyset_is_one_row_value_the_index_can_seek(outdial):
    made = make_targets(outdial, 3)
    token = f"{format_ts(made[1].tm_create)},{made[1].id}"
    page = after_token(OutdialTarget.objects.live().filter(outdial=outdial), token)
    sql, params = page.order_by("-tm_create", "-pk").query.sql_with_params()
    table = '"outdials_outdialtarget"'
    assert f'({table}."tm_create", {table}."id") < (%s, %s)' in sql
    assert [t.id for t in page] == [made[0].id]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX target_page" in plan
        assert "(tm_create,id)<(?,?)" in plan


def test_an_access_key_caller_loads_the_rest_on_first_use(alice):
    stored, key = credentials.new_access_key(alice.customer, "ci", "nightly", 3600)
    found = credentials.access_key_for(key)
    assert found == stored and found.customer == alice.customer
    assert (found.name, found.detail, found.customer.name) == (
        "ci",
        "nightly",
        "alice's company",
    )
    stored.tm_delete = timezone.now()
    stored.save()
    assert credentials.access_key_for(key) is None


def test_a_token_caller_is_the_active_user_with_their_customer(alice):
    user = credentials.user_for_token(alice.token)
    assert user == alice.user and user.customer == alice.customer
    assert (user.get_username(), user.is_staff, user.customer.name) == (
        "alice",
        False,
        "alice's company",
    )
    alice.user.is_active = False
    alice.user.save()
    assert credentials.user_for_token(alice.token) is None


def test_an_expired_key_is_refused_by_the_second(alice):
    stored, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    stored.tm_expire = timezone.now() - timedelta(microseconds=1)
    stored.save()
    assert credentials.access_key_for(key) is None


def test_one_target_answers_only_in_its_own_outdial_of_the_callers_customer(
    api, alice, outdial, bobs_outdial
):
    target = make_targets(outdial, 1)[0]
    theirs = make_targets(bobs_outdial, 1)[0]
    sibling = Outdial.objects.create(customer=alice.customer, name="other list")
    for outdial_id, target_id in [
        (sibling.id, target.id),
        (bobs_outdial.id, theirs.id),
        (outdial.id, theirs.id),
    ]:
        response = api.get(f"/v1.0/outdials/{outdial_id}/targets/{target_id}")
        assert response.status_code == 404
        assert response.json()["error"]["reason"] == "OUTDIAL_TARGET_NOT_FOUND"


def test_a_deleted_target_still_answers_by_id_with_its_slots(api, outdial):
    target = targets.soft_delete(make_targets(outdial, 1)[0])
    body = api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}").json()
    assert body["tm_delete"] == format_ts(target.tm_delete)
    assert body["destination_1"]["target"] == "p0@ex.co"


def walk_pages(api, url: str) -> list[list[str]]:
    pages, token = [], ""
    while True:
        body = api.get(f"{url}&page_token={token}" if token else url).json()
        if not body["result"]:
            return pages
        pages.append([t["id"] for t in body["result"]])
        token = body["next_page_token"]


def test_the_unfiltered_page_and_a_filtered_one_walk_alike(api, outdial):
    """A poll without filters reads its page in one statement, a filtered list
    as a queryset: over ties in tm_create both answer the same pages."""
    made = make_targets(outdial, 7)
    tied = timezone.now() - timedelta(minutes=5)
    OutdialTarget.objects.filter(pk__in=[t.pk for t in made[1:6]]).update(
        tm_create=tied
    )
    base = f"/v1.0/outdials/{outdial.id}/targets?page_size=2"
    plain = walk_pages(api, base)
    assert plain == walk_pages(api, f"{base}&status=idle")
    ids = [i for page in plain for i in page]
    assert sorted(ids) == sorted(str(t.id) for t in made) and len(set(ids)) == 7
    # the seed's plain time token is taken too
    newest = OutdialTarget.objects.get(pk=made[6].pk)
    after = api.get(f"{base}&page_token={format_ts(newest.tm_create)}").json()
    assert [t["id"] for t in after["result"]] == plain[0][1:] + plain[1][:1]


def test_a_malformed_token_is_a_400_on_either_path(api, outdial):
    make_targets(outdial, 1)
    for query in ["page_token=yesterday", "page_token=yesterday&status=idle"]:
        response = api.get(f"/v1.0/outdials/{outdial.id}/targets?{query}")
        assert response.status_code == 400
        assert response.json()["error"]["reason"] == "INVALID_PAGE_TOKEN"


def test_a_big_lists_pages_follow_its_index_among_many_small_lists(alice, outdial):
    """A keyset page is planned with its values: a plan made once for any
    list expects the average list (a few rows, read and sorted), which for
    a big one means reading and sorting all of it on every poll."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    small = Outdial.objects.bulk_create(
        Outdial(customer=alice.customer, name=f"small {n}") for n in range(300)
    )
    OutdialTarget.objects.bulk_create(
        [OutdialTarget(outdial=o, name=f"{o.name} {n}") for o in small for n in (1, 2)]
        + [OutdialTarget(outdial=outdial, name=f"big {n}") for n in range(600)]
    )
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE outdials_outdialtarget")
        # Each statement's plan, as run, comes back to this connection.
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET client_min_messages = log")
    driver = connection.connection
    driver.add_notice_handler(lambda notice: plans.append(notice.message_primary))
    try:
        for _ in range(8):  # past the connection's threshold to prepare a statement
            page = queries.live_targets(outdial.id, None, 101)
    finally:
        driver.remove_notice_handler(driver._notice_handlers[-1])
        with connection.cursor() as cursor:
            cursor.execute("RESET client_min_messages")
            cursor.execute("RESET auto_explain.log_min_duration")

    assert len(page) == 101
    pages = [plan for plan in plans if "outdials_outdialtarget" in plan]
    assert len(pages) == 8
    for plan in pages:
        # Planned with this list's id, knowing it holds 600 rows. Whether
        # 600 rows are sorted or read in index order is then the planner's
        # fair call on how bloated each index is; what must never happen is
        # the average list's plan (a few rows, sorted) reused for a big one.
        assert f"'{outdial.id.hex}'::uuid" in plan, plan
        estimates = [int(n) for n in re.findall(r"rows=(\d+)", plan)]
        assert max(estimates) >= 500, plan
