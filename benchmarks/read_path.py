"""The read path through gunicorn, beside its raw-SQL floor, on each database.

For SQLite (a fresh file) and PostgreSQL (a fresh database, dropped after):
migrate, seed one outdial of 100,000 targets with two destinations each (20,000
with ``--quick``), serve with gunicorn as ``make run`` does (2 sync workers,
``outdialsite/gunicorn.conf.py``) and drive it from a bounded client on
loopback: a fixed number of requests over a fixed number of connections. Each
endpoint is measured in rounds that alternate with its two floors, so all see
the same machine noise: the same queries answered by ``benchmarks/floor/views.py``
in the same Django server (the product with the floor's routes,
``benchmarks.floor.wsgi``: what is left is DRF), and by
``benchmarks/bare/app.py``, a bare WSGI app (psycopg or sqlite3, and orjson)
in its own gunicorn (what is left is the whole framework). The first page is
also measured first of all, right after the seed: the seed ends as an import
does, with ``outdials.statistics``, so that figure is what a dialer polling
right after an import meets.

Targets arrive in bulk writes of 1,000 sharing one ``tm_create`` (as an import
stamps them), offset so that page boundaries fall inside a batch: the page
tokens carry the id tie-breaker, the hardest keyset case.
"""

import contextlib
import http.client
import itertools
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from .harness import at_least, at_most, databases

ROOT = Path(__file__).resolve().parent.parent
BATCH = 1000  # targets per bulk write (one tm_create each)
OUTDIALS = 150  # the customer's outdials: the list endpoint answers a full page
WORKERS = 2
CONNECTIONS = 4
# Against the bare WSGI floor (benchmarks/bare/app.py): a page of 100
# targets is mostly the query and the JSON; one target, or the short list
# of outdials, mostly the fixed cost of a request.
PAGE_VS_BARE, SINGLE_VS_BARE = 0.80, 0.55
JUST_IMPORTED = "first page, right after import"


