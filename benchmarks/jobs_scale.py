"""Imports as jobs at scale, against real processes (``make bench``, not with
``QUICK=1``: it takes minutes). Two runs, each on a fresh SQLite database:

- ``upload``: a 1,000,000-row file through the staff upload page, served by
  gunicorn with its default 30 s worker timeout, one ``db_worker`` beside it.
  Targets: the upload request answers in under 2 s, the import finishes
  (``done``, every row created), the worker's peak RSS stays under 300 MB.
- ``kill``: a 500,000-row import through the API; the worker is killed with
  ``kill -9`` while it writes. Targets: 0 rows of it in the database
  afterwards, and the import ``failed`` (``WORKER_LOST``) once another worker's
  housekeeping has noticed, within ``OUTDIALS_JOB_STALE_SECONDS`` (here 10 s)
  plus a round.

``python -m benchmarks.jobs_scale [upload|kill] [--postgres URL] [--rows N]``
prints one JSON line per run. Every process runs on this machine, on loopback.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-0123"


def write_file(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("name,destination_0\n")
        for i in range(rows):
            out.write(f"p{i},+1202{i:07d}\n")


class Stack:
    """A fresh database, gunicorn (30 s timeout) and workers, on loopback."""

    def __init__(self, folder: Path, postgres: str | None):
        self.folder = folder
        self.processes: list[subprocess.Popen] = []
        if postgres:
            import psycopg

            name = f"outdials_bench_jobs_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(postgres, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self.drop = (postgres, name)
            self.url = postgres.rpartition("/")[0] + "/" + name
        else:
            self.drop = None
            self.url = f"sqlite:///{folder / 'db.sqlite3'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
            "DJANGO_HTTPS": "0",
            "OUTDIALS_MEDIA_ROOT": str(folder / "media"),
            "OUTDIALS_JOB_STALE_SECONDS": "10",
            "PYTHONUNBUFFERED": "1",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        # The pages' static files, as ``make run`` collects them (the
        # manifest names each file's hashed copy).
        self.manage("collectstatic", "--noinput", "-v", "0")
        out = self.manage(
            "createcustomer", "Bench", "--username", "bench", "--password", PASSWORD
        )
        self.customer = out.strip()

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code).strip().splitlines()[-1]

    def start(self, *args: str, name: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def gunicorn(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # As production starts it (./gunicorn.conf.py), with gunicorn's own
        # default timeout of 30 s instead of the configured one.
        self.start(
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            name="gunicorn",
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=5)
                return base
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "--housekeeping-interval",
            "2",
            name=name,
        )

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.drop:
            import psycopg

            url, name = self.drop
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def batch_state(stack: Stack) -> dict:
    return json.loads(
        stack.shell(
            "import json; from outdials.models import ImportBatch, OutdialTarget; "
            "b = ImportBatch.objects.order_by('-tm_create').first(); "
            "print(json.dumps(None if b is None else {'status': b.status, "
            "'created': b.created, 'written': b.written, 'reason': b.error_reason, "
            "'rows_in_db': OutdialTarget.objects.filter(outdial=b.outdial).count()}))"
        )
    )


def new_outdial(stack: Stack) -> str:
    return stack.shell(
        "from outdials.models import Outdial; "
        f"print(Outdial.objects.create(customer_id='{stack.customer}', name='big').pk)"
    )


def upload_page(base: str, outdial: str, path: Path) -> dict:
    """Sign in as staff and take the file through the upload page's steps:
    the file (kept), the mapping step, *Import*; answers the seconds each
    request took."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def csrf(url: str) -> str:
        html = opener.open(url, timeout=30).read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]

    login = base + "/accounts/login/"
    form = {"csrfmiddlewaretoken": csrf(login), "username": "bench"}
    form["password"] = PASSWORD
    opener.open(
        urllib.request.Request(
            login,
            urllib.parse.urlencode(form).encode(),
            headers={"Referer": login},
        ),
        timeout=30,
    )
    page = f"{base}/outdials/{outdial}/upload/"
    token = csrf(page)
    boundary = uuid.uuid4().hex
    fields = {"csrfmiddlewaretoken": token}
    parts = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        ).encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        page,
        b"".join(parts),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": page,
        },
    )
    took = {}
    started = time.perf_counter()
    with opener.open(request, timeout=60) as response:
        review_html = response.read().decode()
        review = response.url
    took["upload_s"] = time.perf_counter() - started  # the redirect's GET too
    assert re.search(r"/upload/[0-9a-f-]{36}/$", review), review
    form = {"csrfmiddlewaretoken": csrf(review), "action": "import"}
    for name, options in re.findall(
        r'<select name="(column_\d+)"[^>]*>(.*?)</select>', review_html, re.S
    ):
        found = re.search(r'<option value="([^"]*)" selected>', options)
        form[name] = found.group(1) if found else ""
    form.update(region="US", on_duplicate="skip", on_error="abort")
    started = time.perf_counter()
    with opener.open(
        urllib.request.Request(
            review, urllib.parse.urlencode(form).encode(), headers={"Referer": review}
        ),
        timeout=60,
    ) as response:
        response.read()
        assert "/imports/" in response.url, response.url
    took["import_s"] = time.perf_counter() - started
    return took


