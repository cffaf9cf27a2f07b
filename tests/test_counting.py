"""The matching count's labels (``outdials/counting.py``) on small lists, with
the cap lowered to 20 and the sample to the newest 20 targets: exact up to
the cap, "about N" when the sample's share of the list is clearly over it,
"more than 20" when only a count knows, and on PostgreSQL an estimate when
the count takes longer than its budget. The sample is the targets newer
than the 20th newest: the newest 19 here."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outdials import counting
from outdials.filters import filtered_targets
from outdials.models import OutdialTarget

CAP = 20
MATCH = r"[^>]*targets? match[^<]*"


@pytest.fixture(autouse=True)
def small_sample(monkeypatch):
    monkeypatch.setattr(counting, "SAMPLE", 20)


def fill(outdial, names) -> None:
    """One target per name, the first the oldest."""
    start = timezone.now() - timedelta(days=1)
    OutdialTarget.objects.bulk_create(
        OutdialTarget(
            outdial=outdial, name=name, tm_create=start + timedelta(seconds=i)
        )
        for i, name in enumerate(names)
    )


def tally(outdial, text, *, sampled=True) -> counting.Tally:
    queryset = filtered_targets(outdial.pk, {"q": text}, "US")
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    if not sampled:
        return counting.matching_count(queryset, cap=CAP)
    return counting.matching_count(queryset, within=live, size=live.count(), cap=CAP)


def test_a_count_up_to_the_cap_is_exact(outdial):
    fill(outdial, ["Ann Ortiz" if i % 10 == 0 else "Bo Lee" for i in range(100)])
    found = tally(outdial, "ortiz")
    assert (found.exact, str(found)) == (True, "10")


def test_a_share_of_the_newest_targets_clearly_over_the_cap_is_an_estimate(
    outdial, django_assert_num_queries
):
    fill(outdial, ["Ann Ortiz" if i % 2 else "Bo Lee" for i in range(100)])
    queryset = filtered_targets(outdial.pk, {"q": "ortiz"}, "US")
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    # The sample's edge, the targets newer than it, those of them matching;
    # no count.
    with django_assert_num_queries(3):
        found = counting.matching_count(queryset, within=live, size=100, cap=CAP)
    assert (found.exact, found.estimated, str(found)) == (False, True, "about 53")


def test_over_the_cap_where_the_newest_targets_are_unlike_the_rest(outdial):
    # Only the 40 oldest match: the sample sees none, the count stops at 21.
    fill(outdial, ["Ann Ortiz" if i < 40 else "Bo Lee" for i in range(100)])
    found = tally(outdial, "ortiz")
    assert (found.exact, found.estimated, str(found)) == (False, False, "more than 20")


def test_without_a_sample_over_the_cap_is_the_planners_estimate_or_more_than(
    outdial,
):
    fill(outdial, ["Ann Ortiz"] * 30)
    found = tally(outdial, "ortiz", sampled=False)
    assert not found.exact
    if connection.vendor == "postgresql":
        assert found.estimated == str(found).startswith("about ")
    else:
        assert str(found) == "more than 20"


def test_the_outdial_page_shows_the_label(alice_page, outdial, monkeypatch):
    monkeypatch.setattr(counting, "EXACT_UP_TO", CAP)
    fill(outdial, ["Ann Ortiz" if i % 2 else "Bo Lee" for i in range(100)])
    page = alice_page.get(f"/outdials/{outdial.pk}/?q=ortiz").content.decode()
    assert "about 53 targets match" in page, re.findall(MATCH, page)
    page = alice_page.get(f"/outdials/{outdial.pk}/?q=bo+lee").content.decode()
    assert "about 47 targets match" in page, re.findall(MATCH, page)
    page = alice_page.get(f"/outdials/{outdial.pk}/?q=ann+ortiz+1").content.decode()
    assert "0 targets match" in page, re.findall(MATCH, page)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statement timeout"
)
def test_a_count_over_its_budget_gives_way_to_the_samples_estimate(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "COUNT_BUDGET_MS": 1}
    fill(outdial, ["Ann Ortiz" if i % 4 == 0 else "Bo Lee" for i in range(100)])
    # Each row takes 5 ms to test: the count cannot end within 1 ms.
    slow = OutdialTarget.objects.filter(outdial=outdial).extra(
        where=["(SELECT 1 FROM pg_sleep(0.005)) = 1", "name = 'Ann Ortiz'"]
    )
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()
        found = counting.matching_count(slow, within=live, size=100, cap=CAP)
        cursor.execute("SHOW statement_timeout")
        after = cursor.fetchone()
    assert (found.exact, found.estimated, str(found)) == (False, True, "about 21")
    # The connection's own timeout is back, and it still answers.
    assert after == before
    assert live.count() == 100
