"""Dialing: claims, results, retries across destinations, leases, the attempt
log, eligibility, summary and the status override (SPEC §7, issue 3)."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from outdials import dialing, guards, jobs, targets
from outdials.models import Attempt, Destination, OutdialTarget
from outdials.timestamps import SENTINEL, format_ts, parse_ts
from tests.helpers import assert_error, by_field, tel

CLAIM_KEYS = [
    "claim_id",
    "lease_expires",
    "destination_index",
    "destination",
    "try_count",
    "target",
]
ATTEMPT_KEYS = [
    "claim_id",
    "target_id",
    "destination_index",
    "address",
    "try_count",
    "outcome",
    "lease_expires",
    "tm_start",
    "tm_end",
]
ONE_EACH = [1, 1, 1, 1, 1]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords are not under test here; hashing them slowly
    would be most of this file's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def address(number):
    return {
        "type": "tel",
        "target": number,
        "target_name": "",
        "name": "",
        "detail": "",
    }


def make_target(outdial, *numbers, name="", age=timedelta(0)):
    """A target with ``numbers`` in slots 0.. (``None`` leaves a slot empty),
    created ``age`` ago."""
    target = targets.create_target(
        outdial,
        name=name,
        slots=[tel(n) if n is not None else None for n in numbers],
    )
    if age:
        created = timezone.now() - age
        OutdialTarget.objects.filter(pk=target.pk).update(
            tm_create=created, tm_update=created
        )
        target.tm_create = target.tm_update = created
    return target


def claim(api, outdial, **body):
    return api.post(f"/v1.0/outdials/{outdial.id}/claim", body, format="json")


def claimed(api, outdial, **body) -> list[dict]:
    response = claim(api, outdial, **body)
    assert response.status_code == 200, response.content
    assert list(response.json()) == ["result"]
    return response.json()["result"]


def report(api, outdial, target_id, claim_id, outcome):
    return api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{target_id}/result",
        {"claim_id": claim_id, "outcome": outcome},
        format="json",
    )


def reported(api, outdial, item: dict, outcome: str) -> dict:
    response = report(api, outdial, item["target"]["id"], item["claim_id"], outcome)
    assert response.status_code == 200, response.content
    return response.json()


def expire(claim_id):
    """Move a claim's lease into the past."""
    Attempt.objects.filter(pk=claim_id).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )


def try_counts(target) -> list[int]:
    counts = dict(
        Destination.objects.filter(outdial_target=target).values_list(
            "index", "try_count"
        )
    )
    return [counts.get(i, 0) for i in range(5)]


def status_of(target) -> str:
    return OutdialTarget.objects.values_list("status", flat=True).get(pk=target.pk)


# --- claim -------------------------------------------------------------------


def test_it_claims_the_oldest_idle_target_and_logs_the_attempt(api, outdial):
    older = make_target(outdial, "+15559876543", name="older", age=timedelta(hours=1))
    make_target(outdial, "+15559876544", name="newer")
    before = timezone.now()

    [item] = claimed(api, outdial)

    assert list(item) == CLAIM_KEYS
    attempt = Attempt.objects.get()
    assert item["claim_id"] == str(attempt.id)
    assert item["destination_index"] == 0
    assert item["destination"] == address("+15559876543")
    assert item["try_count"] == 1
    assert item["target"]["id"] == str(older.id)
    assert item["target"]["status"] == "progressing"
    assert item["target"]["try_count_0"] == 1
    lease = parse_ts(item["lease_expires"])
    assert before + timedelta(seconds=600) <= lease
    assert lease <= timezone.now() + timedelta(seconds=600)
    older.refresh_from_db()
    assert older.status == "progressing"
    assert older.tm_last_attempt == attempt.tm_start
    assert format_ts(older.tm_update) == item["target"]["tm_update"]
    assert try_counts(older) == [1, 0, 0, 0, 0]
    assert (attempt.outdial_target_id, attempt.destination_index) == (older.id, 0)
    assert (attempt.address, attempt.try_count, attempt.outcome) == (
        "+15559876543",
        1,
        "",
    )
    assert attempt.max_try_counts == ONE_EACH
    assert format_ts(attempt.lease_expires) == item["lease_expires"]


