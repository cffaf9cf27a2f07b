"""Lists and pagination (SPEC §4): newest first, every live row exactly once."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from outdials import credentials, targets
from outdials.api.answers import page_size_of
from outdials.models import AccessKey, Destination, Outdial, OutdialTarget
from outdials.timestamps import format_ts
from tests.helpers import assert_error


def targets_url(outdial):
    return f"/v1.0/outdials/{outdial.id}/targets"


def walk(client, path, page_size=None, **params) -> tuple[list[str], list[str]]:
    """Every page of ``path`` from the first: the ids seen and the tokens used."""
    ids, tokens, token = [], [], ""
    for _ in range(10_000):
        query = dict(params, page_token=token)
        if page_size is not None:
            query["page_size"] = page_size
        response = client.get(path, query)
        assert response.status_code == 200, response.content
        page = response.json()
        if not page["result"]:
            assert page["next_page_token"] == ""
            return ids, tokens
        assert len(page["result"]) <= (page_size or 100)
        ids += [item["id"] for item in page["result"]]
        token = page["next_page_token"]
        assert token
        tokens.append(token)
    raise AssertionError("paging did not end")


def bulk_targets(outdial, count, tm_create):
    """``count`` targets written in one bulk insert, all with one ``tm_create``."""
    rows = OutdialTarget.objects.bulk_create(
        OutdialTarget(outdial=outdial, name=f"bulk {i}", tm_create=tm_create)
        for i in range(count)
    )
    Destination.objects.bulk_create(
        Destination(outdial_target=row, index=0, type="tel", target=f"+1202555{i:04d}")
        for i, row in enumerate(rows)
    )
    return rows


def newest_first(rows) -> list[str]:
    return [
        str(row.id)
        for row in sorted(rows, key=lambda r: (r.tm_create, r.id), reverse=True)
    ]


# --- one bulk insert, identical tm_create -----------------------------------


@pytest.mark.parametrize("page_size", [100, 7])
def test_every_bulk_inserted_target_is_listed_exactly_once(api, outdial, page_size):
    stamp = timezone.now() - timedelta(minutes=5)
    rows = bulk_targets(outdial, 2500, stamp)
    assert OutdialTarget.objects.filter(tm_create=stamp).count() == 2500
    ids, tokens = walk(api, targets_url(outdial), page_size)
    assert len(ids) == 2500
    assert len(set(ids)) == 2500
    assert ids == newest_first(rows)
    assert len(tokens) == -(-2500 // page_size)
    # Inside the run of equal times the token carries the tie-breaking id.
    assert all(token.startswith(format_ts(stamp)) for token in tokens)
    assert all("," in token for token in tokens[:-1])


def test_paging_crosses_runs_of_equal_times(api, outdial):
    now = timezone.now()
    rows = []
    for minutes in (30, 20, 10):
        rows += bulk_targets(outdial, 150, now - timedelta(minutes=minutes))
    singles = [
        targets.create_target(outdial, slots=[None]) for _ in range(3)
    ]  # newest, one time each
    rows += singles
    for page_size in (100, 7, 150, 1):
        ids, _ = walk(api, targets_url(outdial), page_size)
        assert ids == newest_first(rows), page_size


def test_a_plain_timestamp_token_is_accepted(api, outdial):
    """The seed's token form: the ``tm_create`` of the last item seen."""
    # Whole seconds: SQLite stores these without a fraction, yet they compare
    # and round-trip like any other time.
    start = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    rows = OutdialTarget.objects.bulk_create(
        OutdialTarget(
            outdial=outdial, name=f"t{i}", tm_create=start + timedelta(seconds=i)
        )
        for i in range(10)
    )
    first = api.get(targets_url(outdial), {"page_size": 4}).json()
    assert [item["name"] for item in first["result"]] == ["t9", "t8", "t7", "t6"]
    # No tie at the boundary: the token is exactly the seed's form.
    assert first["next_page_token"] == format_ts(rows[6].tm_create)
    token = format_ts(rows[3].tm_create)
    page = api.get(targets_url(outdial), {"page_token": token}).json()
    assert [item["name"] for item in page["result"]] == ["t2", "t1", "t0"]
    assert page["next_page_token"] == format_ts(rows[0].tm_create)
    last = api.get(targets_url(outdial), {"page_token": page["next_page_token"]})
    assert last.json() == {"result": [], "next_page_token": ""}


