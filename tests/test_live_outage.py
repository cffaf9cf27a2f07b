"""A real server whose PostgreSQL goes away or hangs (behind a proxy that
accepts and never answers): /readyz and the API answer 503 within the
configured timeouts, and 200 again once the database is back, no restart."""

import json
import os
import socket
import threading
import time

import pytest

from .live import (
    environment,
    fresh_database,
    get,
    gunicorn,
    login,
    postgres_up,
    prepare,
)

# Run with the suite on PostgreSQL (CI's second run), where the server is.
pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not postgres_up(),
    reason="runs with the PostgreSQL suite",
)

CONNECT_TIMEOUT = 2


class Proxy:
    """TCP in front of PostgreSQL. ``up`` relays; ``hang`` takes connections
    and bytes and answers nothing (a frozen server); ``down`` closes every
    connection at once (a stopped one)."""

    def __init__(self, upstream=("127.0.0.1", 5432)):
        self.upstream = upstream
        self.mode = "up"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.links: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        self.mode = mode
        if mode != "hang":  # a hung link never comes back
            for sock in self.links:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.links.clear()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            if self.mode == "down":
                client.close()
                continue
            self.links.append(client)
            if self.mode == "hang":
                continue  # accepted, never answered
            server = socket.create_connection(self.upstream)
            self.links.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                if self.mode == "hang":
                    continue  # swallowed: the other side waits for ever
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def timed_get(url, headers=None):
    started = time.monotonic()
    status, answer_headers, body = get(url, headers, timeout=60)
    return status, answer_headers, body, time.monotonic() - started


def test_readyz_and_the_api_answer_503_in_time_and_recover():
    proxy = Proxy()
    with fresh_database("postgresql") as direct:
        prepare(environment(direct))
        proxied = direct.replace(":5432/", f":{proxy.port}/")
        served = environment(
            proxied,
            DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
            DATABASE_STATEMENT_TIMEOUT="5",
        )
        with gunicorn(served, "--workers", "1") as server:
            token = login(server)
            bearer = {"Authorization": f"Bearer {token}"}
            api = server.url + "/v1.0/outdials"
            assert get(server.url + "/readyz")[0] == 200
            assert get(api, bearer)[0] == 200  # a kept connection now
            # The health check of a kept connection, then a connect: both bounded.
            bound = 2 * CONNECT_TIMEOUT + 2

            for mode in ("hang", "down"):
                proxy.set(mode)
                status, headers, body, took = timed_get(server.url + "/readyz")
                assert (status, json.loads(body)["error"]["reason"]) == (
                    503,
                    "NOT_READY",
                ), body
                assert headers["Retry-After"] == "5"
                assert took < bound, (mode, took)
                status, headers, body, took = timed_get(api, bearer)
                error = json.loads(body)["error"]
                assert (status, error["status"], error["reason"]) == (
                    503,
                    "UNAVAILABLE",
                    "DATABASE_UNAVAILABLE",
                ), body
                assert headers["Retry-After"] == "5"
                assert error["request_id"] == headers["X-Request-ID"]
                assert took < bound, (mode, took)
                assert get(server.url + "/healthz")[0] == 200  # alive all along

                proxy.set("up")
                assert get(server.url + "/readyz")[0] == 200
                assert get(api, bearer)[0] == 200

            logs = server.logs()
    assert logs.count("Database unavailable, answering 503") == 1  # one burst
    assert "Traceback" not in logs
