"""CSV import of 100,000 rows beside its floor, on SQLite and PostgreSQL.

The file: a header and 100,000 rows of ``name,destination_0,destination_1``,
each row a national US number (``(202) 204-1234``) and an international one
(``+44 20 7101 2345``, ``+33 1 42 …``, ``+49 30 …``, ``+61 2 9…``), all distinct
and all valid, so every row is created.

The floor, measured in the same run on the same database: the time to
normalize the same 200,000 numbers with phonenumbers (``parse``,
``is_possible_number``, ``is_valid_number`` — the importer must reject the
impossible and warn about the unassigned — and ``format_number`` to E.164,
without a cache), plus the time to insert the same 100,000 targets and 200,000
destinations with the driver's bulk path (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) in one committed transaction, from tuples built beforehand.
Target: the import (``import_csv`` on the file, read from disk) takes at most
2.5× the floor.

Every measurement runs in its own process on its own fresh copy of a migrated
database, so peak memory is the import's own ``ru_maxrss`` (Django and Python
included); target under 300 MB. The full run adds 1,000,000 rows, which should
take at most 11× the 100,000-row time; beside the wall-clock ratio, which drifts
with the load of a shared machine, it gives the ratio of the importing
process's CPU time.

Beside it, the same 100,000 rows as an .xlsx workbook (written by openpyxl,
read by python-calamine through the same pipeline), as a ratio to the CSV
import of the same run.

``python -m benchmarks import`` (``--quick``: the 100,000-row figures only, one
round instead of the median of three).
"""

import contextlib
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .harness import Figure, at_most, databases, in_worker, plain, worker_main

ROOT = Path(__file__).resolve().parent.parent
ROWS = 100_000
BIG_ROWS = 1_000_000
MEMORY_LIMIT_MB = 300
AREAS = ("202", "212", "305", "312", "415", "617", "713", "206", "303", "404")


# -- the file -------------------------------------------------------------------


def national(i: int) -> str:
    k = i // len(AREAS)
    return f"({AREAS[i % len(AREAS)]}) {200 + k // 10000}-{k % 10000:04d}"


def international(i: int) -> str:
    country, k = i % 4, i // 4
    if country == 0:
        return f"+44 20 7{100 + k // 10000:03d} {k % 10000:04d}"
    if country == 1:
        return f"+33 1 42 {k // 10000 % 100:02d} {k // 100 % 100:02d} {k % 100:02d}"
    if country == 2:
        return f"+49 30 {20000000 + k}"
    return f"+61 2 9{k // 10000 % 1000:03d} {k % 10000:04d}"


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("People")
    sheet.append(["name", "destination_0", "destination_1"])
    for i in range(rows):
        sheet.append([f"Person {i}", national(i), international(i)])
    book.save(path)


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "destination_0", "destination_1"])
        for i in range(rows):
            writer.writerow([f"Person {i}", national(i), international(i)])


# -- databases ------------------------------------------------------------------


def _run_worker(url: str, *args: str) -> dict:
    return in_worker("import", url, *args)


class Databases:
    """A migrated template per database kind, and a fresh copy for each run."""

    def __init__(self, kind: str, url: str, folder: Path):
        self.kind, self.url, self.folder = kind, url, folder
        self.created: list[str] = []
        self.template = self._new_name()
        if kind == "sqlite":
            self.template_url = f"sqlite:///{folder / self.template}.sqlite3"
        else:
            self._admin(f'CREATE DATABASE "{self.template}"')
            self.template_url = self._url_for(self.template)
        _run_worker(self.template_url, "migrate")

    def _new_name(self) -> str:
        name = f"outdials_bench_import_{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        return name

    def _url_for(self, name: str) -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)

    def fresh(self) -> str:
        name = self._new_name()
        if self.kind == "sqlite":
            target = self.folder / f"{name}.sqlite3"
            shutil.copyfile(self.folder / f"{self.template}.sqlite3", target)
            return f"sqlite:///{target}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._url_for(name)

    def drop(self, url: str) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}"')

    def close(self) -> None:
        if self.kind == "postgresql":
            for name in self.created:
                with contextlib.suppress(Exception):
                    self._admin(f'DROP DATABASE IF EXISTS "{name}"')


