"""Claims per second with 1, 4 and 8 dialers, beside a bare UPDATE loop.

For SQLite (a fresh file) and PostgreSQL (a fresh database, dropped after), a
child process migrates and seeds one outdial, then measures in rounds: the
floor, a single connection updating one target row per statement in
autocommit (``UPDATE … SET status, tm_update WHERE id``, the least a claim can
write), then ``dialing.claim(limit=1)`` from N worker processes (forked, each
with its own connection, released together) until the list is drained. A
dialer claims once from an outdial with no targets before the start, so its
claim statements are compiled, as a long-running worker's are. Each
claim figure is set against the floor measured just before it, so both see
the same machine noise. A round also checks the outcome: as many claims as
targets, each target claimed once.

A claim is one statement on PostgreSQL (data-modifying CTEs, autocommit) and
on SQLite a read and three writes (the pick, then the targets, the try counts
and the attempts) in one IMMEDIATE transaction (``outdials/dialing_sql.py``).
Measured figures are in the README.

With a dialing policy (issue 17): the same drain with calling hours, a daily
cap and retry delays, over twice the targets, half of them in a zone outside
their hours (so each claim also passes over those); set against the claims
without a policy, measured in alternating rounds, medians of
``POLICY_ROUNDS`` each.
"""

import copy
import multiprocessing
import sys
import time
import uuid

from .harness import Figure, at_least, databases, in_worker, plain, worker_main
from .read_path import fresh_database

WORKER_COUNTS = (1, 4, 8)
WARM_UP = uuid.UUID("00000000-0000-4000-8000-00000000aaaa")
POLICY_ROUNDS = 3
# Claims per second with a policy against without (issue 17).
POLICY_MINIMUM = 0.80
# What a claim must reach against the floor (issue 18). On PostgreSQL a claim
# is one statement in autocommit, so it pays one commit like the floor; on
# SQLite four statements in one IMMEDIATE transaction, whose commit writes
# about three times the floor's pages (the target's indexes that a claim
# changes, the destination, the attempt and its indexes). More SQLite dialers
# only queue on the single write lock.
MINIMUM = {
    ("sqlite", 1): 0.35,
    ("sqlite", 4): 0.10,
    ("sqlite", 8): 0.10,
    ("postgresql", 1): 0.40,
    ("postgresql", 4): 0.45,
    ("postgresql", 8): 0.50,
}


def run(quick: bool) -> list:
    targets = 300 if quick else 2000
    figures = []
    for kind, url in databases():
        with fresh_database(kind, url) as database_url:
            rounds = in_worker("claim", database_url, "measure", str(targets))
        for workers, floor, rate, checks, bare, *policy in rounds:
            if bare:
                figures.append(
                    Figure(
                        f"claim {kind} 1 worker with no framework",
                        bare,
                        "claims/s",
                        floor,
                        bare / floor,
                        note=(
                            "the claim's own statements sent through the bare "
                            "driver, with the least Python between them: what a "
                            "claim on these tables costs before any framework"
                        ),
                    )
                )
            if policy:
                without, with_policy, held_back = policy
                figures.append(
                    at_least(
                        f"claim {kind} {workers} "
                        f"worker{'s' if workers > 1 else ''} with a policy",
                        with_policy,
                        "claims/s",
                        without,
                        POLICY_MINIMUM,
                        note=(
                            f"medians of {POLICY_ROUNDS} rounds each; floor: "
                            f"without a policy; {held_back} targets outside "
                            "their hours, none handed out"
                        ),
                    )
                )
            figures.append(
                at_least(
                    f"claim {kind} {workers} worker{'s' if workers > 1 else ''}",
                    rate,
                    "claims/s",
                    floor,
                    MINIMUM[kind, workers],
                    note=(
                        f"{targets} targets drained by {workers} forked "
                        f"dialer{'s' if workers > 1 else ''}; floor: single-row "
                        f"UPDATE loop, {floor:,.0f}/s"
                    ),
                    details=checks,
                )
            )
        doubled = sum(round_[3]["claimed_twice"] for round_ in rounds)
        figures.append(plain(f"claim {kind} targets claimed twice", doubled, "targets"))
    return figures


# --- the child process ---------------------------------------------------------