def test_it_answers_an_empty_result_when_nothing_is_eligible(api, outdial):
    assert claimed(api, outdial) == []
    make_target(outdial, "+15559876543")
    assert len(claimed(api, outdial)) == 1
    assert claimed(api, outdial) == []  # the only target is progressing
    assert Attempt.objects.count() == 1


def test_it_takes_the_least_recently_attempted_first_then_the_oldest(api, outdial):
    now = timezone.now()
    tried_long_ago = make_target(outdial, "+15550000001", age=timedelta(days=3))
    fresh_new = make_target(outdial, "+15550000002", age=timedelta(hours=1))
    fresh_old = make_target(outdial, "+15550000003", age=timedelta(hours=2))
    tried_lately = make_target(outdial, "+15550000004", age=timedelta(days=4))
    OutdialTarget.objects.filter(pk=tried_long_ago.pk).update(
        tm_last_attempt=now - timedelta(days=1)
    )
    OutdialTarget.objects.filter(pk=tried_lately.pk).update(
        tm_last_attempt=now - timedelta(minutes=1)
    )

    items = claimed(api, outdial, limit=3)
    assert [i["target"]["id"] for i in items] == [
        str(fresh_old.id),
        str(fresh_new.id),
        str(tried_long_ago.id),
    ]
    [last] = claimed(api, outdial, limit=100)
    assert last["target"]["id"] == str(tried_lately.id)


def test_it_works_through_destinations_in_order_skipping_empty_slots(api, outdial):
    """Destination 0 until its maximum, then the next filled slot; after the
    last attempt of the last destination fails, the target is done."""
    target = make_target(outdial, "+15550000010", None, "+15550000012")
    maxima = {"max_try_count_0": 2, "max_try_count_1": 2, "max_try_count_2": 2}

    seen = []
    for outcome in ["no_answer", "busy", "failed", "no_answer"]:
        [item] = claimed(api, outdial, **maxima)
        seen.append((item["destination_index"], item["try_count"]))
        answer = reported(api, outdial, item, outcome)
        seen.append(answer["status"])

    assert seen == [
        (0, 1),
        "idle",
        (0, 2),
        "idle",
        (2, 1),
        "idle",
        (2, 2),
        "done",
    ]
    assert try_counts(target) == [2, 0, 2, 0, 0]
    assert claimed(api, outdial, **maxima) == []
    assert list(
        Attempt.objects.order_by("tm_start").values_list(
            "destination_index", "try_count", "outcome"
        )
    ) == [
        (0, 1, "no_answer"),
        (0, 2, "busy"),
        (2, 1, "failed"),
        (2, 2, "no_answer"),
    ]


def test_a_zero_maximum_skips_that_destination(api, outdial):
    make_target(outdial, "+15550000020", "+15550000021")
    [item] = claimed(api, outdial, max_try_count_0=0, max_try_count_1=3)
    assert (item["destination_index"], item["destination"]["target"]) == (
        1,
        "+15550000021",
    )
    all_zero = dict.fromkeys((f"max_try_count_{i}" for i in range(5)), 0)
    reported(api, outdial, item, "busy")
    assert claimed(api, outdial, **all_zero) == []


def test_answered_makes_the_target_done_with_attempts_left(api, outdial):
    target = make_target(outdial, "+15550000030", "+15550000031")
    [item] = claimed(api, outdial, max_try_count_0=5)
    answer = reported(api, outdial, item, "answered")
    assert answer["status"] == "done"
    assert answer["try_count_0"] == 1
    assert status_of(target) == "done"
    assert claimed(api, outdial, max_try_count_0=5) == []


