"""The summary at scale: a fixed number of queries, exact counts, and the
``settled_outcome`` every status change writes for it (issue 3)."""

import contextlib
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from outdials import dialing, guards, jobs, queries, targets
from outdials.models import (
    Attempt,
    AttemptOutcome,
    Destination,
    Outdial,
    OutdialTarget,
    TargetStatus,
)
from tests.helpers import tel

ONE_EACH = [1, 1, 1, 1, 1]
TWO_EACH = [2, 2, 2, 2, 2]
UNANSWERED = ["no_answer", "busy", "failed", "expired"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_target(outdial, *numbers, name=""):
    return targets.create_target(outdial, name=name, slots=[tel(n) for n in numbers])


def claim_one(outdial, maxima=ONE_EACH) -> dialing.Claim:
    [claim] = dialing.claim(outdial, max_try_counts=maxima)
    return claim


def settle(outdial, claim: dialing.Claim, outcome: str) -> OutdialTarget:
    return dialing.report_result(outdial, claim.target.pk, claim.claim_id, outcome)


def stored(target) -> tuple[str, str]:
    return tuple(
        OutdialTarget.objects.values_list("status", "settled_outcome").get(pk=target.pk)
    )


def expire(claim: dialing.Claim) -> None:
    Attempt.objects.filter(pk=claim.claim_id).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )


# --- settled_outcome follows every transition -----------------------------------


def test_a_new_target_has_no_settled_outcome(outdial):
    target = make_target(outdial, "+15550001000")
    assert target.settled_outcome == ""
    assert stored(target) == ("idle", "")


@pytest.mark.parametrize(
    "outcome, maxima, after",
    [
        ("answered", TWO_EACH, "done"),
        ("no_answer", TWO_EACH, "idle"),
        ("busy", TWO_EACH, "idle"),
        ("failed", TWO_EACH, "idle"),
        ("answered", ONE_EACH, "done"),
        ("no_answer", ONE_EACH, "done"),
        ("busy", ONE_EACH, "done"),
        ("failed", ONE_EACH, "done"),
    ],
)
def test_a_result_writes_its_outcome_with_the_status(outdial, outcome, maxima, after):
    target = make_target(outdial, "+15550001001")
    claim = claim_one(outdial, maxima)
    assert claim.target.settled_outcome == ""
    assert stored(target) == ("progressing", "")

    answered = settle(outdial, claim, outcome)

    assert (answered.status, answered.settled_outcome) == (after, outcome)
    assert stored(target) == (after, outcome)


def test_a_claim_clears_the_outcome_of_the_attempt_before(outdial):
    target = make_target(outdial, "+15550001002", "+15550001003")
    settle(outdial, claim_one(outdial), "busy")
    assert stored(target) == ("idle", "busy")

    claim_one(outdial)

    assert stored(target) == ("progressing", "")


@pytest.mark.parametrize("maxima, after", [(TWO_EACH, "idle"), (ONE_EACH, "done")])
def test_an_expired_lease_settles_as_expired(outdial, maxima, after):
    target = make_target(outdial, "+15550001004")
    claim = claim_one(outdial, maxima)
    expire(claim)

    assert dialing.settle_expired(outdial) == 1

    assert stored(target) == (after, "expired")
    with pytest.raises(dialing.ClaimNotActive):
        settle(outdial, claim, "answered")
    assert stored(target) == (after, "expired")


def test_a_repeated_result_changes_nothing(outdial):
    target = make_target(outdial, "+15550001005")
    claim = claim_one(outdial)
    settle(outdial, claim, "no_answer")
    again = settle(outdial, claim, "no_answer")
    assert again.settled_outcome == "no_answer"
    assert stored(target) == ("done", "no_answer")
    with pytest.raises(dialing.ClaimNotActive):
        settle(outdial, claim, "answered")
    assert stored(target) == ("done", "no_answer")


def test_a_persons_override_clears_the_outcome(outdial):
    """Re-opening and closing by hand are a person's decisions, not an
    attempt's: the status no longer says how an attempt went."""
    exhausted = make_target(outdial, "+15550001006")
    settle(outdial, claim_one(outdial), "failed")
    assert stored(exhausted) == ("done", "failed")

    reopened = dialing.set_status(exhausted, "idle")

    assert reopened.settled_outcome == ""
    assert stored(exhausted) == ("idle", "")
    settle(outdial, claim_one(outdial, [3, 0, 0, 0, 0]), "no_answer")
    assert stored(exhausted) == ("idle", "no_answer")

    closed = dialing.set_status(exhausted, "done")

    assert closed.settled_outcome == ""
    assert stored(exhausted) == ("done", "")


