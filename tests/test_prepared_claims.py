"""PostgreSQL runs the claim and result statements as prepared statements
with one plan each (``rawsql.rows``; settings: ``prepare_threshold``,
``plan_cache_mode``): planning the claim statement took 9 ms of its 11."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outdials import dialing, dialing_sql
from outdials.models import OutdialTarget
from tests.test_dialing import make_target

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's prepared statements"
)
MAXIMA = [3, 0, 0, 0, 0]


def _prepared(start: str) -> list[tuple]:
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [start + "%"],
        )
        return cursor.fetchall()


def test_claims_and_results_are_planned_once_per_connection(outdial):
    for n in range(12):
        make_target(outdial, f"+1555000{n:04d}")
    taken = [dialing.claim(outdial, max_try_counts=MAXIMA)[0] for _ in range(9)]
    for claim in taken:
        dialing.report_result(outdial, claim.target.pk, claim.claim_id, "busy")
    claims = _prepared("WITH overdue AS MATERIALIZED")
    assert len(claims) == 1
    generic, custom = claims[0]
    assert generic >= 4 and custom == 0
    results = _prepared(dialing_sql._result_statement()[:40])
    assert len(results) == 1 and results[0][0] >= 4 and results[0][1] == 0
    # Each claim still took the next target, each once.
    assert len({claim.target.pk for claim in taken}) == 9


def test_each_limit_is_its_own_statement_and_takes_that_many(outdial):
    for n in range(30):
        make_target(outdial, f"+1555000{n:04d}")
    sizes = [
        len(dialing.claim(outdial, max_try_counts=MAXIMA, limit=k))
        for k in (1, 2, 3) * 6
    ]
    assert sizes == [1, 2, 3] * 5 + [0, 0, 0]
    assert len(_prepared("WITH overdue AS MATERIALIZED")) == 3
    assert (
        OutdialTarget.objects.filter(outdial=outdial, status="progressing").count()
        == 30
    )


def test_the_fresh_pick_reads_only_never_tried_targets_from_the_claim_index(outdial):
    """Not the list's own index past every target tried before: 40 tried,
    idle targets older than the one never tried, tried since the import's
    statistics were taken."""
    tried = [
        make_target(outdial, f"+1555100{n:04d}", age=timedelta(days=2)).pk
        for n in range(40)
    ]
    fresh_one = make_target(outdial, "+15552000000")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE outdials_outdialtarget")
    OutdialTarget.objects.filter(pk__in=tried).update(
        tm_last_attempt=timezone.now() - timedelta(days=1)
    )
    # As on a list of thousands: an index read in order, not a sort (nor a
    # scan of a table this small).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    now = timezone.now()
    fresh, _ = dialing_sql.eligible(outdial.pk, MAXIMA, now, now)
    plan = fresh.explain()
    scans = [line for line in plan.splitlines() if "outdials_outdialtarget " in line]
    assert "Index Scan using target_claim" in scans[0], plan
    assert "tm_last_attempt IS NULL" in plan.split("Index Cond:")[1].splitlines()[0]
    assert dialing.claim(outdial, max_try_counts=MAXIMA)[0].target.pk == fresh_one.pk


def test_an_outdial_no_list_applies_to_claims_without_reading_the_lists(alice, outdial):
    """A list made between two claims is obeyed by the second: the lean
    statement finds it, takes nothing, and the claim runs with the lists."""
    from tests.test_suppression_dialing import LISTED, OTHER, THIRD, make_list

    for number in (THIRD, LISTED, OTHER):
        make_target(outdial, number)
    first = dialing.claim(outdial, max_try_counts=MAXIMA)
    assert [c.destination.target for c in first] == [THIRD]
    lean = _prepared("WITH overdue AS MATERIALIZED")
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE"
            " 'WITH overdue%%' AND statement NOT LIKE '%%suppressionentry%%'"
        )
        assert cursor.fetchone()[0] == len(lean) == 1
    make_list(alice.customer, LISTED, scope="all")
    second = dialing.claim(outdial, max_try_counts=MAXIMA, limit=2)
    assert [c.destination.target for c in second] == [OTHER]
    listed = OutdialTarget.objects.get(destinations__target=LISTED)
    assert (listed.status, listed.tm_suppressed_until is not None) == ("idle", True)
    # The lean one at limits 1 and 2, then the one reading the lists.
    reading = _prepared("WITH overdue AS MATERIALIZED%suppressionentry")
    assert (len(_prepared("WITH overdue AS MATERIALIZED")), len(reading)) == (3, 1)
