"""A million-row import on SQLite while clients use the API (by hand, not CI).

``python -m benchmarks.sqlite_import_under_load [--rows N] [--clients N]``

On a fresh SQLite database, gunicorn (as production starts it, from the project
root) and one job worker; a customer and an outdial of 1,000 targets; then the
import of a CSV of ``--rows`` realistic rows (name, detail, two numbers, as a
CRM writes them) through ``POST …/targets/import``, which the worker runs,
while ``--clients`` threads call the API for the import's whole length: a
target by id (timed), a page of the targets list, and a new target (a write),
in turn. It prints the answers ≥ 500, p50/p99 of the read by id, the import's
duration and the machine's load, and fails unless no answer was ≥ 500 and the
read's p99 is under 1 s. Then it times a streamed export of the whole outdial
(the longest request the service answers inline; the worker timeout of
outdialsite/gunicorn.conf.py is chosen from it).

Takes several minutes (about 90 s of import per million rows on an idle
machine, more beside clients).
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests import live

from .harness import uptime

SEEDED = 1000


def write_csv(path: Path, rows: int) -> int:
    """A CRM's export: a name, a detail, a mobile and an office number."""
    with path.open("w", newline="") as out:
        out.write("name,detail,destination_0,destination_1\n")
        for i in range(rows):
            out.write(
                f"Customer {i:07d} Example,"
                f'"Account {i % 9973}, renewal due; prefers mornings",'
                f"+1 202-{200 + i // 10_000:03d}-{i % 10_000:04d},"
                f"(312) {200 + i // 10_000:03d}-{i % 10_000:04d}\n"
            )
    return path.stat().st_size


def upload(server, path: str, name: str, size: int, bearer: dict) -> tuple:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    try:
        with open(name, "rb") as body:
            conn.request(
                "POST",
                path,
                body=body,
                headers={**bearer, "Content-Type": "text/csv"}
                | {"Content-Length": str(size)},
            )
            answer = conn.getresponse()
            return answer.status, answer.getheader("Location"), answer.read()
    finally:
        conn.close()


class Clients:
    """Threads calling the API in turn until stopped; each answer counted."""

    def __init__(self, server, outdial: str, bearer: dict, targets: list[str]):
        self.server, self.outdial, self.bearer = server, outdial, bearer
        self.targets = targets
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.read_times: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.numbers = itertools.count()

    def call(self, method, path, body=None) -> tuple[int, float, bytes]:
        started = time.perf_counter()
        try:
            status, answer = live.request(
                self.server, method, path, body, self.bearer, timeout=120
            )
        except OSError as error:  # no answer at all counts as a failure
            status, answer = 599, repr(error).encode()
        took = time.perf_counter() - started
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.failures.append(f"{method} {path}: {status} {answer[:200]!r}")
        return status, took, answer

    def run(self, n: int) -> None:
        base = f"/v1.0/outdials/{self.outdial}/targets"
        for turn in itertools.count(n):
            if self.stop.is_set():
                return
            kind = turn % 3
            if kind == 0:
                target = self.targets[turn * 7919 % len(self.targets)]
                status, took, _ = self.call("GET", f"{base}/{target}")
                if status == 200:
                    with self.lock:
                        self.read_times.append(took)
            elif kind == 1:
                self.call("GET", f"{base}?page_size=50")
            else:
                k = next(self.numbers)
                self.call(
                    "POST",
                    base,
                    {
                        "name": f"walk-in {k}",
                        "destination_0": {
                            "type": "tel",
                            "target": f"+1415{200 + k // 10_000:03d}{k % 10_000:04d}",
                        },
                    },
                )


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sqlite_import_under_load"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"start: {uptime()}", flush=True)
    with (
        live.fresh_database("sqlite") as url,
        tempfile.TemporaryDirectory(prefix="outdials-media-") as media,
    ):
        csv_path = Path(media, "crm.csv")
        size = write_csv(csv_path, args.rows)
        print(f"CSV: {args.rows:,} rows, {size / 2**20:.1f} MiB", flush=True)
        env = live.environment(url, OUTDIALS_MEDIA_ROOT=media)
        live.prepare(env)
        with live.gunicorn(env) as server, live.job_worker(env):
            bearer = {"Authorization": f"Bearer {live.login(server)}"}
            _, body = live.request(
                server, "POST", "/v1.0/outdials", {"name": "big"}, bearer
            )
            outdial = json.loads(body)["id"]
            base = f"/v1.0/outdials/{outdial}/targets"
            seed = "name,destination_0\n" + "".join(
                f"seed {i},+1646{200 + i // 10_000:03d}{i % 10_000:04d}\n"
                for i in range(SEEDED)
            )
            status, body = live.request(
                server, "POST", f"{base}/import?wait=25", seed.encode(),
                {**bearer, "Content-Type": "text/csv"}, timeout=60,
            )  # fmt: skip
            assert status == 200, body
            _, body = live.request(server, "GET", f"{base}?page_size=100", None, bearer)
            targets = [t["id"] for t in json.loads(body)["result"]]

            clients = Clients(server, outdial, bearer, targets)
            threads = [
                threading.Thread(target=clients.run, args=(n,))
                for n in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            started = time.perf_counter()
            status, location, body = upload(
                server, f"{base}/import", str(csv_path), size, bearer
            )
            uploaded = time.perf_counter() - started
            assert status == 202, (status, body[:500])
            # The import's progress, once every 5 s, counted like a client's read.
            while True:
                status, took, body = clients.call("GET", location)
                if status == 200:
                    job = json.loads(body)
                    print(f"  {time.perf_counter() - started:6.0f} s "
                          f"{job['status']} {job['progress']} "
                          f"(answered in {took:.2f} s)", flush=True)  # fmt: skip
                    if job["status"] not in ("queued", "running"):
                        break
                time.sleep(5)
            duration = time.perf_counter() - started
            clients.stop.set()
            for thread in threads:
                thread.join()
            print(f"end of import: {uptime()}", flush=True)

            export_started = time.perf_counter()
            status, exported = live.request(
                server, "GET", f"{base}/export", None, bearer, timeout=600
            )
            export_took = time.perf_counter() - export_started
            export_lines = exported.count(b"\n") - 1

    reads = clients.read_times
    p50, p99 = percentile(reads, 50), percentile(reads, 99)
    failures = sum(n for code, n in clients.statuses.items() if code >= 500)
    print(f"import: {job['status']}, report {job.get('progress')}")
    print(
        f"import duration: {duration:.1f} s (upload answered 202 in {uploaded:.1f} s)"
    )
    print(f"answers during the import: {dict(sorted(clients.statuses.items()))}")
    print(f"answers >= 500: {failures}")
    for line in clients.failures[:10]:
        print(f"  {line}")
    print(
        f"target by id: {len(reads):,} reads, p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {max(reads) * 1000:.1f} ms"
    )
    print(
        f"streamed export afterwards: {export_lines:,} rows in {export_took:.1f} s "
        f"(status {status})"
    )
    ok = job["status"] == "done" and failures == 0 and p99 < 1.0
    print("OK" if ok else "FAILED: want the import done, 0 answers >= 500, p99 < 1 s")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