def test_the_token_after_the_last_page_gives_an_empty_page(api, outdial, target):
    page = api.get(targets_url(outdial)).json()
    assert [item["id"] for item in page["result"]] == [str(target.id)]
    assert page["next_page_token"] == format_ts(target.tm_create)
    after = api.get(targets_url(outdial), {"page_token": page["next_page_token"]})
    assert after.json() == {"result": [], "next_page_token": ""}


def test_paging_skips_nothing_when_rows_change_between_pages(api, outdial):
    stamp = timezone.now() - timedelta(minutes=5)
    rows = bulk_targets(outdial, 30, stamp)
    expected = newest_first(rows)
    first = api.get(targets_url(outdial), {"page_size": 10}).json()
    assert [item["id"] for item in first["result"]] == expected[:10]
    # A newer target and a deletion on the page already seen change nothing after.
    targets.create_target(outdial, slots=[None])
    OutdialTarget.objects.filter(pk=expected[0]).update(tm_delete=timezone.now())
    ids, _ = walk_from(api, targets_url(outdial), first["next_page_token"], 10)
    assert ids == expected[10:]


def walk_from(client, path, token, page_size):
    ids, tokens = [], []
    while True:
        page = client.get(path, {"page_size": page_size, "page_token": token}).json()
        if not page["result"]:
            return ids, tokens
        ids += [item["id"] for item in page["result"]]
        token = page["next_page_token"]
        tokens.append(token)


def test_deleted_targets_are_left_out_of_pages(api, outdial):
    stamp = timezone.now() - timedelta(minutes=5)
    rows = bulk_targets(outdial, 40, stamp)
    gone = {str(row.id) for row in rows[::3]}
    OutdialTarget.objects.filter(pk__in=gone).update(tm_delete=timezone.now())
    ids, _ = walk(api, targets_url(outdial), 6)
    assert ids == [i for i in newest_first(rows) if i not in gone]


# --- page_size --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,size",
    [
        ("1", 1),
        ("7", 7),
        ("100", 100),
        ("101", 100),
        ("0", 100),
        ("-1", 100),
        ("+5", 5),
        ("", 100),
        (str(10**17), 100),
    ],
)
def test_page_size_outside_1_to_100_becomes_100(api, outdial, raw, size):
    start = timezone.now() - timedelta(hours=1)
    OutdialTarget.objects.bulk_create(
        OutdialTarget(outdial=outdial, tm_create=start + timedelta(seconds=i))
        for i in range(105)
    )
    response = api.get(targets_url(outdial), {"page_size": raw})
    assert response.status_code == 200
    assert len(response.json()["result"]) == size


@pytest.mark.parametrize(
    "raw", ["abc", "1.5", " 5", str(10**20), "9" * 5000, "²", "٣", "5x"]
)
def test_a_page_size_that_is_not_a_whole_number_is_a_400(api, outdial, raw):
    """VoIPbin's generated binding refuses it (gens/openapi_server/gen.go)."""
    for path in (targets_url(outdial), "/v1.0/outdials", "/v1.0/accesskeys"):
        error = assert_error(
            api.get(path, {"page_size": raw}), 400, "INVALID_REQUEST_PARAMETER"
        )
        assert error["message"] == 'The parameter "page_size" has an invalid format.'


def test_page_size_of_reads_the_query(rf):
    from rest_framework.request import Request

    assert page_size_of(Request(rf.get("/", {"page_size": "42"}))) == 42
    assert page_size_of(Request(rf.get("/"))) == 100


