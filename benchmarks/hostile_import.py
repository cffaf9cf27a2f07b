"""Imports of hostile files cost what a plain file of the same size costs.

Two shapes once made an import quadratic, and each is timed beside a plain
file of the same size, imported the same way in the same process (SQLite):

- **50,000 columns**: a header of 50,000 distinct names and one row, against
  ten imports of a header of 5,000 and one row: the same columns to check, in
  files a tenth as wide (a quadratic check would cost ten times as much).
  Target ≤ 1.5×.
- **100,000 numbers in an arithmetic progression** whose step is a Fibonacci
  number (46,368: the step that made the old Fibonacci-hashed table probe
  thousands of slots per number), against 100,000 random numbers of the same
  range. Both the import of the file and a one-row import into the outdial
  that then holds them (the addresses already in it are loaded too). Target
  ≤ 1.5× each.

Every figure is the median of three rounds (one with ``--quick``, which also
uses 20,000 numbers). ``python -m benchmarks hostile_import``.
"""

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .harness import Figure, at_most, in_worker, worker_main

WIDE, NARROW = 50_000, 5_000
NUMBERS, QUICK_NUMBERS = 100_000, 20_000
STEP = 46_368  # a Fibonacci number
FIRST = 12_002_000_000  # +1 200 200 0000: every number below is a possible one
RATIO = 1.5


# -- the files ------------------------------------------------------------------


def wide_file(path: Path, columns: int, rows: int) -> None:
    labels = ["destination_0"] + [f"extra_{i}" for i in range(columns - 1)]
    with path.open("w") as out:
        out.write(",".join(labels) + "\n")
        for i in range(rows):
            out.write(f"+1202{2000000 + i:07d}" + "," * (columns - 1) + "\n")


def numbers_file(path: Path, numbers: list[int]) -> None:
    with path.open("w") as out:
        out.write("name,destination_0\n")
        out.writelines(f"p{i},+{n}\n" for i, n in enumerate(numbers))


def progression(count: int) -> list[int]:
    return [FIRST + i * STEP for i in range(count)]


def scattered(count: int) -> list[int]:
    rng = random.Random(19)
    return rng.sample(range(FIRST, FIRST + count * STEP), count)


# -- the run --------------------------------------------------------------------


def run(quick: bool) -> list[Figure]:
    count = QUICK_NUMBERS if quick else NUMBERS
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="outdials-bench-hostile-") as tmp:
        folder = Path(tmp)
        files = {
            "wide": folder / "wide.csv",
            "narrow": folder / "narrow.csv",
            "progression": folder / "progression.csv",
            "random": folder / "random.csv",
            "one": folder / "one.csv",
        }
        wide_file(files["wide"], WIDE, 1)
        wide_file(files["narrow"], NARROW, 1)
        numbers_file(files["progression"], progression(count))
        numbers_file(files["random"], scattered(count))
        numbers_file(files["one"], [19_999_999_999])
        db = folder / "bench.sqlite3"
        _worker(db, "migrate")
        rounds_done = [
            _worker(db, "measure", str(i), *map(str, files.values()))
            for i in range(rounds)
        ]
    times = {
        name: statistics.median(done[name] for done in rounds_done)
        for name in rounds_done[0]
    }
    words = f"{count:,} numbers, step {STEP:,}"
    return [
        at_most(
            f"import {WIDE:,} columns vs 10 × {NARROW:,}",
            times["wide"],
            "s",
            times["narrow"],
            RATIO,
            f"floor: {WIDE // NARROW} imports of {NARROW:,} columns",
        ),
        at_most(
            "import numbers in progression vs random",
            times["progression"],
            "s",
            times["random"],
            RATIO,
            f"{words}; floor: as many random numbers",
        ),
        at_most(
            "one-row import beside a progression vs random",
            times["one_after_progression"],
            "s",
            times["one_after_random"],
            RATIO,
            f"into the outdial holding the {words}; floor: the random one",
        ),
    ]


def _worker(db: Path, *args: str) -> dict:
    return in_worker("hostile_import", f"sqlite:///{db}", *args)


# -- the worker (its own process, its own database file) ------------------------


def _import(outdial, path: str) -> tuple[float, object]:
    from outdials.importing import import_csv

    started = time.perf_counter()
    with open(path, "rb") as stream:
        report = import_csv(outdial, stream, region="US", on_error="skip")
    return time.perf_counter() - started, report


def _measure(order, wide, narrow, progression_path, random_path, one) -> dict:
    from outdials.models import Customer, Outdial

    customer = Customer.objects.create(name="bench")

    def fresh():
        return Outdial.objects.create(customer=customer, name="bench")

    result = {"wide": _import(fresh(), wide)[0]}
    result["narrow"] = sum(_import(fresh(), narrow)[0] for _ in range(WIDE // NARROW))
    pairs = [("progression", progression_path), ("random", random_path)]
    if order:  # alternate which goes first, round by round
        pairs.reverse()
    for name, path in pairs:
        outdial = fresh()
        result[name], report = _import(outdial, path)
        assert report.created == report.rows, (name, report.as_dict()["errors"][:3])
        result[f"one_after_{name}"], report = _import(outdial, one)
        assert report.created == 1, name
    return result


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(
        sys.argv[2:],
        {"measure": lambda order, *files: _measure(int(order) % 2, *files)},
    )
