"""Targets a claim passes over because every destination they have left is
suppressed (issue 16): the claim marks them, later claims skip them without
looking their destinations up again, and they become claimable again by
themselves when the suppression goes away (the entry removed or expired,
the list deleted or re-scoped, the destinations edited, the tries reset)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outdials import dialing, dialing_sql, policy, suppression, targets
from outdials.models import (
    Destination,
    Outdial,
    OutdialTarget,
    SuppressionEntry,
    SuppressionList,
)
from tests.helpers import tel
from tests.test_dialing import claimed, make_target
from tests.test_dialing_policy import Clock
from tests.test_suppression_dialing import LISTED, OTHER, THIRD, dialed, make_list

FOURTH = "+15550001004"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def mark(target) -> tuple:
    """The target's mark as stored: (until, maxima)."""
    return tuple(
        OutdialTarget.objects.filter(pk=target.pk)
        .values_list("tm_suppressed_until", "suppressed_maxima")
        .get()
    )


def dialed_key(outdial) -> str:
    """The maxima ``dialed`` claims at, as a mark keeps them."""
    rules = policy.rules_of(outdial)
    return dialing_sql.maxima_key(dialing._maxima([1, 1, None, None, None], rules))


def test_a_claim_marks_the_targets_it_passes_over_as_suppressed(
    api, alice, outdial, clock
):
    listed = make_target(outdial, LISTED, age=timedelta(minutes=2))
    other = make_target(outdial, THIRD, age=timedelta(minutes=1))
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial, limit=1) == [THIRD]
    assert mark(listed) == (clock.now + dialing_sql.RECHECK, dialed_key(outdial))
    assert mark(other) == (None, "")


def test_a_marked_target_is_not_examined_again(api, alice, outdial):
    """Once marked, a claim skips the target without looking its
    destinations up: an entry removed behind the lists' back (no release)
    leaves it out; the release the product does makes it claimable."""
    make_target(outdial, LISTED, age=timedelta(minutes=1))
    make_target(outdial, THIRD)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial, limit=1) == [THIRD]
    SuppressionEntry.objects.all().delete()
    assert dialed(api, outdial) == []
    assert dialing.available(outdial, max_try_counts=[1, 1, None, None, None]) == []
    assert suppression.release([outdial.pk]) == 1
    assert dialed(api, outdial) == [LISTED]


def test_a_claim_marks_only_the_targets_before_the_last_it_took(api, alice, outdial):
    """Those after it were not examined: the next claim judges them."""
    first = make_target(outdial, LISTED, age=timedelta(minutes=3))
    make_target(outdial, THIRD, age=timedelta(minutes=2))
    later = make_target(outdial, OTHER, age=timedelta(minutes=1))
    make_list(alice.customer, LISTED, OTHER)
    assert dialed(api, outdial, limit=1) == [THIRD]
    assert mark(first)[0] is not None
    assert mark(later)[0] is None
    assert dialed(api, outdial, limit=1) == []
    assert mark(later)[0] is not None


def test_a_claim_marks_targets_attempted_before(api, alice, outdial):
    """Among targets tried before, least recently tried first."""
    listed = make_target(outdial, LISTED)
    other = make_target(outdial, THIRD)
    now = timezone.now()
    for target, ago in ((listed, 20), (other, 10)):
        OutdialTarget.objects.filter(pk=target.pk).update(
            tm_last_attempt=now - timedelta(minutes=ago)
        )
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial, limit=1) == [THIRD]
    assert mark(listed)[0] is not None


def test_a_target_with_a_destination_left_is_claimed_on_it_and_never_marked(
    api, alice, outdial
):
    target = make_target(outdial, LISTED, OTHER)
    make_list(alice.customer, LISTED)
    items = claimed(api, outdial, limit=5, max_try_count_0=1, max_try_count_1=1)
    assert [(i["target"]["id"], i["destination_index"]) for i in items] == [
        (str(target.id), 1)
    ]
    assert mark(target) == (None, "")


