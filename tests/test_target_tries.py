"""A target's tries (issue 14): the sum of its destinations' try counts, kept
in one indexed column by every statement that changes a try count, so the
try-count filter reads that column instead of summing per target."""

import json

import pytest
from django.db import connection
from django.db.models import Sum
from django.http import QueryDict

from outdials import dialing, filters, targets
from outdials.models import Destination, OutdialTarget

from .helpers import tel


def sums(outdial) -> dict[str, int]:
    """Each target's name → the sum of its destinations' try counts."""
    found = {t.name: 0 for t in OutdialTarget.objects.filter(outdial=outdial)}
    for name, total in (
        Destination.objects.filter(outdial_target__outdial=outdial)
        .values_list("outdial_target__name")
        .annotate(total=Sum("try_count"))
    ):
        found[name] = total
    return found


def columns(outdial) -> dict[str, int]:
    return dict(
        OutdialTarget.objects.filter(outdial=outdial).values_list("name", "tries")
    )


def assert_kept(outdial) -> dict[str, int]:
    kept = columns(outdial)
    assert kept == sums(outdial)
    return kept


def claim_and_report(outdial, outcome="no_answer", maxima=(2, 1, 0, 0, 0), limit=2):
    claims = dialing.claim(outdial, max_try_counts=list(maxima), limit=limit)
    for claim in claims:
        assert claim.target.tries == sum(
            d.try_count for d in claim.target.slots() if d is not None
        )
        dialing.report_result(outdial, claim.target.pk, claim.claim_id, outcome)
    return claims


@pytest.fixture
def three(outdial):
    """Ann with two numbers, Bo and Cy with one each."""
    return {
        "Ann": targets.create_target(
            outdial, name="Ann", slots=[tel("+15550004001"), tel("+15550004002")]
        ),
        "Bo": targets.create_target(outdial, name="Bo", slots=[tel("+15550004003")]),
        "Cy": targets.create_target(outdial, name="Cy", slots=[tel("+15550004004")]),
    }


@pytest.mark.django_db
def test_claims_results_resets_and_edits_keep_tries_the_sum(outdial, three):
    assert assert_kept(outdial) == {"Ann": 0, "Bo": 0, "Cy": 0}

    while claim_and_report(outdial):
        assert_kept(outdial)
    assert assert_kept(outdial) == {"Ann": 3, "Bo": 2, "Cy": 2}

    # An open claim counts too; an expired lease changes nothing.
    dialing.reset_try_counts(OutdialTarget.objects.filter(name="Cy"))
    [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], lease_seconds=10)
    assert assert_kept(outdial) == {"Ann": 3, "Bo": 2, "Cy": 1}
    dialing.settle_expired(outdial, now=claim.lease_expires)
    assert assert_kept(outdial)["Cy"] == 1

    # A re-dial of all of them starts again at 0.
    changed, _ = dialing.reset_try_counts(OutdialTarget.objects.filter(outdial=outdial))
    assert changed == 3
    assert assert_kept(outdial) == {"Ann": 0, "Bo": 0, "Cy": 0}

    claim_and_report(outdial, limit=3)
    claim_and_report(outdial, limit=3)
    assert assert_kept(outdial) == {"Ann": 2, "Bo": 2, "Cy": 2}

    # An edit that keeps the addresses keeps the tries; a new address for a
    # tried slot starts it again, a dropped slot takes its tries with it.
    ann = OutdialTarget.objects.get(name="Ann")
    targets.update_target(
        ann, slots=[tel("+15550004001"), tel("+15550004002")], name="Ann"
    )
    assert assert_kept(outdial)["Ann"] == 2
    targets.update_target(ann, slots=[tel("+15550004099"), tel("+15550004002")])
    assert ann.tries == 0
    assert assert_kept(outdial)["Ann"] == 0
    bo = OutdialTarget.objects.get(name="Bo")
    targets.update_target(bo, slots=[None, tel("+15550004098")])
    assert assert_kept(outdial)["Bo"] == 0


@pytest.mark.django_db
def test_a_claim_of_several_counts_each_target_once(outdial, three):
    claims = dialing.claim(outdial, max_try_counts=[1, 1, 0, 0, 0], limit=3)
    assert sorted(c.target.name for c in claims) == ["Ann", "Bo", "Cy"]
    assert assert_kept(outdial) == {"Ann": 1, "Bo": 1, "Cy": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "tries_min=0",
        "tries_min=1",
        "tries_min=2",
        "tries_min=3",
        "tries_max=0",
        "tries_max=1",
        "tries_max=2",
        "tries_min=1&tries_max=2",
        "tries_min=2&tries_max=2",
        "tries_min=3&tries_max=1",
    ],
)
def test_the_try_filter_answers_the_rows_whose_try_counts_sum_so(outdial, three, query):
    targets.create_target(outdial, name="Di", slots=[tel("+15550004005")])
    claim_and_report(outdial, limit=3)
    claim_and_report(outdial, limit=1)
    claim_and_report(outdial, limit=1)
    params = QueryDict(query)
    low = int(params.get("tries_min", 0))
    high = int(params.get("tries_max", 10**6))

    found = filters.filtered_targets(outdial.pk, params).values_list("name", flat=True)

    expected = {name for name, n in sums(outdial).items() if low <= n <= high}
    assert set(found) == expected


def three_thousand_thirty_tried(outdial) -> None:
    """3,000 targets (t0 to t2999, oldest first); every hundredth, from t0,
    tried four times; the planner's statistics then refreshed."""
    rows = OutdialTarget.objects.bulk_create(
        [OutdialTarget(outdial=outdial, name=f"t{n}") for n in range(3000)]
    )
    OutdialTarget.objects.filter(pk__in=[r.pk for r in rows[::100]]).update(tries=4)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OutdialTarget._meta.db_table}")


@pytest.mark.django_db
def test_the_try_filter_reads_its_index(outdial):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    three_thousand_thirty_tried(outdial)
    page = filters.filtered_targets(outdial.pk, QueryDict("tries_min=3")).order_by(
        "-tm_create", "-pk"
    )[:101]

    plan = json.loads(page.explain(format="json"))[0]["Plan"]

    indexes, stack = [], [plan]
    while stack:
        node = stack.pop()
        indexes.append(node.get("Index Name"))
        stack += node.get("Plans", [])
    # The 30 matching rows are found in the index, not among all 3,000.
    assert "target_tries_page" in indexes
    assert len(page) == 30


@pytest.mark.django_db
def test_on_sqlite_a_rare_try_count_is_read_by_the_ids_of_its_few_targets(
    outdial, monkeypatch
):
    """SQLite keeps no statistics of a column's values: a page of a rare
    try count walked the whole list in page order, testing each target."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner only")
    three_thousand_thirty_tried(outdial)

    def page(query):
        found = filters.filtered_targets(outdial.pk, QueryDict(query))
        return found.order_by("-tm_create", "-pk")[:101]

    expected = [f"t{n}" for n in range(2900, -1, -100)]
    assert [t.name for t in page("tries_min=3")] == expected
    assert "target_page" not in page("tries_min=3").explain()
    assert list(page("tries_min=5")) == []
    # More than a few: the list in page order, as before.
    monkeypatch.setattr(filters, "FEW_TRIED", 10)
    assert [t.name for t in page("tries_min=3")] == expected