def test_a_failed_last_attempt_makes_the_target_done_not_idle(api, outdial):
    """The VoIPbin failure mode: an exhausted target must not stay idle."""
    target = make_target(outdial, "+15550000040")
    [item] = claimed(api, outdial)
    assert reported(api, outdial, item, "failed")["status"] == "done"
    assert status_of(target) == "done"


def test_try_interval_holds_a_target_back_until_it_has_passed(api, outdial):
    target = make_target(outdial, "+15550000050")
    [item] = claimed(api, outdial, max_try_count_0=3)
    reported(api, outdial, item, "no_answer")

    assert claimed(api, outdial, max_try_count_0=3, try_interval=60_000) == []
    assert len(claimed(api, outdial, max_try_count_0=3, try_interval=0)) == 1
    reported(api, outdial, claimed_item(target), "busy")

    OutdialTarget.objects.filter(pk=target.pk).update(
        tm_last_attempt=timezone.now() - timedelta(seconds=61)
    )
    [again] = claimed(api, outdial, max_try_count_0=3, try_interval=60_000)
    assert (again["target"]["id"], again["try_count"]) == (str(target.id), 3)


def claimed_item(target) -> dict:
    """The open claim on ``target`` in the shape the claim endpoint gave it."""
    attempt = Attempt.objects.get(outdial_target=target, outcome="")
    return {"claim_id": str(attempt.id), "target": {"id": str(target.id)}}


def test_it_never_claims_deleted_targets_or_from_a_deleted_outdial(api, outdial):
    gone = make_target(outdial, "+15550000060")
    targets.soft_delete(gone)
    assert claimed(api, outdial) == []
    targets.soft_delete(outdial)
    assert_error(claim(api, outdial), 404, "OUTDIAL_NOT_FOUND")
    assert Attempt.objects.count() == 0


# --- results -------------------------------------------------------------------


def test_repeating_a_result_answers_the_same_target_and_counts_once(api, outdial):
    target = make_target(outdial, "+15550000070")
    [item] = claimed(api, outdial, max_try_count_0=3)
    first = report(api, outdial, target.id, item["claim_id"], "no_answer")
    second = report(api, outdial, target.id, item["claim_id"], "no_answer")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["status"] == "idle"
    assert try_counts(target) == [1, 0, 0, 0, 0]
    assert list(Attempt.objects.values_list("outcome", flat=True)) == ["no_answer"]


def test_a_different_result_for_a_settled_claim_is_409_and_changes_nothing(
    api, outdial
):
    target = make_target(outdial, "+15550000080")
    [item] = claimed(api, outdial, max_try_count_0=3)
    settled = reported(api, outdial, item, "busy")

    error = assert_error(
        report(api, outdial, target.id, item["claim_id"], "answered"),
        409,
        "CLAIM_NOT_ACTIVE",
        "FAILED_PRECONDITION",
    )
    assert "busy" in error["message"]
    attempt = Attempt.objects.get()
    assert attempt.outcome == "busy"
    target.refresh_from_db()
    assert (target.status, format_ts(target.tm_update)) == (
        "idle",
        settled["tm_update"],
    )


def test_an_unknown_claim_or_another_targets_claim_is_409(api, outdial):
    target = make_target(outdial, "+15550000090")
    other = make_target(outdial, "+15550000091")
    [item] = claimed(api, outdial)
    assert item["target"]["id"] == str(target.id)

    assert_error(
        report(api, outdial, target.id, str(uuid.uuid4()), "answered"),
        409,
        "CLAIM_NOT_ACTIVE",
        "FAILED_PRECONDITION",
    )
    assert_error(
        report(api, outdial, other.id, item["claim_id"], "answered"),
        409,
        "CLAIM_NOT_ACTIVE",
        "FAILED_PRECONDITION",
    )
    assert Attempt.objects.get().outcome == ""
    assert (status_of(target), status_of(other)) == ("progressing", "idle")