def test_a_marked_target_still_counts_as_suppressed_with_its_lists(api, alice, outdial):
    target = make_target(outdial, LISTED)
    make_list(alice.customer, LISTED, name="Registry")
    assert dialed(api, outdial) == []
    assert mark(target)[0] is not None
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert summary["suppressed"] == 1
    body = api.get(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility"
    ).json()
    assert [r["code"] for r in body["reasons"]] == ["SUPPRESSED"]
    assert [r["name"] for r in body["reasons"][0]["lists"]] == ["Registry"]


def test_removing_the_entry_makes_the_target_claimable(api, alice, outdial):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    entry = SuppressionEntry.objects.get()
    response = api.delete(f"/v1.0/suppressions/{listed.id}/entries/{entry.id}")
    assert response.status_code == 200, response.content
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [LISTED]


def test_removing_another_entry_keeps_the_mark(alice, outdial, api):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED, OTHER, ("+1900", "prefix"))
    assert dialed(api, outdial) == []
    for address in (OTHER, "+1900"):
        entry = SuppressionEntry.objects.get(address=address)
        suppression.remove(listed, entry)
    assert mark(target)[0] is not None


def test_removing_a_prefix_makes_the_numbers_it_starts_claimable(api, alice, outdial):
    make_target(outdial, "+19005550100")
    listed = make_list(alice.customer, ("+1900", "prefix"))
    assert dialed(api, outdial) == []
    suppression.remove(listed, SuppressionEntry.objects.get())
    assert dialed(api, outdial) == ["+19005550100"]


def test_the_mark_ends_when_the_entry_expires(api, alice, outdial, clock):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer)
    expiry = clock.now + timedelta(minutes=2)
    suppression.add(listed, type_="tel", address=LISTED, tm_expire=expiry)
    assert dialed(api, outdial) == []
    assert mark(target)[0] == expiry
    clock.advance(minutes=1)
    assert dialed(api, outdial) == []
    clock.advance(minutes=1, seconds=1)
    assert dialed(api, outdial) == [LISTED]


def test_a_mark_is_looked_at_again_after_the_recheck(api, alice, outdial, clock):
    """A lasting entry: the target is judged again once in a while, and
    marked again while it stays suppressed."""
    target = make_target(outdial, LISTED)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    clock.advance(seconds=dialing_sql.RECHECK.total_seconds() + 1)
    assert dialed(api, outdial) == []
    assert mark(target)[0] == clock.now + dialing_sql.RECHECK


def test_a_sooner_expiry_of_the_entry_ends_the_mark(api, alice, outdial, clock):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    suppression.add(
        listed, type_="tel", address=LISTED, tm_expire=clock.now - timedelta(seconds=1)
    )
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [LISTED]


def test_deleting_the_list_makes_the_target_claimable(api, alice, outdial):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    response = api.delete(f"/v1.0/suppressions/{listed.id}")
    assert response.status_code == 200, response.content
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [LISTED]


