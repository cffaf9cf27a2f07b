"""A target's last outcome: written by the dialing engine in the statement
that settles an attempt, kept through claims and people's changes, and filled
for existing rows by its migration (issue 14)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from outdials import dialing, targets
from outdials.models import Attempt, OutdialTarget
from tests.helpers import tel

ONE_EACH = [1, 1, 1, 1, 1]
TWO_EACH = [2, 2, 2, 2, 2]


def make_target(outdial, *numbers, name=""):
    return targets.create_target(outdial, name=name, slots=[tel(n) for n in numbers])


def claim_one(outdial, maxima=ONE_EACH) -> dialing.Claim:
    [claim] = dialing.claim(outdial, max_try_counts=maxima)
    return claim


def settle(outdial, claim, outcome):
    return dialing.report_result(outdial, claim.target.pk, claim.claim_id, outcome)


def last_outcome(target) -> str:
    return OutdialTarget.objects.values_list("last_outcome", flat=True).get(
        pk=target.pk
    )


def test_a_new_target_has_no_last_outcome(outdial):
    target = make_target(outdial, "+15550002000")
    assert target.last_outcome == ""
    assert last_outcome(target) == ""


@pytest.mark.parametrize("outcome", ["answered", "no_answer", "busy", "failed"])
def test_a_result_writes_the_last_outcome(outdial, outcome):
    target = make_target(outdial, "+15550002001")
    answered = settle(outdial, claim_one(outdial, TWO_EACH), outcome)
    assert answered.last_outcome == outcome
    assert last_outcome(target) == outcome


def test_the_next_claim_keeps_the_last_outcome_until_its_own_result(outdial):
    """Unlike ``settled_outcome``, a claim leaves it: while the second
    attempt runs, the target's last outcome is still the first one's."""
    target = make_target(outdial, "+15550002002")
    settle(outdial, claim_one(outdial, TWO_EACH), "busy")

    second = claim_one(outdial, TWO_EACH)

    assert last_outcome(target) == "busy"
    settle(outdial, second, "failed")
    assert last_outcome(target) == "failed"


def test_an_expired_lease_writes_expired(outdial):
    target = make_target(outdial, "+15550002003")
    claim = claim_one(outdial)
    Attempt.objects.filter(pk=claim.claim_id).update(
        lease_expires=timezone.now() - timedelta(seconds=1)
    )
    assert dialing.settle_expired(outdial) == 1
    assert last_outcome(target) == "expired"


def test_peoples_changes_keep_the_last_outcome(outdial):
    """Re-opening, closing and resetting the try counts are people's
    decisions; how the last attempt went stays known."""
    target = make_target(outdial, "+15550002004")
    settle(outdial, claim_one(outdial), "failed")

    dialing.set_status(target, "idle")
    assert last_outcome(target) == "failed"
    dialing.override_status(OutdialTarget.objects.all(), "done")
    assert last_outcome(target) == "failed"
    dialing.reset_try_counts(OutdialTarget.objects.all())
    assert last_outcome(target) == "failed"


BEFORE = [("outdials", "0014_dialing_policy")]
AFTER = [("outdials", "0016_target_last_outcome")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_last_outcome_from_the_attempt_log(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        outdial = old.get_model("outdials", "Outdial").objects.create(
            customer_id=alice.user.customer_id, name="before"
        )
        Target = old.get_model("outdials", "OutdialTarget")
        Try = old.get_model("outdials", "Attempt")
        now = timezone.now()

        def target(label, outcomes):
            row = Target.objects.create(
                outdial=outdial,
                name=label,
                status="progressing" if outcomes[-1:] == [""] else "idle",
                tm_last_attempt=now if outcomes else None,
            )
            for n, outcome in enumerate(outcomes):
                Try.objects.create(
                    outdial=outdial,
                    outdial_target=row,
                    destination_index=0,
                    address="+15550000000",
                    try_count=n + 1,
                    max_try_counts=TWO_EACH,
                    outcome=outcome,
                    lease_expires=now + timedelta(hours=1),
                    tm_start=now - timedelta(minutes=len(outcomes) - n),
                )

        target("never", [])
        target("answered", ["answered"])
        target("failed last", ["busy", "failed"])
        target("dialing again", ["no_answer", ""])
        target("dialing first", [""])

        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        found = dict(
            new.get_model("outdials", "OutdialTarget").objects.values_list(
                "name", "last_outcome"
            )
        )
        assert found == {
            "never": "",
            "answered": "answered",
            "failed last": "failed",
            "dialing again": "no_answer",
            "dialing first": "",
        }
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
