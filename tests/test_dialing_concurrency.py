"""Dialers racing each other on real, separate database connections.

Each worker thread has its own Django connection (closed when it ends); they
start together at a barrier. PostgreSQL: 16 workers drain 2,000 targets;
SQLite (a file database, IMMEDIATE transactions): 8 workers drain 500.
"""

import random
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from outdials import dialing
from outdials.models import Attempt, Destination, Outdial, OutdialTarget

MAXIMA = [2, 1, 0, 0, 0]
OUTCOMES = ["answered", "no_answer", "busy", "failed"]
DEADLINE_SECONDS = 90


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords are not under test here; hashing them slowly
    would be most of this file's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def scale() -> tuple[int, int]:
    """(workers, targets) for the database under test."""
    return (16, 2000) if connection.vendor == "postgresql" else (8, 500)


def bulk_targets(outdial, count: int) -> list[uuid.UUID]:
    """``count`` idle targets, each with two phone destinations, distinct ages."""
    start = timezone.now()
    rows = [
        OutdialTarget(
            outdial=outdial,
            name=f"target {n}",
            tm_create=start + timedelta(microseconds=n),
            tm_update=start + timedelta(microseconds=n),
        )
        for n in range(count)
    ]
    OutdialTarget.objects.bulk_create(rows, batch_size=500)
    Destination.objects.bulk_create(
        [
            Destination(
                outdial_target=row,
                index=index,
                type="tel",
                target=f"+1555{index}{n:06d}",
            )
            for n, row in enumerate(rows)
            for index in (0, 1)
        ],
        batch_size=500,
    )
    return [row.pk for row in rows]


class Ledger:
    """What the workers saw, checked under one lock: a target handed to one
    worker while another still held it is a double claim."""

    def __init__(self):
        self.lock = threading.Lock()
        self.held: set[uuid.UUID] = set()
        self.doubles: list[uuid.UUID] = []
        self.claims = 0
        self.results = Counter()
        self.errors: list[BaseException] = []

    def took(self, claims) -> None:
        with self.lock:
            for c in claims:
                if c.target.pk in self.held:
                    self.doubles.append(c.target.pk)
                self.held.add(c.target.pk)
            self.claims += len(claims)

    def letting_go(self, target_id) -> None:
        # Before the result commits, so a fair re-claim is never counted double.
        with self.lock:
            self.held.discard(target_id)


def dialer(number, outdial_id, barrier, ledger: Ledger) -> None:
    rng = random.Random(number)
    try:
        outdial = Outdial.objects.get(pk=outdial_id)
        barrier.wait()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            claims = dialing.claim(
                outdial,
                max_try_counts=MAXIMA,
                limit=rng.choice([1, 2, 4]),
                lease_seconds=600,
            )
            if not claims:
                left = OutdialTarget.objects.filter(outdial_id=outdial_id).exclude(
                    status="done"
                )
                if not left.exists():
                    return
                time.sleep(0.002)  # others hold the rest; they come back idle
                continue
            report_all(outdial, claims, rng, ledger)
    except BaseException as error:  # noqa: B036 - reported by the test
        with ledger.lock:
            ledger.errors.append(error)
    finally:
        connection.close()


def report_all(outdial, claims, rng, ledger: Ledger) -> None:
    """Report each claim with a random outcome, as a dialer would."""
    ledger.took(claims)
    for c in claims:
        outcome = rng.choice(OUTCOMES)
        ledger.letting_go(c.target.pk)
        dialing.report_result(outdial, c.target.pk, c.claim_id, outcome)
        with ledger.lock:
            ledger.results[outcome] += 1