# --- page_token -------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "2022-04-28",
        "2022-04-28T01:41:40.503790",
        "2022-04-28 01:41:40",
        "2022-04-28 01:41:40.503790Z",
        "2022-13-28 01:41:40.503790",
        "9999-99-99 99:99:99.999999",
        "2022-04-28 01:41:40.503790,abc",
        "2022-04-28 01:41:40.503790,1,2",
        "2022-04-28 01:41:40.503790\x00",
        "\x00",
        "x" * 10_000,
        "١٠٢٢-٠٤-٢٨ ٠١:٤١:٤٠.٥٠٣٧٩٠",
    ],
)
def test_a_garbage_page_token_is_a_400(api, outdial, target, token):
    for path in (targets_url(outdial), "/v1.0/outdials", "/v1.0/accesskeys"):
        response = api.get(path, {"page_token": token})
        error = assert_error(response, 400, "INVALID_PAGE_TOKEN")
        assert error["message"] == (
            "page_token is not one this API gave out; pass next_page_token back "
            "unchanged, or leave it out for the first page."
        )


def test_a_token_from_far_past_or_future_is_fine(api, outdial, target):
    future = api.get(targets_url(outdial), {"page_token": "9998-12-31 23:59:59.999999"})
    assert [item["id"] for item in future.json()["result"]] == [str(target.id)]
    past = api.get(targets_url(outdial), {"page_token": "0001-01-01 00:00:00.000000"})
    assert past.json() == {"result": [], "next_page_token": ""}
    with_id = api.get(
        targets_url(outdial),
        {"page_token": f"9998-12-31 23:59:59.999999,{uuid.uuid4()}"},
    )
    assert len(with_id.json()["result"]) == 1


# --- the other lists --------------------------------------------------------


@pytest.mark.parametrize("page_size", [100, 7])
def test_outdials_are_paged_exactly_once(api, alice, bob, page_size):
    stamp = timezone.now() - timedelta(minutes=5)
    rows = Outdial.objects.bulk_create(
        Outdial(customer=alice.customer, name=f"o{i}", tm_create=stamp)
        for i in range(250)
    )
    rows += [Outdial.objects.create(customer=alice.customer, name="newest")]
    Outdial.objects.create(customer=bob.customer, name="bob's")
    Outdial.objects.create(customer=alice.customer, name="gone", tm_delete=stamp)
    ids, _ = walk(api, "/v1.0/outdials", page_size)
    assert ids == newest_first(rows)


@pytest.mark.parametrize("page_size", [100, 7])
def test_access_keys_are_paged_exactly_once(api, alice, bob, page_size):
    stamp = timezone.now() - timedelta(minutes=5)
    rows = AccessKey.objects.bulk_create(
        AccessKey(
            customer=alice.customer,
            name=f"k{i}",
            token_prefix="odk_test",
            token_hash=f"{i:064x}",
            tm_expire=stamp + timedelta(days=1),
            tm_create=stamp,
        )
        for i in range(230)
    )
    credentials.new_access_key(bob.customer, "bob's", "", 3600)
    ids, _ = walk(api, "/v1.0/accesskeys", page_size)
    assert ids == newest_first(rows)


def test_the_outdial_list_costs_a_constant_number_of_queries(
    api, alice, django_assert_num_queries
):
    Outdial.objects.bulk_create(
        Outdial(customer=alice.customer, name=f"o{i}") for i in range(5)
    )
    with django_assert_num_queries(2):  # the caller, the page
        assert len(api.get("/v1.0/outdials").json()["result"]) == 5
    Outdial.objects.bulk_create(
        Outdial(customer=alice.customer, name=f"p{i}") for i in range(200)
    )
    with django_assert_num_queries(2):
        assert len(api.get("/v1.0/outdials").json()["result"]) == 100