def test_setting_the_status_a_target_already_has_keeps_its_outcome(outdial):
    target = make_target(outdial, "+15550001007")
    settle(outdial, claim_one(outdial), "busy")
    dialing.set_status(target, "done")
    assert dialing.override_status(OutdialTarget.objects.all(), "done") == (0, 0)
    assert stored(target) == ("done", "busy")


def test_a_bulk_override_clears_the_outcome_and_skips_targets_being_dialed(outdial):
    answered = make_target(outdial, "+15550001008")
    settle(outdial, claim_one(outdial), "answered")
    retrying = make_target(outdial, "+15550001009")
    settle(outdial, claim_one(outdial, TWO_EACH), "busy")
    held = make_target(outdial, "+15550001010")
    claim_one(outdial)

    assert dialing.override_status(OutdialTarget.objects.all(), "done") == (1, 1)
    assert dialing.override_status(OutdialTarget.objects.all(), "idle") == (2, 1)

    assert stored(answered) == ("idle", "")
    assert stored(retrying) == ("idle", "")
    assert stored(held) == ("progressing", "")


# --- what the summary answers ------------------------------------------------------


def summary_of(api, outdial) -> dict:
    response = api.get(f"/v1.0/outdials/{outdial.id}/summary")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_target_closed_by_hand_is_done_but_not_exhausted(api, outdial):
    """done = answered + exhausted + closed by a person; only a target the
    dialing used up counts as exhausted."""
    used_up = make_target(outdial, "+15550001020")
    settle(outdial, claim_one(outdial), "no_answer")
    closed = make_target(outdial, "+15550001021", "+15550001022")
    settle(outdial, claim_one(outdial), "busy")
    dialing.set_status(closed, "done")
    answered = make_target(outdial, "+15550001023")
    settle(outdial, claim_one(outdial), "answered")
    expired = make_target(outdial, "+15550001024")
    claim = claim_one(outdial)
    expire(claim)
    dialing.settle_expired()  # the workers' housekeeping

    assert summary_of(api, outdial) == {
        "status": {"idle": 0, "progressing": 0, "done": 4},
        "attempts_by_destination": [4, 0, 0, 0, 0],
        "outcomes": {
            "pending": 0,
            "answered": 1,
            "no_answer": 1,
            "busy": 1,
            "failed": 0,
            "expired": 1,
        },
        "exhausted": 2,
        "total": 4,
        "callable_now": 0,
        "waiting": 0,
        "suppressed": 0,
    }
    assert [stored(t) for t in (used_up, closed, answered, expired)] == [
        ("done", "no_answer"),
        ("done", ""),
        ("done", "answered"),
        ("done", "expired"),
    ]
    # Re-opened, an exhausted target is no longer counted; dialed and used up
    # again, it is.
    dialing.set_status(used_up, "idle")
    assert summary_of(api, outdial)["exhausted"] == 1
    settle(outdial, claim_one(outdial, TWO_EACH), "failed")
    assert summary_of(api, outdial)["exhausted"] == 2


def test_deleted_targets_and_their_attempts_leave_the_summary(api, outdial):
    kept = make_target(outdial, "+15550001030", "+15550001031")
    settle(outdial, claim_one(outdial), "busy")
    gone = make_target(outdial, "+15550001032")
    settle(outdial, claim_one(outdial), "failed")
    settle(outdial, claim_one(outdial), "no_answer")  # kept's destination 1
    targets.delete_target(gone)

    answer = summary_of(api, outdial)
    assert answer["status"] == {"idle": 0, "progressing": 0, "done": 1}
    assert answer["attempts_by_destination"] == [1, 1, 0, 0, 0]
    assert answer["outcomes"]["failed"] == 0
    assert (answer["exhausted"], answer["total"]) == (1, 1)

    targets.restore(OutdialTarget.objects.get(pk=gone.pk))
    answer = summary_of(api, outdial)
    assert answer["attempts_by_destination"] == [2, 1, 0, 0, 0]
    assert answer["outcomes"]["failed"] == 1
    assert (answer["exhausted"], answer["total"]) == (2, 2)
    assert stored(kept) == ("done", "no_answer")


