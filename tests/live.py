"""Real servers for tests and benchmarks that need one: gunicorn as
production runs it, and a job worker, on a database of their own, with their
logs in files the caller can read. The one home of this (the benchmarks in
``benchmarks/`` import it from here)."""

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
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "OUTDIALS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "tall quiet harbour 42"  # the customer ``ann`` of :func:`prepare`


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_up() -> bool:
    try:
        import psycopg

        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
        return True
    except Exception:
        return False


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def fresh_database(kind: str):
    """A DATABASE_URL of an empty database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="outdials-live-") as folder:
            yield f"sqlite:///{folder}/live.sqlite3"
        return
    import psycopg

    name = f"outdials_live_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr}")
    return done.stdout


def prepare(env: dict) -> None:
    """Migrate, and create the customer ``ann`` (password :data:`PASSWORD`)."""
    manage(env, "migrate", "--noinput")
    manage(env, "createcustomer", "Acme", "--username", "ann", "--password", PASSWORD)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def logs(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


def get(url: str, headers: dict | None = None, timeout: float = 30):
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def request(server: Server, method, path, body=None, headers=None, timeout=30):
    """(status, body) of a JSON request (``body`` as JSON, or bytes as they
    are), errors included."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=sent)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def login(server: Server) -> str:
    """A token of ``ann`` (made by :func:`prepare`), signed in."""
    status, body = request(
        server, "POST", "/auth/login", {"username": "ann", "password": PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"sign-in failed: {status} {body[:200]!r}")
    return json.loads(body)["token"]


def stop(process: subprocess.Popen) -> None:
    """Ask a server or worker to stop; kill it if it takes over 30 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def gunicorn(env: dict, *args: str, ready_path: str = "/healthz"):
    """gunicorn started as the production guide starts it (from the project
    root, so ./gunicorn.conf.py is found), plus ``args``."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="outdials-gunicorn-") as folder:
        out, err = Path(folder, "stdout.log"), Path(folder, "stderr.log")
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
                + list(args),
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        server = Server(f"http://127.0.0.1:{port}", process, out, err)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"gunicorn exited:\n{server.logs()}"
                try:
                    get(server.url + ready_path, timeout=5)
                    break
                except OSError:
                    assert time.monotonic() < deadline, server.logs()
                    time.sleep(0.2)
            yield server
        finally:
            stop(process)


@contextlib.contextmanager
def job_worker(env: dict, *args: str):
    """A ``db_worker`` beside the server, as the production guide runs one,
    plus ``args``."""
    with tempfile.TemporaryDirectory(prefix="outdials-worker-") as folder:
        log = Path(folder, "worker.log")
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload"]
                + ["--no-startup-delay", "--interval", "0.2", *args],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            yield process
        finally:
            stop(process)