# --- leases ------------------------------------------------------------------


def test_an_expired_lease_settles_on_the_next_claim_and_a_late_result_is_409(
    api, outdial
):
    target = make_target(outdial, "+15550000100")
    [first] = claimed(api, outdial, max_try_count_0=2, lease_seconds=10)
    expire(first["claim_id"])

    [second] = claimed(api, outdial, max_try_count_0=2)

    assert second["target"]["id"] == str(target.id)
    assert second["try_count"] == 2
    old = Attempt.objects.get(pk=first["claim_id"])
    assert old.outcome == "expired"
    assert old.tm_end is not None
    error = assert_error(
        report(api, outdial, target.id, first["claim_id"], "answered"),
        409,
        "CLAIM_EXPIRED",
        "FAILED_PRECONDITION",
    )
    assert "claim the target again" in error["message"]
    assert Attempt.objects.get(pk=first["claim_id"]).outcome == "expired"
    assert status_of(target) == "progressing"
    assert reported(api, outdial, second, "answered")["status"] == "done"


def test_a_result_after_the_lease_but_before_any_sweep_is_409(api, outdial):
    target = make_target(outdial, "+15550000110")
    [item] = claimed(api, outdial)
    expire(item["claim_id"])

    assert_error(
        report(api, outdial, target.id, item["claim_id"], "answered"),
        409,
        "CLAIM_EXPIRED",
        "FAILED_PRECONDITION",
    )
    # Settled as expired (one attempt allowed, so done), not as answered.
    assert Attempt.objects.get().outcome == "expired"
    assert status_of(target) == "done"


def test_reads_write_nothing_and_housekeeping_settles_expired_leases(api, outdial):
    """The summary and the targets list only read (issue 19: a read that
    writes waits on a long write on SQLite); the workers' housekeeping
    settles expired leases within seconds."""
    one = make_target(outdial, "+15550000120")
    two = make_target(outdial, "+15550000121")
    items = claimed(api, outdial, limit=2, max_try_count_0=2)
    expire(items[0]["claim_id"])

    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert summary["outcomes"]["expired"] == 0
    assert summary["status"] == {"idle": 0, "progressing": 2, "done": 0}
    assert jobs.housekeeping()["expired_claims"] == 1
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert summary["outcomes"]["expired"] == 1
    assert summary["status"] == {"idle": 1, "progressing": 1, "done": 0}

    expire(items[1]["claim_id"])
    jobs.housekeeping()
    listed = api.get(f"/v1.0/outdials/{outdial.id}/targets").json()["result"]
    assert {t["id"]: t["status"] for t in listed} == {
        str(one.id): "idle",
        str(two.id): "idle",
    }
    assert set(Attempt.objects.values_list("outcome", flat=True)) == {"expired"}


def test_release_expired_claims_settles_every_outdial(api, outdial, bobs_outdial):
    mine = make_target(outdial, "+15550000130")
    theirs = make_target(bobs_outdial, "+15550000131")
    kept = make_target(outdial, "+15550000132")
    dialing.claim(outdial, max_try_counts=ONE_EACH, limit=2, lease_seconds=600)
    dialing.claim(bobs_outdial, max_try_counts=ONE_EACH, lease_seconds=600)
    for attempt in Attempt.objects.exclude(outdial_target=kept):
        expire(attempt.id)

    out = StringIO()
    call_command("release_expired_claims", stdout=out)

    assert out.getvalue().strip() == "Settled 2 expired claims."
    assert (status_of(mine), status_of(theirs), status_of(kept)) == (
        "done",
        "done",
        "progressing",
    )
    out = StringIO()
    call_command("release_expired_claims", stdout=out)
    assert out.getvalue().strip() == "Settled 0 expired claims."