def run_upload(folder: Path, postgres: str | None, rows: int) -> dict:
    path = folder / "big.csv"
    write_file(path, rows)
    stack = Stack(folder, postgres)
    try:
        base = stack.gunicorn()
        worker = stack.worker("worker")
        outdial = new_outdial(stack)
        took = upload_page(base, outdial, path)
        request_seconds = max(took.values())
        started = time.perf_counter()
        peak = 0.0
        while True:
            peak = max(peak, peak_rss_mb(worker.pid))
            state = batch_state(stack)
            if state and state["status"] not in ("queued", "running"):
                break
            time.sleep(2)
        return {
            "run": "upload",
            "database": "postgresql" if postgres else "sqlite",
            "rows": rows,
            "upload_request_s": round(took["upload_s"], 2),
            "import_request_s": round(took["import_s"], 2),
            "import_after_upload_s": round(time.perf_counter() - started, 1),
            "status": state["status"],
            "created": state["created"],
            "worker_peak_rss_mb": round(max(peak, peak_rss_mb(worker.pid)), 1),
            "ok": request_seconds < 2
            and state["status"] == "done"
            and state["created"] == rows
            and peak < 300,
        }
    finally:
        stack.close()


def run_kill(folder: Path, postgres: str | None, rows: int) -> dict:
    path = folder / "kill.csv"
    write_file(path, rows)
    stack = Stack(folder, postgres)
    try:
        first = stack.worker("first")
        outdial = new_outdial(stack)
        stack.manage("import_targets", outdial, str(path), "--background")
        while True:
            state = batch_state(stack)
            if state and state["status"] == "running" and state["written"] > 0:
                break
            if state and state["status"] not in ("queued", "running"):
                raise RuntimeError(f"the import ended before the kill: {state}")
            time.sleep(0.2)
        first.kill()  # SIGKILL
        first.wait()
        killed_at = time.perf_counter()
        stack.worker("second")
        while True:
            state = batch_state(stack)
            if state["status"] != "running" and state["rows_in_db"] == 0:
                break
            assert time.perf_counter() - killed_at < 120, state
            time.sleep(0.5)
        return {
            "run": "kill",
            "database": "postgresql" if postgres else "sqlite",
            "rows": rows,
            "written_when_killed": "> 0",
            "status": state["status"],
            "reason": state["reason"],
            "rows_in_db": state["rows_in_db"],
            "settled_after_kill_s": round(time.perf_counter() - killed_at, 1),
            "ok": state["status"] == "failed" and state["rows_in_db"] == 0,
        }
    finally:
        stack.close()


def run(quick: bool) -> list:
    """The figures for ``make bench`` (none in the quick run)."""
    from .harness import Figure

    if quick:
        return []
    figures = []
    for name, runner in (("upload", run_upload), ("kill", run_kill)):
        folder = Path(tempfile.mkdtemp(prefix="outdials-bench-jobs-"))
        try:
            result = runner(folder, None, 1_000_000 if name == "upload" else 500_000)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if name == "upload":
            figures += [
                Figure(
                    "1M-row upload page requests, slowest (sqlite)",
                    max(result["upload_request_s"], result["import_request_s"]),
                    "s",
                    target="< 2 s",
                    ok=result["ok"],
                    note=f"upload + mapping step {result['upload_request_s']} s, "
                    f"Import {result['import_request_s']} s; gunicorn, 30 s "
                    "timeout; the import runs in the worker",
                ),
                Figure(
                    "1M-row upload import done (sqlite)",
                    result["import_after_upload_s"],
                    "s",
                    target="done, every row",
                    ok=result["status"] == "done" and result["created"] == 1_000_000,
                    note=f"status {result['status']}, {result['created']:,} created",
                ),
                Figure(
                    "1M-row upload worker peak RSS (sqlite)",
                    result["worker_peak_rss_mb"],
                    "MB",
                    target="< 300 MB",
                    ok=result["worker_peak_rss_mb"] < 300,
                    note="VmHWM of the db_worker process",
                ),
            ]
        else:
            figures.append(
                Figure(
                    "kill -9 mid-import of 500k: rows left (sqlite)",
                    result["rows_in_db"],
                    "rows",
                    target="0, failed",
                    ok=result["ok"],
                    note=f"{result['status']} ({result['reason']}) "
                    f"{result['settled_after_kill_s']} s after the kill",
                )
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="*", default=["upload", "kill"])
    parser.add_argument("--postgres", help="postgres://… of a server to use")
    parser.add_argument("--rows", type=int, default=0, help="override the size")
    args = parser.parse_args()
    for name in args.runs:
        folder = Path(tempfile.mkdtemp(prefix="outdials-bench-jobs-"))
        try:
            if name == "upload":
                result = run_upload(folder, args.postgres, args.rows or 1_000_000)
            else:
                result = run_kill(folder, args.postgres, args.rows or 500_000)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