def test_the_summary_counts_only_its_own_outdial(api, outdial, alice):
    other = Outdial.objects.create(customer=outdial.customer, name="other")
    make_target(other, "+15550001040")
    settle(other, claim_one(other), "failed")
    gone = make_target(other, "+15550001041")
    settle(other, claim_one(other), "busy")
    targets.delete_target(gone)
    make_target(outdial, "+15550001042")

    assert summary_of(api, outdial) == {
        "status": {"idle": 1, "progressing": 0, "done": 0},
        "attempts_by_destination": [0, 0, 0, 0, 0],
        "outcomes": {
            "pending": 0,
            "answered": 0,
            "no_answer": 0,
            "busy": 0,
            "failed": 0,
            "expired": 0,
        },
        "exhausted": 0,
        "total": 1,
        "callable_now": 1,
        "waiting": 0,
        "suppressed": 0,
    }


def from_scratch(outdial) -> dict:
    """The summary recomputed row by row from the targets, their destinations
    and the attempt log, without ``settled_outcome`` (valid while no person
    has overridden a status)."""
    live = list(OutdialTarget.objects.live().filter(outdial=outdial))
    attempts = list(
        Attempt.objects.filter(outdial_target__in=live).order_by("-tm_start", "-id")
    )
    newest = {}
    for attempt in attempts:
        newest.setdefault(attempt.outdial_target_id, attempt)
    counts = {
        (d.outdial_target_id, d.index): d.try_count
        for d in Destination.objects.filter(outdial_target__in=live)
    }
    exhausted = 0
    for target in live:
        last = newest.get(target.pk)
        if target.status != "done" or last is None or last.outcome == "answered":
            continue
        room = any(
            count < last.max_try_counts[index]
            for (pk, index), count in counts.items()
            if pk == target.pk
        )
        exhausted += not room
    outcomes = Counter(a.outcome or "pending" for a in attempts)
    slots = Counter(a.destination_index for a in attempts)
    statuses = Counter(t.status for t in live)
    return {
        "status": {s: statuses[s] for s in TargetStatus.values},
        "attempts_by_destination": [slots[i] for i in range(5)],
        "outcomes": {
            (o or "pending"): outcomes[o or "pending"] for o in AttemptOutcome.values
        },
        "exhausted": exhausted,
        "total": len(live),
        "callable_now": statuses["idle"],
        "waiting": 0,
        "suppressed": 0,
    }


def test_the_summary_matches_a_count_from_scratch_through_random_dialing(outdial):
    rng = random.Random(20261127)
    for i in range(40):
        numbers = [f"+1555000{i:02}{n}" for n in range(rng.randint(1, 3))]
        make_target(outdial, *numbers, name=f"t{i:02}")
    for _ in range(12):
        maxima = [rng.randint(0, 2) for _ in range(5)]
        for claim in dialing.claim(outdial, max_try_counts=maxima, limit=8):
            fate = rng.random()
            if fate < 0.15:
                expire(claim)
            elif fate < 0.25:
                continue  # the lease is still running
            else:
                settle(outdial, claim, rng.choice(dialing.RESULT_OUTCOMES))
        if rng.random() < 0.3:
            live = OutdialTarget.objects.live().filter(outdial=outdial)
            with contextlib.suppress(guards.TargetInProgress):  # held: refused
                targets.delete_target(rng.choice(list(live.order_by("name"))))
        assert dialing.summary(outdial) == from_scratch(outdial)
    answer = dialing.summary(outdial)
    assert answer["exhausted"] > 0 and answer["outcomes"]["expired"] > 0


# --- the query budget --------------------------------------------------------------