def run_threads(target, count, *args):
    barrier = threading.Barrier(count)
    threads = [
        threading.Thread(target=target, args=(n, *args, barrier)) for n in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_concurrent_dialers_drain_the_list_without_double_claims(outdial):
    workers, count = scale()
    target_ids = bulk_targets(outdial, count)
    ledger = Ledger()

    run_threads(
        lambda n, outdial_id, ledger, barrier: dialer(n, outdial_id, barrier, ledger),
        workers,
        outdial.pk,
        ledger,
    )

    assert ledger.errors == []
    assert ledger.doubles == []
    # Nothing left behind: every target done, no claim open.
    assert Counter(
        OutdialTarget.objects.filter(pk__in=target_ids).values_list("status", flat=True)
    ) == {"done": count}
    assert not Attempt.objects.filter(outcome="").exists()
    assert Attempt.objects.count() == ledger.claims == sum(ledger.results.values())
    # Try counts equal the attempts logged, destination by destination.
    logged = {
        (row["outdial_target_id"], row["destination_index"]): row["n"]
        for row in Attempt.objects.values("outdial_target_id", "destination_index")
        .annotate(n=Count("pk"))
        .order_by()
    }
    counted = {
        (target_id, index): try_count
        for target_id, index, try_count in Destination.objects.filter(
            outdial_target_id__in=target_ids, try_count__gt=0
        ).values_list("outdial_target_id", "index", "try_count")
    }
    assert counted == logged
    assert all(try_count <= MAXIMA[index] for (_, index), try_count in counted.items())
    # Per target, attempts never overlap in time and follow the retry order.
    history: dict[uuid.UUID, list] = {}
    for row in Attempt.objects.order_by("tm_start").values_list(
        "outdial_target_id",
        "destination_index",
        "try_count",
        "outcome",
        "tm_start",
        "tm_end",
    ):
        history.setdefault(row[0], []).append(row[1:])
    assert set(history) == set(target_ids)
    for attempts in history.values():
        for before, after in zip(attempts, attempts[1:], strict=False):
            assert before[4] <= after[3]  # ended before the next started
            assert before[2] != "answered"
        assert [(index, n) for index, n, *_ in attempts] == [
            (0, 1),
            (0, 2),
            (1, 1),
        ][: len(attempts)]
        # done because answered, or because every destination was used up
        assert attempts[-1][2] == "answered" or len(attempts) == 3


def settler(n, claims, outcome_of, ledger: Ledger, barrier) -> None:
    outcome = outcome_of(n)
    try:
        outdial = Outdial.objects.get(pk=claims[0].target.outdial_id)
        barrier.wait()
        for c in claims:
            try:
                dialing.report_result(outdial, c.target.pk, c.claim_id, outcome)
            except dialing.ClaimNotActive:
                continue
            with ledger.lock:
                ledger.results[(c.claim_id, outcome)] += 1
    except BaseException as error:  # noqa: B036 - reported by the test
        with ledger.lock:
            ledger.errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_racing_results_for_one_claim_settle_it_exactly_once(outdial):
    """Four connections report on the same 60 claims at once, two with
    ``answered`` and two with ``busy``: each claim takes one outcome, which
    decides the target's status; the loser of each race changes nothing."""
    bulk_targets(outdial, 60)
    claims = dialing.claim(outdial, max_try_counts=MAXIMA, limit=60)
    assert len(claims) == 60
    ledger = Ledger()

    run_threads(
        settler,
        4,
        claims,
        lambda n: "answered" if n % 2 else "busy",
        ledger,
    )

    assert ledger.errors == []
    outcomes = dict(Attempt.objects.values_list("pk", "outcome"))
    statuses = dict(OutdialTarget.objects.values_list("pk", "status"))
    for c in claims:
        won = outcomes[c.claim_id]
        assert won in ("answered", "busy")
        # the winner and its idempotent twin succeeded; the other outcome never
        assert ledger.results[(c.claim_id, won)] == 2
        lost = "busy" if won == "answered" else "answered"
        assert ledger.results[(c.claim_id, lost)] == 0
        assert statuses[c.target.pk] == ("done" if won == "answered" else "idle")
    assert Destination.objects.filter(try_count__gt=1).count() == 0


def policy_dialer(number, outdial_id, barrier, ledger: Ledger) -> None:
    """As :func:`dialer`, until no target inside its calling hours is left."""
    rng = random.Random(number)
    try:
        outdial = Outdial.objects.select_related("policy").get(pk=outdial_id)
        barrier.wait()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            claims = dialing.claim(
                outdial, max_try_counts=MAXIMA, limit=rng.choice([1, 2, 4])
            )
            if not claims:
                left = OutdialTarget.objects.filter(
                    outdial_id=outdial_id, time_zone="Europe/London"
                ).exclude(status="done")
                if not left.exists():
                    return
                time.sleep(0.002)
                continue
            report_all(outdial, claims, rng, ledger)
    except BaseException as error:  # noqa: B036 - reported by the test
        with ledger.lock:
            ledger.errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_dialers_with_a_policy_never_take_targets_outside_their_hours(
    outdial, monkeypatch
):
    """Half the targets are in Tokyo, where it is 21:00 (closed), half in
    London at 13:00 (open): the dialers drain London without a double claim
    and hand out no Tokyo target. The clock is fixed on a Wednesday."""
    from datetime import UTC, datetime

    from outdials import policy

    start, moment = time.monotonic(), datetime(2031, 6, 4, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(
        timezone, "now", lambda: moment + timedelta(seconds=time.monotonic() - start)
    )
    workers, count = scale()
    target_ids = bulk_targets(outdial, count)
    tokyo = target_ids[::2]
    OutdialTarget.objects.filter(pk__in=tokyo).update(time_zone="Asia/Tokyo")
    OutdialTarget.objects.exclude(pk__in=tokyo).update(time_zone="Europe/London")
    policy.save(
        outdial,
        {
            **{f"max_try_count_{i}": 1 for i in range(5)},
            "retry_delays": {"busy": 0, "no_answer": 0, "failed": 0, "expired": 0},
            "daily_cap": 5,
            "calling_hours": [
                {"days": list(policy.DAYS[:5]), "start": "09:00", "end": "20:00"}
            ],
            "time_zone": "UTC",
        },
    )
    ledger = Ledger()

    run_threads(
        lambda n, outdial_id, ledger, barrier: policy_dialer(
            n, outdial_id, barrier, ledger
        ),
        workers,
        outdial.pk,
        ledger,
    )

    assert ledger.errors == []
    assert ledger.doubles == []
    assert not Attempt.objects.filter(outdial_target_id__in=tokyo).exists()
    assert Counter(
        OutdialTarget.objects.filter(pk__in=tokyo).values_list("status", flat=True)
    ) == {"idle": len(tokyo)}
    london = OutdialTarget.objects.filter(outdial=outdial, time_zone="Europe/London")
    assert Counter(london.values_list("status", flat=True)) == {"done": count // 2}
    assert Attempt.objects.count() == ledger.claims == sum(ledger.results.values())
    per_target = Attempt.objects.values("outdial_target_id").annotate(n=Count("pk"))
    assert max(row["n"] for row in per_target) <= sum(MAXIMA)


# --- suppression lists (issue 16) ------------------------------------------------

SUPPRESSION_ENTRIES = 100_000


def suppressed_dialer(number, outdial_id, barrier, ledger: Ledger) -> None:
    """A dialer that stops once a claim takes nothing while no target is
    held: the targets left idle are those every destination of which is
    suppressed."""
    rng = random.Random(number)
    try:
        outdial = Outdial.objects.get(pk=outdial_id)
        barrier.wait()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            claims = dialing.claim(
                outdial, max_try_counts=MAXIMA, limit=rng.choice([1, 2, 4])
            )
            if not claims:
                held = OutdialTarget.objects.filter(
                    outdial_id=outdial_id, status="progressing"
                )
                if not held.exists():
                    return
                time.sleep(0.002)
                continue
            ledger.took(claims)
            for c in claims:
                with ledger.lock:
                    ledger.results[c.destination.target] += 1
                ledger.letting_go(c.target.pk)
                dialing.report_result(
                    outdial, c.target.pk, c.claim_id, rng.choice(OUTCOMES)
                )
    except BaseException as error:  # noqa: B036 - reported by the test
        with ledger.lock:
            ledger.errors.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_dialers_never_take_a_suppressed_address(outdial):
    """100,000 entries: the first number of a quarter of the targets, the
    second of another quarter, both of a third quarter (those are never
    claimed), an expired entry for the first number of the rest (which
    suppresses nothing), and fillers. No suppressed address is handed out,
    no target twice at once."""
    from outdials import suppression
    from outdials.models import SuppressionEntry

    workers, count = scale()
    target_ids = bulk_targets(outdial, count)
    listed = suppression.create_list(outdial.customer, name="registry")
    suppressed, expired = set(), set()
    for n in range(count):
        first, second = f"+15550{n:06d}", f"+15551{n:06d}"
        if n % 4 in (1, 3):
            suppressed.add(first)
        if n % 4 in (2, 3):
            suppressed.add(second)
        if n % 4 == 0:
            expired.add(first)
    past = timezone.now() - timedelta(seconds=1)
    entries = [
        SuppressionEntry(list=listed, type="tel", address=a) for a in suppressed
    ] + [
        SuppressionEntry(list=listed, type="tel", address=a, tm_expire=past)
        for a in expired
    ]
    entries += [
        SuppressionEntry(list=listed, type="tel", address=f"+1666{n:07d}")
        for n in range(SUPPRESSION_ENTRIES - len(entries))
    ]
    SuppressionEntry.objects.bulk_create(entries, batch_size=5000)
    assert SuppressionEntry.objects.count() == SUPPRESSION_ENTRIES
    ledger = Ledger()

    run_threads(
        lambda n, outdial_id, ledger, barrier: suppressed_dialer(
            n, outdial_id, barrier, ledger
        ),
        workers,
        outdial.pk,
        ledger,
    )

    assert ledger.errors == []
    assert ledger.doubles == []
    dialed = set(Attempt.objects.values_list("address", flat=True))
    assert dialed & suppressed == set()
    assert set(ledger.results) == dialed
    # An expired entry suppresses nothing: each such first number was dialed.
    assert expired <= dialed
    statuses = dict(
        OutdialTarget.objects.filter(pk__in=target_ids).values_list("pk", "status")
    )
    never = {target_ids[n] for n in range(count) if n % 4 == 3}
    assert not Attempt.objects.filter(outdial_target_id__in=never).exists()
    # A target is left idle exactly when it was not answered and every
    # destination with attempts left is suppressed (both from the start, or
    # the second once the first was used up); every other one is done.
    room: dict[uuid.UUID, list[str]] = {pk: [] for pk in target_ids}
    for target_id, index, address, tries in Destination.objects.filter(
        outdial_target_id__in=target_ids
    ).values_list("outdial_target_id", "index", "target", "try_count"):
        if tries < MAXIMA[index]:
            room[target_id].append(address)
    idle = {pk for pk, status in statuses.items() if status == "idle"}
    assert never <= idle
    answered = set(
        Attempt.objects.filter(outcome="answered").values_list(
            "outdial_target_id", flat=True
        )
    )
    for pk, status in statuses.items():
        left = room[pk]
        stuck = bool(left) and set(left) <= suppressed
        expected = "done" if pk in answered or not stuck else "idle"
        assert status == expected, (pk, status, left)
    # A claim that finds nothing has marked every target it passed over, so
    # the next ones skip them without looking their numbers up again.
    assert dialing.claim(outdial, max_try_counts=MAXIMA, limit=4) == []
    marked = OutdialTarget.objects.filter(
        pk__in=idle, tm_suppressed_until__isnull=False
    )
    assert marked.count() == len(idle)
    assert not Attempt.objects.filter(outcome="").exists()
