"""CPU time per request of one gunicorn worker: the service against the bare
floor, and where a request's time goes (run by hand).

``python -m benchmarks.request_cpu [--targets N] [--requests N] [--postgresql]
[--profile] [--only NAME]``

Seeds a fresh SQLite file (or, with ``--postgresql``, a fresh database on the
server the benchmarks use) as ``read_path`` does, serves it with gunicorn as
``make run`` does but with one worker, and the bare WSGI floor
(``benchmarks/bare/app.py``) likewise; sends the same requests to each and
reads the worker's CPU time (user + system, ``/proc``) around batches of
them. Other work on the cores inflates CPU time too (never deflates it), so
the least batch is reported. ``--profile`` then runs the same requests
in-process through Django's WSGI handler under cProfile and prints the top of
it.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time

from . import read_path
from .harness import databases

BATCHES = 10


def worker_pid(master: int) -> int:
    for _ in range(100):
        found = subprocess.run(
            ["pgrep", "-P", str(master)], capture_output=True, text=True
        ).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def one_worker():
    saved = read_path.WORKERS
    read_path.WORKERS = 1
    try:
        yield
    finally:
        read_path.WORKERS = saved


def served_cpu(database_url, app, config, paths, headers, requests) -> float:
    """Milliseconds of CPU of the one worker per request: the least of
    ``BATCHES`` batches (other work on the cores inflates CPU time too, never
    deflates it)."""
    with one_worker(), read_path.gunicorn(database_url, app, config) as port:
        pid = worker_pid(_master(port))
        read_path.load(port, paths, headers, 50)  # warm
        found = []
        for _ in range(BATCHES):
            before = cpu_seconds(pid)
            read_path.load(port, paths, headers, requests // BATCHES)
            found.append(cpu_seconds(pid) - before)
        return 1000 * min(found) / (requests // BATCHES)


def _master(port: int) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"gunicorn .*127.0.0.1:{port} "],
        capture_output=True,
        text=True,
    ).stdout.split()
    return min(int(pid) for pid in found)


def endpoints(seed: dict, database_url: str) -> dict:
    outdial = seed["outdial"]
    headers = {"Authorization": f"Bearer {seed['access_key']}"}
    first = f"/v1.0/outdials/{outdial}/targets?page_size=100"
    with read_path.gunicorn(database_url) as port:
        _, ids = read_path.walk(port, headers, outdial, 1000)
    return {
        "target by id": [f"/v1.0/outdials/{outdial}/targets/{i}" for i in ids[::10]],
        "page of 100 targets": [first],
        "page of 100 outdials": ["/v1.0/outdials"],
    }


def profile(database_url: str, paths: list[str], key: str, requests: int) -> str:
    """cProfile of ``requests`` through the WSGI handler, in a child process."""
    code = f"""
import cProfile, io, pstats, sys, wsgiref.util
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outdialsite.settings")
from outdialsite.wsgi import application
paths = {paths!r}
def call(path):
    environ = {{"REQUEST_METHOD": "GET", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": "Bearer {key}", "wsgi.input": io.BytesIO()}}
    p, _, q = path.partition("?")
    environ["PATH_INFO"], environ["QUERY_STRING"] = p, q
    wsgiref.util.setup_testing_defaults(environ)
    out = application(environ, lambda s, h, e=None: None)
    b"".join(out); out.close()
for n in range(50): call(paths[n % len(paths)])
profiler = cProfile.Profile()
profiler.enable()
for n in range({requests}): call(paths[n % len(paths)])
profiler.disable()
text = io.StringIO()
pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
print(text.getvalue())
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=read_path.ROOT,
        env=read_path.server_env(database_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.request_cpu")
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", default="", help="one endpoint's name")
    args = parser.parse_args(argv)
    kind, url = databases()[-1 if args.postgresql else 0]
    with read_path.fresh_database(kind, url) as database_url:
        seed = read_path.prepare(database_url, args.targets)
        headers = {"Authorization": f"Bearer {seed['access_key']}"}
        for name, paths in endpoints(seed, database_url).items():
            if args.only and args.only != name:
                continue
            api = served_cpu(
                database_url,
                "outdialsite.wsgi",
                "outdialsite/gunicorn.conf.py",
                paths,
                headers,
                args.requests,
            )
            bare = served_cpu(
                database_url,
                "benchmarks.bare.app:application",
                "benchmarks/bare/gunicorn.conf.py",
                paths,
                headers,
                args.requests,
            )
            print(
                f"{kind} {name}: service {api:.2f} ms CPU/request, "
                f"bare floor {bare:.2f} ms ({bare / api:.2f}×)",
                flush=True,
            )
            if args.profile:
                print(profile(database_url, paths, seed["access_key"], args.requests))


if __name__ == "__main__":
    main()
