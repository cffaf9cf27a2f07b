"""PostgreSQL stopped and started under load (by hand, not CI).

``python -m benchmarks.pg_outage [--outage SECONDS] [--clients N]``

Starts a throwaway PostgreSQL cluster of its own (``initdb`` into a temporary
folder, on a free port, as the ``postgres`` user when run as root), never the
shared server. Migrates it, serves it with gunicorn as production does, and
runs clients that create targets (recording every id the API acknowledged)
and read lists. After a few seconds it stops the cluster (``pg_ctl stop -m
fast``) for ``--outage`` seconds, starts it again and lets the clients run on.

Then it checks, and fails unless:

- during the outage every answer that is not a success is 503 ``UNAVAILABLE``
  with ``Retry-After`` (no 500, no dropped connection);
- every request sent once the cluster is back answers 2xx;
- every target whose creation was acknowledged (2xx) is in the database;
- the server logged the outage once, without a traceback per request.
"""

import argparse
import glob
import http.client
import itertools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass

from tests import live

from .harness import uptime


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if not path:
        raise SystemExit(f"{name} not found (install PostgreSQL's server package)")
    return path


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free port."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="outdials-pg-")
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "postgres.log")
        self.port = live.free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:  # initdb refuses to run as root
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run(
            [*prefix, *command], check=True, stdout=subprocess.DEVNULL, timeout=120
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run(
            _bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self._run(
            _bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", options, "-w",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Answer:
    sent: float
    kind: str  # "write" or "read"
    status: int
    error: str = ""  # the envelope's error status
    retry_after: str = ""
    target: str = ""  # the id of a target whose creation was acknowledged
    done: float = 0.0


class Clients:
    def __init__(self, server, outdial: str, bearer: dict):
        self.server, self.outdial, self.bearer = server, outdial, bearer
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.numbers = itertools.count()

    def call(self, kind: str, method: str, path: str, body=None) -> None:
        sent = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(
                method,
                path,
                body=data,
                headers={"Content-Type": "application/json", **self.bearer},
            )
            response = conn.getresponse()
            raw = response.read()
            answer = Answer(sent, kind, response.status)
            answer.retry_after = response.getheader("Retry-After") or ""
            parsed = json.loads(raw) if raw else {}
            if response.status >= 400:
                answer.error = parsed.get("error", {}).get("status", "")
            elif kind == "write":
                answer.target = parsed["id"]
        except (OSError, http.client.HTTPException, ValueError) as error:
            answer = Answer(sent, kind, 0, error=repr(error))
        finally:
            conn.close()
        answer.done = time.monotonic()
        with self.lock:
            self.answers.append(answer)

    def run(self, n: int) -> None:
        base = f"/v1.0/outdials/{self.outdial}/targets"
        for turn in itertools.count():
            if self.stop.is_set():
                return
            if turn % 2:
                self.call("read", "GET", f"{base}?page_size=20")
            else:
                k = next(self.numbers)
                number = f"+1415{200 + k // 10_000:03d}{k % 10_000:04d}"
                self.call(
                    "write",
                    "POST",
                    base,
                    {
                        "name": f"client {n} #{k}",
                        "destination_0": {"type": "tel", "target": number},
                    },
                )
            time.sleep(0.01)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_outage")
    parser.add_argument("--outage", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    print(f"start: {uptime()}", flush=True)
    cluster = Cluster()
    try:
        cluster.init()
        cluster.start()
        env = live.environment(
            cluster.url, DATABASE_CONNECT_TIMEOUT="2", DATABASE_STATEMENT_TIMEOUT="5"
        )
        live.prepare(env)
        with live.gunicorn(env, "--workers", "2") as server:
            bearer = {"Authorization": f"Bearer {live.login(server)}"}
            _, body = live.request(
                server, "POST", "/v1.0/outdials", {"name": "outage"}, bearer
            )
            clients = Clients(server, json.loads(body)["id"], bearer)
            threads = [
                threading.Thread(target=clients.run, args=(n,))
                for n in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            time.sleep(5)
            down = time.monotonic()
            cluster.stop()
            print(f"cluster stopped in {time.monotonic() - down:.1f} s", flush=True)
            time.sleep(args.outage)
            restart = time.monotonic()
            cluster.start()
            up = time.monotonic()
            print(f"cluster started in {up - restart:.1f} s", flush=True)
            time.sleep(10)
            clients.stop.set()
            for thread in threads:
                thread.join()
            logs = server.logs()
        acknowledged = [a.target for a in clients.answers if a.target]
        import psycopg

        with psycopg.connect(cluster.url) as conn:
            found = conn.execute(
                "SELECT count(*) FROM outdials_outdialtarget WHERE id = ANY(%s)",
                [acknowledged],
            ).fetchone()[0]
    finally:
        cluster.remove()
    print(f"end: {uptime()}")
    return report(clients.answers, down, up, acknowledged, found, logs)


def report(answers, down, up, acknowledged, found, logs) -> int:
    def window(a: Answer) -> str:
        # In flight when the cluster stopped counts as during the outage.
        return "before" if a.done < down else "outage" if a.sent < up else "after"

    table = Counter((window(a), a.status, a.error) for a in answers)
    for (when, status, error), count in sorted(table.items(), key=str):
        print(f"  {when:6} {status} {error or '-':12} × {count}")
    outage = [a for a in answers if window(a) == "outage"]
    refused = [a for a in outage if not 200 <= a.status < 300]
    bad_outage = [
        a
        for a in refused
        if (a.status, a.error) != (503, "UNAVAILABLE") or not a.retry_after
    ]
    after = [a for a in answers if window(a) == "after"]
    bad_after = [a for a in after if not 200 <= a.status < 300]
    bad_before = [a for a in answers if window(a) == "before" and a.status >= 300]
    tracebacks = logs.count("Traceback")
    bursts = logs.count("Database unavailable, answering 503")
    print(
        f"outage {up - down:.1f} s: {len(outage)} answers, {len(refused)} refused "
        f"({len(refused) - len(bad_outage)} of them 503 UNAVAILABLE with Retry-After)"
    )
    print(f"after recovery: {len(after)} answers, {len(bad_after)} not 2xx")
    print(f"acknowledged writes: {len(acknowledged)}, found in the database: {found}")
    print(
        f"log: {bursts} outage line(s) (one per gunicorn worker and burst), "
        f"{tracebacks} traceback(s)"
    )
    for a in (bad_before + bad_outage + bad_after)[:10]:
        print(f"  unexpected: {a}")
    ok = (
        not bad_before
        and not bad_outage
        and not bad_after
        and refused
        and found == len(acknowledged)
        and tracebacks == 0
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