def test_the_targets_list_stays_within_its_query_budget(
    api, outdial, django_assert_max_num_queries
):
    for n in range(5):
        make_target(outdial, f"+1555000014{n}")
    dialing.claim(outdial, max_try_counts=ONE_EACH, limit=2)
    with django_assert_max_num_queries(4):
        response = api.get(f"/v1.0/outdials/{outdial.id}/targets")
    assert len(response.json()["result"]) == 5


# --- tenancy -----------------------------------------------------------------


def test_another_customers_outdial_and_targets_answer_404(api, outdial, bobs_outdial):
    theirs = make_target(bobs_outdial, "+15550000150")
    [their_claim] = dialing.claim(bobs_outdial, max_try_counts=ONE_EACH)
    mine = make_target(outdial, "+15550000151")
    base = f"/v1.0/outdials/{bobs_outdial.id}"

    assert_error(claim(api, bobs_outdial), 404, "OUTDIAL_NOT_FOUND")
    assert_error(
        report(api, bobs_outdial, theirs.id, str(their_claim.claim_id), "answered"),
        404,
        "OUTDIAL_NOT_FOUND",
    )
    assert_error(
        report(api, outdial, theirs.id, str(their_claim.claim_id), "answered"),
        404,
        "OUTDIAL_TARGET_NOT_FOUND",
    )
    for path in ["available", "summary"]:
        assert_error(api.get(f"{base}/{path}"), 404, "OUTDIAL_NOT_FOUND")
    for path in ["eligibility", "attempts"]:
        assert_error(
            api.get(f"{base}/targets/{theirs.id}/{path}"), 404, "OUTDIAL_NOT_FOUND"
        )
        assert_error(
            api.get(f"/v1.0/outdials/{outdial.id}/targets/{theirs.id}/{path}"),
            404,
            "OUTDIAL_TARGET_NOT_FOUND",
        )
    assert_error(
        api.put(
            f"{base}/targets/{theirs.id}/status", {"status": "done"}, format="json"
        ),
        404,
        "OUTDIAL_NOT_FOUND",
    )
    assert Attempt.objects.get(outdial_target=theirs).outcome == ""
    assert status_of(theirs) == "progressing"
    # alice's claims never reach bob's targets
    [item] = claimed(api, outdial, limit=10)
    assert item["target"]["id"] == str(mine.id)


# --- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "1"}, "limit"),
        ({"limit": True}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"lease_seconds": 9}, "lease_seconds"),
        ({"lease_seconds": 86_401}, "lease_seconds"),
        ({"max_try_count_0": -1}, "max_try_count_0"),
        ({"max_try_count_4": 101}, "max_try_count_4"),
        ({"max_try_count_2": None}, "max_try_count_2"),
        ({"try_interval": -1}, "try_interval"),
        ({"try_interval": "soon"}, "try_interval"),
    ],
)
def test_it_refuses_claim_arguments_out_of_range_or_of_the_wrong_type(
    api, outdial, body, field
):
    make_target(outdial, "+15550000160")
    error = assert_error(claim(api, outdial, **body), 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == [field]
    assert error["message"].startswith(f"{field}: ")
    assert Attempt.objects.count() == 0
    assert OutdialTarget.objects.get().status == "idle"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "expired"}, "outcome"),
        ({"outcome": 1}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"claim_id": "not-a-uuid"}, "claim_id"),
        ({"claim_id": 12345}, "claim_id"),
        ({"claim_id": None}, "claim_id"),
    ],
)
def test_it_refuses_bad_results(api, outdial, body, field):
    target = make_target(outdial, "+15550000170")
    [item] = claimed(api, outdial)
    payload = {"claim_id": item["claim_id"], "outcome": "answered", **body}
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/result",
        payload,
        format="json",
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == [field]
    assert Attempt.objects.get().outcome == ""
    assert status_of(target) == "progressing"