def test_rescoping_the_list_away_makes_the_target_claimable(api, alice, outdial):
    second = Outdial.objects.create(customer=alice.customer, name="second")
    target = make_target(outdial, LISTED)
    kept = make_target(second, LISTED)
    listed = make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    assert dialed(api, second) == []
    response = api.put(
        f"/v1.0/suppressions/{listed.id}",
        {"scope": "chosen", "outdial_ids": [str(second.id)]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert mark(target) == (None, "")
    assert mark(kept)[0] is not None
    assert dialed(api, outdial) == [LISTED]
    assert dialed(api, second) == []


def test_rescoping_the_list_in_the_admin_makes_the_target_claimable(
    api, alice, outdial, admin_client
):
    second = Outdial.objects.create(customer=alice.customer, name="second")
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    response = admin_client.post(
        f"/admin/outdials/suppressionlist/{listed.id}/change/",
        {
            "customer": alice.customer.pk,
            "name": listed.name,
            "detail": "",
            "scope": "chosen",
            "outdials": [second.pk],
        },
    )
    assert response.status_code == 302, response.content
    assert SuppressionList.objects.get(pk=listed.pk).scope == "chosen"
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [LISTED]


def test_editing_the_destination_makes_the_target_claimable(api, alice, outdial):
    target = make_target(outdial, LISTED)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    targets.update_target(target, slots=[tel(FOURTH)])
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [FOURTH]


def exhausted_then_listed(outdial):
    """A target whose first number has used its try and whose second is
    suppressed."""
    target = make_target(outdial, OTHER, LISTED)
    Destination.objects.filter(outdial_target=target, index=0).update(try_count=1)
    return target


def test_resetting_the_tries_makes_the_target_claimable(api, alice, outdial):
    target = exhausted_then_listed(outdial)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    assert mark(target)[0] is not None
    dialing.reset_try_counts(OutdialTarget.objects.filter(pk=target.pk))
    assert mark(target) == (None, "")
    assert dialed(api, outdial) == [OTHER]


def test_a_claim_at_other_maxima_is_not_held_back_by_the_mark(api, alice, outdial):
    """A claim allowing the first number a second try may dial it."""
    target = exhausted_then_listed(outdial)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == []
    assert mark(target)[0] is not None
    items = claimed(api, outdial, max_try_count_0=2, max_try_count_1=1)
    assert [(i["target"]["id"], i["destination_index"]) for i in items] == [
        (str(target.id), 0)
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_the_marking_on_sqlite_reads_the_claim_index(alice, outdial):
    """With statistics, the status index would also serve; its range holds
    every idle target tried before, each read from the table."""
    for n in range(20):
        make_target(outdial, f"+1555000{n:04d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    selections, _ = dialing_sql._marking_sqlite(False, False)
    raw = connection.connection
    for selection in selections:
        values = {name: 1 for name, _ in selection.slots}
        plan = raw.execute(
            f"EXPLAIN QUERY PLAN {selection.sql}", selection.params(**values)
        ).fetchall()
        reads = [row[3] for row in plan if "outdials_outdialtarget" in row[3]]
        assert len(reads) == 1 and "USING INDEX target_claim" in reads[0], reads


def test_a_postgresql_claim_marks_in_a_statement_of_its_own_only_when_needed(
    alice, outdial, monkeypatch
):
    """Marking in the claim statement doubled every claim's time while a
    list applied; the claim now only finds out whether it passed a target
    over, and marks in a second statement then."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's one-statement claim")
    from outdials import rawsql

    make_target(outdial, THIRD, age=timedelta(minutes=3))
    listed = make_target(outdial, LISTED, age=timedelta(minutes=2))
    make_target(outdial, FOURTH, age=timedelta(minutes=1))
    make_list(alice.customer, LISTED)
    sent = []
    real = rawsql.rows

    def counted(sql, *args, **kwargs):
        sent.append("marking" if sql.startswith("WITH marked_fresh") else "claim")
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(rawsql, "rows", counted)
    maxima = [1, 1, None, None, None]

    def claim_one() -> list[str]:
        sent.clear()
        taken = dialing.claim(outdial, max_try_counts=maxima, limit=1)
        return [c.destination.target for c in taken]

    # The first finds that a list applies, and claims again with the lists.
    assert claim_one() == [THIRD] and sent == ["claim", "claim"]
    assert claim_one() == [FOURTH] and sent == ["claim", "marking"]
    assert mark(listed)[0] is not None
    assert claim_one() == [] and sent == ["claim"]


def test_a_postgresql_claim_whose_marking_fails_still_hands_out_its_target(
    alice, outdial, monkeypatch, caplog
):
    """The claim is committed before the marking runs: a marking that fails
    is logged and rolled back, and the dialer gets its target."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's marking statement")
    listed = make_target(outdial, LISTED, age=timedelta(minutes=2))
    make_target(outdial, THIRD, age=timedelta(minutes=1))
    make_list(alice.customer, LISTED)
    failing = dialing_sql.Statement("SELECT 1 / 0", ())
    monkeypatch.setattr(dialing_sql, "_marking_postgresql", lambda *_: failing)
    maxima = [1, 1, None, None, None]

    taken = dialing.claim(outdial, max_try_counts=maxima, limit=1)

    assert [c.destination.target for c in taken] == [THIRD]
    assert mark(listed) == (None, "")
    assert "marking the targets a claim passed over failed" in caplog.text
    # The connection is fine: the next claim finds no one and says so.
    assert dialing.claim(outdial, max_try_counts=maxima, limit=1) == []