def measure(db: Databases, mode: str, path: Path) -> dict:
    url = db.fresh()
    try:
        return _run_worker(url, mode, str(path))
    finally:
        db.drop(url)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="outdials-bench-import-") as tmp:
        folder = Path(tmp)
        small = folder / "100k.csv"
        write_file(small, ROWS)
        write_xlsx(folder / "100k.xlsx", ROWS)
        big = None
        if not quick:
            big = folder / "1m.csv"
            write_file(big, BIG_ROWS)
        for kind, url in databases():
            db = Databases(kind, url, folder)
            try:
                figures += _figures(kind, db, small, big, rounds)
            finally:
                db.close()
    return figures


def _figures(kind, db, small: Path, big: Path | None, rounds: int) -> list[Figure]:
    imports, floors, normalize, insert, memory, cpu = [], [], [], [], [], []
    sheets, sheet_memory = [], []
    jobs = []
    for _ in range(rounds):
        floor = measure(db, "floor", small)
        done = measure(db, "import", small)
        job = measure(db, "job", small)
        assert job["created"] == ROWS, job
        jobs.append(job["seconds"])
        assert done["created"] == ROWS, done
        workbook = measure(db, "import", small.with_suffix(".xlsx"))
        assert workbook["created"] == ROWS, workbook
        sheets.append(workbook["seconds"])
        sheet_memory.append(workbook["maxrss_mb"])
        imports.append(done["seconds"])
        cpu.append(done["cpu"])
        memory.append(done["maxrss_mb"])
        normalize.append(floor["normalize"])
        insert.append(floor["insert"])
        floors.append(floor["normalize"] + floor["insert"])
    took, floor = median(imports), median(floors)
    note = (
        f"floor = normalize {median(normalize):.2f} s + "
        f"{'COPY' if kind == 'postgresql' else 'executemany'} "
        f"{median(insert):.2f} s; {ROWS / took:,.0f} rows/s"
    )
    figures = [
        at_most(f"import 100k rows ({kind})", took, "s", floor, 2.5, note),
        Figure(
            f"import 100k peak memory ({kind})",
            max(memory),
            "MB",
            target=f"< {MEMORY_LIMIT_MB} MB",
            ok=max(memory) < MEMORY_LIMIT_MB,
            note="ru_maxrss of the importing process",
        ),
        at_most(
            f"import 100k as a job, end to end ({kind})",
            median(jobs),
            "s",
            took,
            1.15,
            "floor = the direct import; from queueing the upload to the job done, "
            "with a running db_worker",
        ),
    ]
    figures += [
        at_most(
            f"import 100k rows .xlsx ({kind})",
            median(sheets),
            "s",
            took,
            1.5,
            f"floor = the same rows as CSV; {ROWS / median(sheets):,.0f} rows/s",
        ),
        Figure(
            f"import 100k .xlsx peak memory ({kind})",
            max(sheet_memory),
            "MB",
            target=f"< {MEMORY_LIMIT_MB} MB",
            ok=max(sheet_memory) < MEMORY_LIMIT_MB,
            note="ru_maxrss; calamine holds the sheet's cells",
        ),
    ]
    if big is not None:
        done = measure(db, "import", big)
        assert done["created"] == BIG_ROWS, done
        figures.append(
            at_most(
                f"import 1M rows ({kind})",
                done["seconds"],
                "s",
                took,
                11.0,
                f"floor = the 100k import; {BIG_ROWS / done['seconds']:,.0f} rows/s",
            )
        )
        # Wall time on a shared machine drifts over minutes; the importing
        # process's own CPU time shows how the work itself scales.
        figures.append(
            at_most(
                f"import 1M CPU time ({kind})",
                done["cpu"],
                "s",
                median(cpu),
                11.0,
                "floor = the 100k import's CPU time"
                + ("; COPY's server side not counted" if kind == "postgresql" else ""),
            )
        )
        figures.append(
            Figure(
                f"import 1M peak memory ({kind})",
                done["maxrss_mb"],
                "MB",
                target=f"< {MEMORY_LIMIT_MB} MB",
                ok=done["maxrss_mb"] < MEMORY_LIMIT_MB,
                note="ru_maxrss of the importing process",
            )
        )
    figures.append(plain(f"import floor 100k ({kind})", floor, "s", note))
    return figures


