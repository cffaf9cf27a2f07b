"""Claims and imports against a 1,000,000-entry suppression list, beside the
same without one (issue 16), on SQLite and PostgreSQL.

A child process per database migrates a fresh one and measures, first with
no suppression entry at all, then after loading the list (the driver's bulk
path: COPY on PostgreSQL, executemany on SQLite) with one list of scope
``all``:

- claims per second: ``dialing.claim(limit=1)`` from 1 and 4 forked dialers
  draining the outdial (``claim.py``'s race), each target's number distinct;
  the list holds a million other numbers around them (the same leading
  digits), two prefixes, and the numbers of a few extra targets, which must
  never be handed out. Medians of ``ROUNDS``; target: with ≥ 0.8× without.
- an import of the 100,000-row file of ``import.py`` (``import_csv``), whose
  rows are all valid and distinct; with the list, 100 of its numbers are on
  it (those rows are skipped). In alternating rounds once the list is
  loaded, applying or not; medians of ``ROUNDS``; target: with ≤ 1.3×
  without.

- claims per second of one dialer (``limit=1``) draining 1,000 targets
  behind 1,000 older ones whose every number is suppressed (a list of
  those numbers, scope: that outdial), beside the same drain without the
  suppressed ones, in alternating rounds on a fresh database (its own
  worker, before the big list): a claim passes over such targets from
  their mark, not by looking their numbers up again. Medians of ``ROUNDS``;
  target: with ≥ 0.8× without.

``python -m benchmarks suppression`` (``--quick``: 100,000 entries, 1 round).
"""

import importlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .harness import at_least, at_most, databases, in_worker, plain, worker_main
from .read_path import fresh_database

ENTRIES = 1_000_000
QUICK_ENTRIES = 100_000
TARGETS = 2000
QUICK_TARGETS = 500
LISTED_TARGETS = 20
ROUNDS = 3
WORKERS = (1, 4)
CLAIM_MINIMUM = 0.80
IMPORT_MAXIMUM = 1.30
IMPORT_LISTED_EVERY = 1000  # one row in this many has a listed number
FRONT = 1000  # fully suppressed targets in front of as many others
FRONT_MINIMUM = 0.80


def run(quick: bool) -> list:
    entries = QUICK_ENTRIES if quick else ENTRIES
    targets = QUICK_TARGETS if quick else TARGETS
    rounds = 1 if quick else ROUNDS
    figures = []
    with tempfile.TemporaryDirectory(prefix="outdials-bench-suppress-") as folder:
        path = Path(folder) / "100k.csv"
        importlib.import_module("benchmarks.import").write_file(path, 100_000)
        for kind, url in databases():
            with fresh_database(kind, url) as database_url:
                front = in_worker("suppression", database_url, "front", str(rounds))
            print(f"   {kind} front: {json.dumps(front)}", file=sys.stderr, flush=True)
            figures += _front_figures(kind, front, rounds)
            with fresh_database(kind, url) as database_url:
                found = in_worker(
                    "suppression",
                    database_url,
                    "measure",
                    *map(str, (entries, targets, rounds, path)),
                )
            # Each database's figures as soon as they are measured.
            print(f"   {kind}: {json.dumps(found)}", file=sys.stderr, flush=True)
            figures += _figures(kind, found, entries, rounds)
    return figures


def _figures(kind: str, found: dict, entries: int, rounds: int) -> list:
    label = f"{entries // 1000:,}k" if entries < 1_000_000 else "1M"
    figures = []
    for workers, without, with_list in found["claims"]:
        figures.append(
            at_least(
                f"claim {kind} {workers} worker{'s' if workers > 1 else ''} "
                f"with a {label}-entry suppression list",
                with_list,
                "claims/s",
                without,
                CLAIM_MINIMUM,
                note=f"floor: the same drain without a list; medians of {rounds}",
            )
        )
    figures.append(
        at_most(
            f"import 100k against a {label}-entry suppression list ({kind})",
            found["import_with"],
            "s",
            found["import_without"],
            IMPORT_MAXIMUM,
            note=f"floor: the same import without a list; medians of {rounds}; "
            f"{found['import_suppressed']} rows suppressed",
        )
    )
    figures.append(
        plain(
            f"claim {kind} suppressed addresses handed out",
            found["handed_out"],
            "addresses",
            note=f"load of the list: {found['load_seconds']:.1f} s",
        )
    )
    return figures