def test_an_unknown_outcome_is_named_in_the_message(api, outdial):
    target = make_target(outdial, "+15550000180")
    [item] = claimed(api, outdial)
    error = assert_error(
        report(api, outdial, target.id, item["claim_id"], "voicemail"),
        400,
        "INVALID_ARGUMENT",
    )
    assert by_field(error["details"]) == {
        "outcome": ["must be one of answered, no_answer, busy, failed."]
    }


def test_it_refuses_ids_that_are_not_uuids_and_bodies_that_are_not_json(api, outdial):
    target = make_target(outdial, "+15550000190")
    assert_error(
        api.post("/v1.0/outdials/nope/claim", {}, format="json"), 400, "INVALID_ID"
    )
    assert_error(
        report(api, outdial, "nope", str(uuid.uuid4()), "answered"), 400, "INVALID_ID"
    )
    assert_error(
        api.post(
            f"/v1.0/outdials/{outdial.id}/claim",
            data="{limit: 1",
            content_type="application/json",
        ),
        400,
        "INVALID_JSON_BODY",
    )
    assert_error(
        api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}x/eligibility"),
        400,
        "INVALID_ID",
    )
    assert_error(
        api.get(f"/v1.0/outdials/{outdial.id}/claim"),
        404,
        "ROUTE_NOT_FOUND",
    )


def test_a_request_without_credentials_is_401(anon, outdial):
    assert_error(
        anon.post(f"/v1.0/outdials/{outdial.id}/claim", {}, format="json"),
        401,
        "AUTHENTICATION_REQUIRED",
    )


# --- available -----------------------------------------------------------------


def test_available_lists_what_a_claim_would_take_without_claiming(api, outdial):
    old = make_target(outdial, "+15550000200", age=timedelta(hours=2))
    new = make_target(outdial, "+15550000201", "+15550000202", age=timedelta(hours=1))
    Destination.objects.filter(outdial_target=new, index=0).update(try_count=1)
    base = f"/v1.0/outdials/{outdial.id}/available"

    def ids(query):
        response = api.get(f"{base}?{query}")
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["result"]]

    # ``new`` has used destination 0's single attempt; destination 1 is left.
    assert ids("limit=10") == [str(old.id), str(new.id)]
    assert ids("limit=10&try_count_1=0") == [str(old.id)]
    assert ids("limit=10&try_count_0=2&try_count_1=0") == [str(old.id), str(new.id)]
    assert ids("") == [str(old.id)]  # limit defaults to 1, as for a claim
    first = api.get(f"{base}?limit=10").json()["result"][0]
    assert (first["status"], first["try_count_0"]) == ("idle", 0)
    assert Attempt.objects.count() == 0
    assert set(OutdialTarget.objects.values_list("status", flat=True)) == {"idle"}


def test_available_takes_the_claims_names_and_the_old_ones(api, outdial):
    old = make_target(outdial, "+15550000210", age=timedelta(hours=2))
    new = make_target(outdial, "+15550000211", "+15550000212", age=timedelta(hours=1))
    Destination.objects.filter(outdial_target=new, index=0).update(try_count=1)
    base = f"/v1.0/outdials/{outdial.id}/available?limit=10"

    def ids(query):
        response = api.get(f"{base}&{query}")
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["result"]]

    both = [str(old.id), str(new.id)]
    # Only ``new`` has a destination 1 to try: max_try_count_0 is not ignored.
    assert ids("max_try_count_0=0") == [str(new.id)]
    assert ids("max_try_count_0=2&max_try_count_1=0") == both
    assert ids("try_count_0=2&try_count_1=0") == both  # the old names still work
    # Given both, the claim's name wins.
    assert ids("max_try_count_0=0&try_count_0=2") == [str(new.id)]
    error = assert_error(api.get(f"{base}&max_try_count_2=-1"), 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == ["max_try_count_2"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.0", "limit"),
        ("try_count_0=-1", "try_count_0"),
        ("try_count_3=1000", "try_count_3"),
    ],
)
def test_available_refuses_bad_query_values(api, outdial, query, field):
    response = api.get(f"/v1.0/outdials/{outdial.id}/available?{query}")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == [field]