def _child(targets: str) -> list:
    targets = int(targets)
    from django.core.management import call_command
    from django.db import connection, connections

    from outdials.models import Customer, Outdial

    call_command("migrate", verbosity=0)
    customer = Customer.objects.create(name="bench")
    outdial = Outdial.objects.create(customer=customer, name="bench")
    # Claimed by each dialer before it starts (see _dialer): never has targets.
    Outdial.objects.create(customer=customer, name="warm-up", id=WARM_UP)
    rounds = []
    for workers in WORKER_COUNTS:
        ids = _seed(outdial, targets)
        floor = _update_loop(ids)
        _reset(outdial)
        bare = None
        if workers == 1 and connection.vendor == "sqlite":
            bare = _bare_drain(outdial.pk, connection.settings_dict["NAME"])
            _checks(outdial, targets)
            _seed(outdial, targets)
        connections.close_all()  # the workers are forked: no shared sockets
        rate = _claim_race(outdial.pk, workers)
        checks = _checks(outdial, targets)
        rounds.append(
            (
                workers,
                floor,
                rate,
                checks,
                bare,
                *_policy_rounds(outdial, targets, workers),
            )
        )
    return rounds


def _policy_rounds(outdial, targets: int, workers: int) -> tuple:
    """Medians of claims/s without and with a policy, in alternating rounds."""
    import statistics

    from django.db import connections

    from outdials import policy
    from outdials.models import DialingPolicy, OutdialTarget

    without, with_policy = [], []
    held_back = 0
    for _ in range(POLICY_ROUNDS):
        DialingPolicy.objects.filter(outdial=outdial).delete()
        _seed(outdial, targets)
        connections.close_all()
        without.append(_claim_race(outdial.pk, workers))
        _checks(outdial, targets)

        outdial.refresh_from_db()
        _seed(outdial, targets, zone="UTC")
        _seed(outdial, targets, zone="Etc/GMT-12", keep=True)  # UTC+12: closed
        hour = time.gmtime().tm_hour
        policy.save(
            outdial,
            {
                **{f"max_try_count_{i}": 1 for i in range(5)},
                "retry_delays": {
                    "busy": 60,
                    "no_answer": 600,
                    "failed": 60,
                    "expired": 0,
                },
                "daily_cap": 3,
                "calling_hours": [
                    {
                        "days": list(policy.DAYS),
                        "start": f"{max(hour - 1, 0):02d}:00",
                        "end": f"{min(hour + 2, 24):02d}:00",
                    }
                ],
                "time_zone": "UTC",
            },
        )
        connections.close_all()
        with_policy.append(_claim_race(outdial.pk, workers))
        _checks(outdial, targets, idle=targets)
        held_back = OutdialTarget.objects.filter(
            outdial=outdial, time_zone="Etc/GMT-12", status="idle"
        ).count()
    DialingPolicy.objects.filter(outdial=outdial).delete()
    return statistics.median(without), statistics.median(with_policy), held_back


def _seed(outdial, count: int, zone: str = "", keep: bool = False) -> list:
    from django.utils import timezone

    from outdials.models import Destination, OutdialTarget

    if not keep:
        OutdialTarget.objects.filter(outdial=outdial).delete()
    now = timezone.now()
    rows = OutdialTarget.objects.bulk_create(
        [
            OutdialTarget(outdial=outdial, tm_create=now, tm_update=now, time_zone=zone)
            for _ in range(count)
        ],
        batch_size=500,
    )
    Destination.objects.bulk_create(
        [
            Destination(outdial_target=row, index=0, type="tel", target="+15559876543")
            for row in rows
        ],
        batch_size=500,
    )
    return [row.pk for row in rows]


def _update_loop(ids: list) -> float:
    """The floor: one autocommitted single-row UPDATE per target."""
    from django.db import connection
    from django.utils import timezone

    from outdials.models import OutdialTarget

    sql = (
        'UPDATE "outdials_outdialtarget" SET "status" = %s, "tm_update" = %s '
        'WHERE "id" = %s'
    )
    field = OutdialTarget._meta.get_field
    keys = [field("id").get_db_prep_value(pk, connection) for pk in ids]
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for key in keys:
            now = field("tm_update").get_db_prep_value(timezone.now(), connection)
            cursor.execute(sql, ["progressing", now, key])
        return len(ids) / (time.perf_counter() - started)