def _front_figures(kind: str, found: dict, rounds: int) -> list:
    return [
        at_least(
            f"claim {kind} 1 worker behind {FRONT:,} fully suppressed targets",
            found["with_front"],
            "claims/s",
            found["without_front"],
            FRONT_MINIMUM,
            note=f"floor: the same {FRONT:,} targets alone; medians of {rounds}; "
            f"{found['handed_out']} suppressed addresses handed out",
        )
    ]


# --- the child processes -------------------------------------------------------


def _front_child(rounds: str) -> dict:
    """One dialer draining ``FRONT`` targets, with and without ``FRONT``
    older targets whose number is suppressed, in alternating rounds."""
    from django.core.management import call_command
    from django.db import connections

    from outdials import suppression
    from outdials.models import Attempt, Customer, Outdial, SuppressionEntry

    call_command("migrate", verbosity=0)
    customer = Customer.objects.create(name="bench")
    outdial = Outdial.objects.create(customer=customer, name="front")
    listed = [_number(10 * FRONT + n) for n in range(FRONT)]
    made = suppression.create_list(
        customer, name="front", scope="chosen", outdials=[outdial]
    )
    SuppressionEntry.objects.bulk_create(
        [
            SuppressionEntry(list=made, type="tel", address=a, source="bench")
            for a in listed
        ],
        batch_size=500,
    )
    claim = importlib.import_module("benchmarks.claim")
    rates: dict[bool, list] = {False: [], True: []}
    handed_out = 0
    for _ in range(int(rounds)):
        for front in (False, True):
            _seed(outdial, FRONT, extra=listed if front else [], extra_first=True)
            connections.close_all()  # the dialer is forked
            rates[front].append(claim._claim_race(outdial.pk, 1))
            attempts = Attempt.objects.filter(outdial=outdial)
            handed_out += attempts.filter(address__in=listed).count()
            if attempts.count() != FRONT:
                raise RuntimeError(f"{attempts.count()} claims, not {FRONT}")
            attempts.delete()
    return {
        "without_front": statistics.median(rates[False]),
        "with_front": statistics.median(rates[True]),
        "rounds": rates,
        "handed_out": handed_out,
    }


def _child(entries: str, targets: str, rounds: str, path: str) -> dict:
    entries, targets, rounds = int(entries), int(targets), int(rounds)
    from django.core.management import call_command

    from outdials.models import Customer, Outdial

    call_command("migrate", verbosity=0)
    customer = Customer.objects.create(name="bench")
    outdial = Outdial.objects.create(customer=customer, name="bench")
    without = {w: _claims(outdial, targets, w, rounds) for w in WORKERS}
    started = time.perf_counter()
    listed, registry = _load(customer, entries, targets)
    load_seconds = time.perf_counter() - started
    with_list = {w: _claims(outdial, targets, w, rounds, listed) for w in WORKERS}
    # Imports in alternating rounds, the list applying or not (scope
    # ``chosen`` of no outdial: the importer then looks nothing up, as
    # without a list), so both see the same machine.
    import_without, import_with, suppressed = [], [], 0
    for _ in range(rounds):
        registry.scope = "chosen"
        registry.save()
        seconds, _ = _import(customer, path)
        import_without.append(seconds)
        registry.scope = "all"
        registry.save()
        seconds, suppressed = _import(customer, path)
        import_with.append(seconds)
    import_without = statistics.median(import_without)
    import_with = statistics.median(import_with)
    handed_out = sum(n for _, n in with_list.values())
    return {
        "claims": [(w, without[w][0], with_list[w][0]) for w in WORKERS],
        "import_without": import_without,
        "import_with": import_with,
        "import_suppressed": suppressed,
        "handed_out": handed_out,
        "load_seconds": load_seconds,
    }


def _number(n: int) -> str:
    return f"+1555{n:07d}"


def _claims(outdial, targets: int, workers: int, rounds: int, listed=()) -> tuple:
    """Median claims/s of ``rounds`` drains; and how many listed numbers
    were handed out (must be 0)."""
    from django.db import connections

    from outdials.models import Attempt

    claim = importlib.import_module("benchmarks.claim")
    rates, handed_out = [], 0
    for _ in range(rounds):
        _seed(outdial, targets)
        connections.close_all()  # the dialers are forked
        rates.append(claim._claim_race(outdial.pk, workers))
        attempts = Attempt.objects.filter(outdial=outdial)
        handed_out += attempts.filter(address__in=list(listed)).count()
        # Without the list, the extra targets are claimed too.
        expected = targets if listed else targets + LISTED_TARGETS
        if attempts.count() != expected:
            raise RuntimeError(f"{attempts.count()} claims, not {expected}")
        attempts.delete()
    return statistics.median(rates), handed_out