def fill(outdial, count: int) -> None:
    for i in range(count):
        make_target(outdial, f"+15550{count:03}{i:03}", f"+15551{count:03}{i:03}")
    claims = dialing.claim(outdial, max_try_counts=ONE_EACH, limit=count)
    for n, claim in enumerate(claims):
        settle(outdial, claim, ["answered", "busy", "failed", "no_answer"][n % 4])
    dialing.claim(outdial, max_try_counts=TWO_EACH, limit=count // 2)
    done = OutdialTarget.objects.filter(outdial=outdial, status="done")
    doomed = list(done.values_list("pk", flat=True)[: count // 5])
    targets.delete_targets(OutdialTarget.objects.filter(pk__in=doomed))


@pytest.mark.parametrize("count", [5, 60])
def test_the_summary_takes_three_queries_whatever_the_size(
    outdial, count, django_assert_num_queries
):
    fill(outdial, count)
    fresh = Outdial.objects.select_related("policy").get(pk=outdial.pk)
    with django_assert_num_queries(3):
        answer = dialing.summary(fresh)
    assert answer == from_scratch(outdial)
    assert answer["total"] == count - count // 5


def test_an_outdial_looked_up_with_leases_overdue_skips_the_lease_check(
    outdial, django_assert_num_queries
):
    fill(outdial, 10)
    looked_up = (
        Outdial.objects.annotate(leases_overdue=queries.leases_overdue())
        .select_related("policy")
        .get(pk=outdial.pk)
    )
    with django_assert_num_queries(3):
        dialing.summary(looked_up)


def test_an_overdue_lease_is_counted_once_the_housekeeping_settled_it(api, outdial):
    target = make_target(outdial, "+15550001050")
    expire(claim_one(outdial))
    assert summary_of(api, outdial)["status"]["progressing"] == 1  # reads only
    jobs.housekeeping()
    answer = summary_of(api, outdial)
    assert (answer["status"]["done"], answer["exhausted"]) == (1, 1)
    assert answer["outcomes"]["expired"] == 1
    assert stored(target) == ("done", "expired")


# --- the migration fills settled_outcome from the attempt log ----------------------

BEFORE = [("outdials", "0001_initial")]
AFTER = [("outdials", "0002_target_settled_outcome")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_settled_outcome_from_the_attempt_log(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        outdial = old.get_model("outdials", "Outdial").objects.create(
            customer_id=alice.user.customer_id, name="before"
        )
        Target = old.get_model("outdials", "OutdialTarget")
        Slot = old.get_model("outdials", "Destination")
        Try = old.get_model("outdials", "Attempt")
        now = timezone.now()
        made = {}

        def target(label, status, tries, outcomes, maxima):
            """``tries``: try counts of destinations 0..; ``outcomes``: the
            attempts, oldest first."""
            row = Target.objects.create(
                outdial=outdial,
                name=label,
                status=status,
                tm_last_attempt=now if outcomes else None,
            )
            for index, count in enumerate(tries):
                Slot.objects.create(
                    outdial_target=row,
                    index=index,
                    type="tel",
                    target=f"+1555000{len(made):02}{index}",
                    try_count=count,
                )
            for n, outcome in enumerate(outcomes):
                Try.objects.create(
                    outdial=outdial,
                    outdial_target=row,
                    destination_index=0,
                    address="+15550000000",
                    try_count=n + 1,
                    max_try_counts=maxima,
                    outcome=outcome,
                    lease_expires=now + timedelta(hours=1),
                    tm_start=now - timedelta(minutes=len(outcomes) - n),
                )
            made[label] = row.pk

        target("never", "idle", [0], [], [])
        target("answered", "done", [1], ["answered"], ONE_EACH)
        target("exhausted", "done", [2], ["no_answer", "failed"], [2, 0, 0, 0, 0])
        target("retrying", "idle", [1, 0], ["busy"], ONE_EACH)
        target("dialing", "progressing", [2], ["busy", ""], [2, 0, 0, 0, 0])
        target("closed by hand", "done", [1, 0], ["no_answer"], ONE_EACH)
        target("reopened", "idle", [1], ["expired"], ONE_EACH)
        target("reopened answered", "idle", [1], ["answered"], TWO_EACH)
        target("closed unattempted", "done", [0], [], [])

        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        settled = dict(
            new.get_model("outdials", "OutdialTarget").objects.values_list(
                "name", "settled_outcome"
            )
        )
        assert settled == {
            "never": "",
            "answered": "answered",
            "exhausted": "failed",
            "retrying": "busy",
            "dialing": "",
            "closed by hand": "",
            "reopened": "",
            "reopened answered": "",
            "closed unattempted": "",
        }
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    counted = dialing.summary(Outdial.objects.get(name="before"))
    assert (counted["status"]["done"], counted["exhausted"]) == (4, 1)