# --- eligibility ---------------------------------------------------------------


def eligibility(api, outdial, target, query=""):
    response = api.get(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility?{query}"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["eligible", "next_destination_index", "reasons"]
    return body


def codes(body) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


def test_eligibility_explains_why_a_target_is_or_is_not_dialed(api, outdial):
    target = make_target(outdial, "+15550000210", "+15550000211")
    assert eligibility(api, outdial, target) == {
        "eligible": True,
        "next_destination_index": 0,
        "reasons": [],
    }

    [item] = claimed(api, outdial)
    held = eligibility(api, outdial, target)
    assert held["eligible"] is False
    assert codes(held) == ["IN_PROGRESS"]
    assert held["reasons"][0]["until"] == item["lease_expires"]
    assert held["next_destination_index"] == 1

    reported(api, outdial, item, "busy")
    tried = OutdialTarget.objects.get(pk=target.pk).tm_last_attempt
    waiting = eligibility(api, outdial, target, "try_interval=60000")
    assert codes(waiting) == ["WAITING_RETRY_INTERVAL"]
    assert waiting["reasons"][0]["until"] == format_ts(tried + timedelta(seconds=60))
    assert eligibility(api, outdial, target)["eligible"] is True

    spent = eligibility(api, outdial, target, "max_try_count_1=0")
    assert (codes(spent), spent["next_destination_index"]) == (["EXHAUSTED"], None)
    assert spent["reasons"][0]["until"] is None

    [item] = claimed(api, outdial)
    reported(api, outdial, item, "answered")
    assert codes(eligibility(api, outdial, target)) == ["DONE", "EXHAUSTED"]

    targets.soft_delete(target)
    assert codes(eligibility(api, outdial, target))[0] == "DELETED"


def test_eligibility_refuses_bad_query_values(api, outdial, target):
    response = api.get(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility?max_try_count_0=x"
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == ["max_try_count_0"]


# --- attempt log -----------------------------------------------------------------


def test_the_attempt_log_is_newest_first_and_paged(api, outdial):
    target = make_target(outdial, "+15550000220", "+15550000221")
    [first] = claimed(api, outdial)
    reported(api, outdial, first, "no_answer")
    [second] = claimed(api, outdial)
    base = f"/v1.0/outdials/{outdial.id}/targets/{target.id}/attempts"

    body = api.get(base).json()
    newest = Attempt.objects.get(pk=second["claim_id"])
    oldest = Attempt.objects.get(pk=first["claim_id"])
    assert body["result"] == [
        {
            "claim_id": second["claim_id"],
            "target_id": str(target.id),
            "destination_index": 1,
            "address": "+15550000221",
            "try_count": 1,
            "outcome": "pending",
            "lease_expires": second["lease_expires"],
            "tm_start": format_ts(newest.tm_start),
            "tm_end": SENTINEL,
        },
        {
            "claim_id": first["claim_id"],
            "target_id": str(target.id),
            "destination_index": 0,
            "address": "+15550000220",
            "try_count": 1,
            "outcome": "no_answer",
            "lease_expires": first["lease_expires"],
            "tm_start": format_ts(oldest.tm_start),
            "tm_end": format_ts(oldest.tm_end),
        },
    ]
    assert list(body["result"][0]) == ATTEMPT_KEYS

    page = api.get(f"{base}?page_size=1").json()
    assert [a["claim_id"] for a in page["result"]] == [second["claim_id"]]
    rest = api.get(f"{base}?page_size=1&page_token={page['next_page_token']}")
    assert [a["claim_id"] for a in rest.json()["result"]] == [first["claim_id"]]


# --- summary -------------------------------------------------------------------


def test_the_summary_counts_statuses_attempts_outcomes_and_exhaustion(api, outdial):
    answered = make_target(outdial, "+15550000230", age=timedelta(hours=4))
    exhausted = make_target(outdial, "+15550000231", age=timedelta(hours=3))
    retrying = make_target(
        outdial, "+15550000232", "+15550000233", age=timedelta(hours=2)
    )
    make_target(outdial, "+15550000234", age=timedelta(hours=1))
    targets.soft_delete(make_target(outdial, "+15550000235"))
    items = claimed(api, outdial, limit=3)
    assert [i["target"]["id"] for i in items] == [
        str(answered.id),
        str(exhausted.id),
        str(retrying.id),
    ]
    reported(api, outdial, items[0], "answered")
    reported(api, outdial, items[1], "failed")
    reported(api, outdial, items[2], "busy")
    [again] = claimed(api, outdial, max_try_count_0=0)
    assert again["target"]["id"] == str(retrying.id)

    response = api.get(f"/v1.0/outdials/{outdial.id}/summary")
    assert response.status_code == 200
    assert response.json() == {
        "status": {"idle": 1, "progressing": 1, "done": 2},
        "attempts_by_destination": [3, 1, 0, 0, 0],
        "outcomes": {
            "pending": 1,
            "answered": 1,
            "no_answer": 0,
            "busy": 1,
            "failed": 1,
            "expired": 0,
        },
        "exhausted": 1,
        "total": 4,
        "callable_now": 1,
        "waiting": 0,
        "suppressed": 0,
    }


# --- status override -------------------------------------------------------------


def put_status(api, outdial, target, status):
    return api.put(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/status",
        {"status": status},
        format="json",
    )


def test_a_person_can_reopen_a_done_target_and_close_an_idle_one(api, outdial):
    target = make_target(outdial, "+15550000240")
    [item] = claimed(api, outdial)
    reported(api, outdial, item, "answered")

    reopened = put_status(api, outdial, target, "idle")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "idle"
    assert status_of(target) == "idle"
    [again] = claimed(api, outdial, max_try_count_0=2)
    assert again["try_count"] == 2
    reported(api, outdial, again, "no_answer")

    closed = put_status(api, outdial, target, "done")
    assert closed.json()["status"] == "done"
    assert status_of(target) == "done"
    assert claimed(api, outdial, max_try_count_0=5) == []


def test_the_status_of_a_target_being_dialed_cannot_be_overridden(api, outdial):
    target = make_target(outdial, "+15550000250")
    claimed(api, outdial)
    error = assert_error(
        put_status(api, outdial, target, "done"),
        409,
        "TARGET_IN_PROGRESS",
        "FAILED_PRECONDITION",
    )
    assert "dialer" in error["message"]
    assert status_of(target) == "progressing"


@pytest.mark.parametrize("value", ["progressing", "open", 1, None])
def test_the_status_override_takes_idle_or_done_only(api, outdial, target, value):
    error = assert_error(
        put_status(api, outdial, target, value), 400, "INVALID_ARGUMENT"
    )
    assert list(by_field(error["details"])) == ["status"]
    assert status_of(target) == "idle"


def test_a_deleted_targets_status_cannot_be_set(api, outdial, target):
    targets.soft_delete(target)
    assert_error(
        put_status(api, outdial, target, "done"), 404, "OUTDIAL_TARGET_NOT_FOUND"
    )


def test_override_status_skips_targets_being_dialed(outdial):
    held = make_target(outdial, "+15550000260")
    dialing.claim(outdial, max_try_counts=ONE_EACH)
    idle = make_target(outdial, "+15550000261")
    done = make_target(outdial, "+15550000262")
    dialing.set_status(done, "done")

    changed, skipped = dialing.override_status(
        OutdialTarget.objects.filter(outdial=outdial), "done"
    )

    assert (changed, skipped) == (1, 1)
    assert [status_of(t) for t in (held, idle, done)] == [
        "progressing",
        "done",
        "done",
    ]
    with pytest.raises(guards.TargetInProgress):
        dialing.set_status(held, "idle")