def _bare_drain(outdial_id, path: str) -> float:
    """Claims per second of a framework-free claim (SQLite): one connection
    of the bare driver sends a claim's own statements (``dialing_sql``), the
    pick, then the target, its try count and its attempt, in one IMMEDIATE
    transaction, with the least Python between them, until the list is
    drained. The local midnight that ends a target's day is worked out once."""
    import json
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from outdials import dialing, dialing_sql

    claim, bump, log = dialing_sql.sqlite_statements()
    maxima = (1, 0, 0, 0, 0)
    outdial, key = outdial_id.hex, dialing_sql.maxima_key(maxima)
    maxima_json = json.dumps(list(maxima))
    lease = timedelta(seconds=dialing.DEFAULT_LEASE_SECONDS)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    day_end = f"{tomorrow} 00:00:00"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    claims, started = 0, time.perf_counter()
    while True:
        db.execute("BEGIN IMMEDIATE")
        now = datetime.now(UTC)
        stamp = now.isoformat(" ")[:-6]
        values = (outdial, stamp, stamp, 1, None, None, key, *maxima)
        rows = db.execute(claim.pick, claim.place(values)).fetchall()
        if not rows:
            db.execute("COMMIT")
            break
        (row,) = rows
        slot = next(slot for slot in json.loads(row[-2]) if slot[-1])
        db.execute(claim.take, (stamp, stamp, 1, day_end, row[0]))
        db.execute(bump, (slot[0],))
        expires = (now + lease).isoformat(" ")[:-6]
        attempt = (uuid.uuid4().hex, outdial, row[1], slot[1], slot[3], slot[7] + 1)
        db.execute(log, (*attempt, maxima_json, expires, stamp))
        db.execute("COMMIT")
        claims += 1
    elapsed = time.perf_counter() - started
    db.close()
    return claims / elapsed


def _reset(outdial) -> None:
    from outdials.models import OutdialTarget

    OutdialTarget.objects.filter(outdial=outdial).update(status="idle")


def _claim_race(outdial_id, workers: int) -> float:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    spans = context.Queue()
    processes = [
        context.Process(target=_dialer, args=(outdial_id, barrier, spans))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    results = [spans.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    failed = [r for r in results if "error" in r]
    if failed:
        raise RuntimeError(failed[0]["error"])
    claims = sum(r["claims"] for r in results)
    elapsed = max(r["end"] for r in results) - min(r["start"] for r in results)
    return claims / elapsed


def _dialer(outdial_id, barrier, spans) -> None:
    from django.db import connection
    from django.utils import timezone

    from outdials import dialing, policy
    from outdials.models import Outdial

    try:
        outdial = Outdial.objects.select_related("policy").get(pk=outdial_id)
        maxima = [1, 0, 0, 0, 0]
        # As a long-running worker has: the zone database read once (the
        # zones open now are then worked out once a minute), and the claim's
        # statements compiled, a third of a second a process (with 300
        # targets, as long as the claims): a claim under the same policy of
        # an outdial with no targets, and the variant with the suppression
        # lists' parts, which that claim did not need.
        policy.claim_conditions(policy.rules_of(outdial), timezone.now())
        warm_up = copy.copy(outdial)
        warm_up.pk = WARM_UP
        dialing.claim(warm_up, max_try_counts=maxima)
        dialing.prepare_claims(outdial, limit=1)
        barrier.wait()
        start, claims = time.perf_counter(), 0
        while dialing.claim(outdial, max_try_counts=maxima, limit=1):
            claims += 1
        spans.put({"claims": claims, "start": start, "end": time.perf_counter()})
    except Exception as error:  # reported by the parent
        spans.put({"error": repr(error)})
    finally:
        connection.close()


def _checks(outdial, targets: int, idle: int = 0) -> dict:
    from django.db.models import Count

    from outdials.models import Attempt, OutdialTarget

    attempts = Attempt.objects.filter(outdial=outdial)
    per_target = attempts.values("outdial_target").annotate(n=Count("pk"))
    checks = {
        "targets": targets,
        "claims": attempts.count(),
        "claimed_twice": per_target.filter(n__gt=1).count(),
        "left_idle": OutdialTarget.objects.filter(
            outdial=outdial, status="idle"
        ).count(),
    }
    attempts.delete()
    wrong = checks["claims"] != targets or checks["left_idle"] != idle
    if wrong or checks["claimed_twice"]:
        raise RuntimeError(f"claims went wrong: {checks}")
    return checks


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(sys.argv[2:], {"measure": _child})