@contextlib.contextmanager
def fresh_database(kind: str, url: str):
    """A DATABASE_URL for an empty database that is removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="outdials-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    import psycopg

    name = f"outdials_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def server_env(database_url: str) -> dict:
    return os.environ | {
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def child(database_url: str, module: str, *args: str) -> dict:
    """``python -m module *args`` on ``database_url`` (Django is set up once
    per process): the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(database_url: str, targets: int) -> dict:
    """Migrate and seed in a child process."""
    return child(database_url, "benchmarks.read_path", "prepare", str(targets))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    app: str = "benchmarks.floor.wsgi",
    config: str = "outdialsite/gunicorn.conf.py",
):
    """``app`` served with 2 sync workers: by default the service as ``make
    run`` serves it, plus the Django floor's routes; a floor with its own
    ``config``."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--config",
            config,
        ],
        cwd=ROOT,
        env=server_env(database_url),
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )

    def failed(why: str) -> RuntimeError:
        log.seek(0)
        return RuntimeError(f"gunicorn {why}:\n{log.read()[-3000:]}")

    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise failed("exited")
            try:
                get(port, "/v1.0/outdials", {}, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise failed("did not answer in 60 s") from None
                time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def get(port: int, path: str, headers: dict, timeout=30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(port: int, paths: list[str], headers: dict, requests: int) -> dict:
    """``requests`` GETs cycling over ``paths`` on CONNECTIONS connections.

    Gunicorn's sync workers close each connection after its answer, so every
    request pays a connect on loopback, for the API and its floor alike.
    """
    counter = itertools.count()
    latencies: list[float] = []
    failures: list[str] = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while (n := next(counter)) < requests:
            path = paths[n % len(paths)]
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures.append(f"{response.status} {path}")
        conn.close()
        latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return {"elapsed": elapsed, "latencies": latencies}


def walk(port: int, headers: dict, outdial: str, deep: int) -> tuple[str, list[str]]:
    """Follow real page tokens ``deep`` rows in; checks no row repeats."""
    base = f"/v1.0/outdials/{outdial}/targets?page_size=100"
    path, seen = base, []
    while len(seen) < deep:
        status, body = get(port, path, headers)
        if status != 200:
            raise RuntimeError(f"{status} from {path}: {body[:200]!r}")
        page = json.loads(body)
        seen.extend(item["id"] for item in page["result"])
        path = f"{base}&page_token={quote(page['next_page_token'])}"
    if len(set(seen)) != len(seen):
        raise RuntimeError("paging repeated a target")
    return path, seen


def same_answer(kinds, headers: dict, path: str) -> None:
    """Every floor answers exactly what the API answers."""
    (_, port, prefix), *floors = kinds
    real = get(port, prefix + path, headers)
    for kind, port, prefix in floors:
        floor = get(port, prefix + path, headers)
        if real[0] != 200 or json.loads(real[1]) != json.loads(floor[1]):
            raise RuntimeError(f"the {kind} floor does not answer what {path} answers")


def measure(kinds, headers, endpoints, requests, rounds) -> dict:
    """Per endpoint: the API and its floors in short alternating bursts.

    ``kinds`` are ``(name, port, prefix)``: the API, the Django floor in the
    same server, the bare WSGI floor in its own. The machine is shared and
    its load swings over seconds, so each of ``rounds`` bursts of
    ``requests`` sends the API's requests right beside its floors' (in
    rotating order); rates are total requests over total time, so every side
    sees the same swings.
    """
    # Warm all up: first hits load code, and a connection prepares a
    # statement on its fifth run (DATABASE_PREPARE_THRESHOLD), planning it
    # then: past that on each of the workers' connections.
    for paths in endpoints.values():
        for _, port, prefix in kinds:
            load(port, [prefix + p for p in paths], headers, 6 * CONNECTIONS)
    series = {(name, kind): [] for name in endpoints for kind, _, _ in kinds}
    for round_ in range(rounds):
        shift = round_ % len(kinds)
        order = kinds[shift:] + kinds[:shift]
        for name, paths in endpoints.items():
            for kind, port, prefix in order:
                found = load(port, [prefix + p for p in paths], headers, requests)
                series[name, kind].append(found)
    summary = {}
    for key, runs in series.items():
        latencies = sorted(itertools.chain.from_iterable(r["latencies"] for r in runs))
        summary[key] = {
            "rps": len(latencies) / sum(r["elapsed"] for r in runs),
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
            "requests": len(latencies),
        }
    return summary


def run_one(kind: str, url: str, quick: bool) -> list:
    size = 20_000 if quick else 100_000
    deep = size - 1_000
    requests, rounds = (30, 8) if quick else (50, 16)
    started = time.perf_counter()

    def phase(what: str) -> None:
        took = time.perf_counter() - started
        print(f"   {kind}: {what} ({took:.1f} s)", file=sys.stderr, flush=True)

    with fresh_database(kind, url) as database_url:
        seed = prepare(database_url, size)
        phase(f"migrated and imported {size:,} targets")
        headers = {"Authorization": f"Bearer {seed['access_key']}"}
        outdial = seed["outdial"]
        first = f"/v1.0/outdials/{outdial}/targets?page_size=100"
        with (
            gunicorn(database_url) as port,
            gunicorn(
                database_url,
                "benchmarks.bare.app:application",
                "benchmarks/bare/gunicorn.conf.py",
            ) as bare,
        ):
            kinds = (("api", port, ""), ("floor", port, "/bench-floor"))
            kinds += (("bare", bare, ""),)
            # Before anything else reads the list: what a dialer polling right
            # after the import sees (the import refreshed the statistics).
            just_imported = measure(
                kinds, headers, {"first page": [first]}, requests, 2
            )
            phase("measured the first page right after the import")
            deep_path, ids = walk(port, headers, outdial, deep)
            phase(f"walked {len(ids):,} targets by page token")
            step = max(1, len(ids) // 100)
            endpoints = {
                "targets first page": [first],
                f"targets page {deep // 1000}k deep": [deep_path],
                "target by id": [
                    f"/v1.0/outdials/{outdial}/targets/{i}" for i in ids[::step]
                ],
                "outdials list": ["/v1.0/outdials"],
            }
            for paths in endpoints.values():
                same_answer(kinds, headers, paths[0])
            summary = measure(kinds, headers, endpoints, requests, rounds)
            phase("measured")
    figures = []
    summary |= {(JUST_IMPORTED, k): v for (_, k), v in just_imported.items()}
    for name in [JUST_IMPORTED, *endpoints]:
        bare_minimum = PAGE_VS_BARE if "page" in name else SINGLE_VS_BARE
        api = summary[name, "api"]
        for floor_kind, label, minimum in (
            ("floor", "Django floor", 0.60),
            ("bare", "bare WSGI floor", bare_minimum),
        ):
            floor = summary[name, floor_kind]
            figures.append(
                at_least(
                    f"{kind}: {name} vs {label}",
                    api["rps"],
                    "req/s",
                    floor["rps"],
                    minimum,
                    note=(
                        f"p50/p99 {api['p50_ms']:.1f}/{api['p99_ms']:.1f} ms, "
                        f"floor {floor['p50_ms']:.1f}/{floor['p99_ms']:.1f}"
                    ),
                    details={"api": api, "floor": floor},
                )
            )
    first_page = summary["targets first page", "api"]
    deep_page = summary[f"targets page {deep // 1000}k deep", "api"]
    figures.append(
        at_most(
            f"{kind}: deep page p50 vs first page p50",
            deep_page["p50_ms"],
            "ms",
            first_page["p50_ms"],
            1.3,
            note="keyset: depth must not cost",
        )
    )
    return figures


def run(quick: bool) -> list:
    figures = []
    for kind, url in databases():
        figures.extend(run_one(kind, url, quick))
    return figures


# --- the child process: migrate and seed (Django is configured here only) ----


def _rows(model, values: list[dict], connection) -> tuple[list[str], list[tuple]]:
    """Columns and database-ready tuples; missing fields take their default."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.auto_created and not f.generated  # the database writes those
    ]
    given = set().union(*(row.keys() for row in values))
    constant = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if f.attname not in given
    }
    prep = {f.attname: f for f in fields if f.attname in given}
    columns = [f.column for f in fields]
    rows = [
        tuple(
            prep[f.attname].get_db_prep_save(
                row.get(f.attname, f.get_default()), connection
            )
            if f.attname in prep
            else constant[f.attname]
            for f in fields
        )
        for row in values
    ]
    return columns, rows


