"""Live gunicorn servers for the service benchmarks (rate limit, metrics)."""

import contextlib
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "tall quiet harbour 42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def environment(database_url: str, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "OUTDIALS_", "DATABASE_", "PROMETHEUS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_HTTPS="0",
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr}")
    return done.stdout


def prepare(env: dict) -> None:
    """Migrate and create the customer ``ann``."""
    manage(env, "migrate", "--noinput")
    manage(env, "createcustomer", "Acme", "--username", "ann", "--password", PASSWORD)


def request(port, method, path, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=sent)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def login(port: int) -> str:
    status, body = request(
        port, "POST", "/auth/login", {"username": "ann", "password": PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"sign-in failed: {status} {body[:200]!r}")
    return json.loads(body)["token"]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2):
    """gunicorn from the project root (./gunicorn.conf.py) on a free port."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn exited:\n{log.read()[-3000:]}")
            try:
                request(port, "GET", "/healthz", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer in 60 s") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def sqlite_url():
    with tempfile.TemporaryDirectory(prefix="outdials-bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"