def _seed(outdial, count: int, extra=None, extra_first=False) -> None:
    """``count`` targets with distinct numbers, then the listed ones (newest,
    so a drain passes over them only at its end); ``extra`` numbers instead
    of those, first (oldest) with ``extra_first``."""
    from datetime import timedelta

    from django.utils import timezone

    from outdials.models import Destination, OutdialTarget

    OutdialTarget.objects.filter(outdial=outdial).delete()
    now = timezone.now()
    numbers = [_number(n) for n in range(count)]
    if extra is None:
        extra = [_number(10 * count + n) for n in range(LISTED_TARGETS)]
    numbers = [*extra, *numbers] if extra_first else [*numbers, *extra]
    rows = OutdialTarget.objects.bulk_create(
        [
            OutdialTarget(
                outdial=outdial,
                tm_create=now + timedelta(microseconds=n),
                tm_update=now,
            )
            for n in range(len(numbers))
        ],
        batch_size=1000,
    )
    Destination.objects.bulk_create(
        [
            Destination(outdial_target=row, index=0, type="tel", target=number)
            for row, number in zip(rows, numbers, strict=True)
        ],
        batch_size=1000,
    )


def _import(customer, path: str) -> tuple[float, int]:
    """Seconds to import the file into a new outdial (removed after), and
    the rows suppressed."""
    from outdials.importing import import_csv
    from outdials.models import Outdial

    outdial = Outdial.objects.create(customer=customer, name="import")
    started = time.perf_counter()
    with open(path, "rb") as stream:
        report = import_csv(outdial, stream, region="US", on_error="skip")
    seconds = time.perf_counter() - started
    _drop_targets(outdial)
    return seconds, report.suppressed


def _drop_targets(outdial) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        key = outdial.pk.hex if connection.vendor == "sqlite" else outdial.pk
        cursor.execute(
            "DELETE FROM outdials_destination WHERE outdial_target_id IN"
            " (SELECT id FROM outdials_outdialtarget WHERE outdial_id = %s)",
            [key],
        )
        cursor.execute(
            "DELETE FROM outdials_outdialtarget WHERE outdial_id = %s", [key]
        )
        cursor.execute("DELETE FROM outdials_importbatch WHERE outdial_id = %s", [key])
        cursor.execute("DELETE FROM outdials_outdial WHERE id = %s", [key])


def _load(customer, entries: int, targets: int) -> tuple[list[str], object]:
    """The list of scope ``all``: the listed targets' numbers, every
    ``IMPORT_LISTED_EVERY``-th number of the file, two prefixes, and fillers
    around the targets' numbers. Answers the listed targets' numbers and
    the list."""
    import phonenumbers
    from django.db import connection, transaction
    from django.utils import timezone

    from outdials import statistics as planner
    from outdials import suppression

    importer = importlib.import_module("benchmarks.import")
    listed = suppression.create_list(customer, name="registry")
    targets_listed = [_number(10 * targets + n) for n in range(LISTED_TARGETS)]
    from_file = [
        phonenumbers.format_number(
            phonenumbers.parse(importer.national(i), "US"),
            phonenumbers.PhoneNumberFormat.E164,
        )
        for i in range(0, 100_000, IMPORT_LISTED_EVERY)
    ]
    rows = [("address", a) for a in targets_listed + from_file]
    rows += [("prefix", "+1900"), ("prefix", "+1976")]
    n = 20 * targets
    while len(rows) < entries:
        rows.append(("address", _number(n)))
        n += 1
    now = timezone.now()
    list_id = listed.pk if connection.vendor == "postgresql" else listed.pk.hex
    values = [
        (list_id, kind, "tel", address, "", "bench", now) for kind, address in rows
    ]
    columns = "list_id, kind, type, address, reason, source, tm_create"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A bulk load outlasts the service's statement timeout.
            cursor.execute("SET LOCAL statement_timeout = 0")
            copy = f"COPY outdials_suppressionentry ({columns}) FROM STDIN"
            with cursor.cursor.copy(copy) as stream:
                for row in values:
                    stream.write_row(row)
        else:
            stamp = str(now.replace(tzinfo=None))
            cursor.executemany(
                f"INSERT INTO outdials_suppressionentry ({columns})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(*row[:6], stamp) for row in values],
            )
    from outdials.models import SuppressionEntry

    planner.refresh_after_bulk_write(len(values), SuppressionEntry)
    return targets_listed, listed


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(sys.argv[2:], {"measure": _child, "front": _front_child})