def _insert(model, values: list[dict]) -> None:
    """Raw bulk insert: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    columns, rows = _rows(model, values, connection)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # Millions of rows outlast the service's statement timeout.
            cursor.execute("SET LOCAL statement_timeout = 0")
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def seed(size: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    from outdials import credentials, statistics
    from outdials.models import Customer, Destination, Outdial, OutdialTarget
    from outdials.search import joined_addresses

    call_command("migrate", verbosity=0, interactive=False)
    base = datetime.now(UTC) - timedelta(days=30)
    with transaction.atomic():
        customer = Customer.objects.create(name="Bench Co")
        other = Customer.objects.create(name="Someone Else")
        _, key = credentials.new_access_key(customer, "bench", "", 86400)
        lists = [
            Outdial(
                customer=customer,
                name=f"campaign list {n}",
                detail="spring renewals",
                data='{"region": "north"}',
                tm_create=base + timedelta(minutes=n),
            )
            for n in range(OUTDIALS)
        ]
        lists.append(Outdial(customer=other, name="not ours"))
        Outdial.objects.bulk_create(lists)
        outdial = lists[0]
        targets, destinations = [], []
        for n in range(size):
            stamp = base + timedelta(seconds=(n + BATCH // 2) // BATCH, microseconds=7)
            target_id = uuid.uuid4()
            targets.append(
                {
                    "id": target_id,
                    "outdial_id": outdial.id,
                    "name": f"customer {n:06d}",
                    "addresses": joined_addresses(
                        [f"+1555{n:07d}", f"customer{n}@example.com"]
                    ),
                    "detail": "renewal due",
                    "data": f'{{"crm_id": {n}}}',
                    "tm_create": stamp,
                    "tm_update": stamp,
                }
            )
            destinations.append(
                {
                    "outdial_target_id": target_id,
                    "index": 0,
                    "type": "tel",
                    "target": f"+1555{n:07d}",
                }
            )
            destinations.append(
                {
                    "outdial_target_id": target_id,
                    "index": 1,
                    "type": "email",
                    "target": f"customer{n}@example.com",
                    "target_name": f"Customer {n}",
                }
            )
        _insert(OutdialTarget, targets)
        _insert(Destination, destinations)
    # What an import does when it is done (outdials.statistics): the first
    # requests after it are measured as a dialer would meet them.
    statistics.refresh_after_bulk_write(size, OutdialTarget, Destination)
    return {"outdial": str(outdial.id), "access_key": key}


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outdialsite.settings")
        import django

        django.setup()
        print(json.dumps(seed(int(sys.argv[2]))))