# -- the worker (a fresh process per measurement) -------------------------------


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _setup_outdial():
    from outdials.models import Customer, Outdial

    customer = Customer.objects.create(name="bench")
    return Outdial.objects.create(customer=customer, name="bench")


def _worker_import(path: str) -> dict:
    from outdials.importing import import_csv

    outdial = _setup_outdial()
    cpu = _cpu_seconds()
    started = time.perf_counter()
    with open(path, "rb") as stream:
        report = import_csv(
            outdial,
            stream,
            file_name=Path(path).name,
            region="US",
            on_error="skip",
        )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": _cpu_seconds() - cpu,
        "created": report.created,
        "invalid": report.invalid,
        "maxrss_mb": _peak_mb(),
    }


def _worker_job(path: str) -> dict:
    """A 100k import as a job: a real ``db_worker`` beside, the clock from
    queueing the file (as the API and the upload page do) to the job done."""
    from django.conf import settings

    from outdials.importing.background import queue_import
    from outdials.models import ImportBatch

    outdial = _setup_outdial()
    media = tempfile.mkdtemp(prefix="outdials-bench-media-")
    settings.MEDIA_ROOT = media
    env = {**os.environ, "OUTDIALS_MEDIA_ROOT": media}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload"]
        + ["--no-startup-delay", "--interval", "0.2", "-v", "0"],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)  # the worker's start-up is not the import's
        started = time.perf_counter()
        with open(path, "rb") as stream:
            batch = queue_import(outdial, stream, region="US", on_error="skip")
        while True:
            batch.refresh_from_db()
            if batch.is_finished:
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)
    assert batch.status == "done", (batch.status, batch.error_message)
    assert ImportBatch.objects.count() == 1
    return {"seconds": seconds, "created": batch.created}


def _normalize(numbers: list[str]) -> list[str]:
    import phonenumbers

    e164 = phonenumbers.PhoneNumberFormat.E164
    out = []
    for text in numbers:
        parsed = phonenumbers.parse(text, "US")
        if phonenumbers.is_possible_number(parsed):
            phonenumbers.is_valid_number(parsed)
            out.append(phonenumbers.format_number(parsed, e164))
    return out


def _worker_floor(path: str) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from outdials.models import Destination, ImportBatch, OutdialTarget

    outdial = _setup_outdial()
    with open(path, encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))[1:]
    numbers = [cell for row in rows for cell in row[1:]]
    started = time.perf_counter()
    normalized = _normalize(numbers)
    normalize = time.perf_counter() - started
    assert len(normalized) == len(numbers)

    batch = ImportBatch.objects.create(outdial=outdial)
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    targets, destinations = [], []
    for i, row in enumerate(rows):
        target_id = uuid.uuid4().hex
        targets.append(
            (target_id, outdial.pk.hex, batch.pk.hex, row[0], "", "", "idle")
            + (stamp, stamp)
        )
        for slot in (0, 1):
            destinations.append(
                (target_id, slot, "tel", normalized[2 * i + slot], "", "", "", 0)
            )
    target_columns = (
        "id, outdial_id, import_batch_id, name, detail, data, status, tm_create, "
        "tm_update"
    )
    destination_columns = (
        'outdial_target_id, "index", type, target, target_name, name, detail, try_count'
    )
    tables = (OutdialTarget._meta.db_table, Destination._meta.db_table)
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as wrapper:
                for table, columns, values in (
                    (tables[0], target_columns, targets),
                    (tables[1], destination_columns, destinations),
                ):
                    sql = f"COPY {table} ({columns}) FROM STDIN"
                    with wrapper.cursor.copy(sql) as copy:
                        for value in values:
                            copy.write_row(value)
        else:
            raw = connection.connection
            raw.executemany(
                f"INSERT INTO {tables[0]} ({target_columns}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                targets,
            )
            raw.executemany(
                f"INSERT INTO {tables[1]} ({destination_columns}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?)",
                destinations,
            )
    insert = time.perf_counter() - started
    return {"normalize": normalize, "insert": insert, "maxrss_mb": _peak_mb()}


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(
        sys.argv[2:],
        {"import": _worker_import, "job": _worker_job, "floor": _worker_floor},
    )
