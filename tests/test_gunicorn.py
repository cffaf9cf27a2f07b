"""gunicorn as production runs it: its own answers carry the error envelope,
and no log line it writes holds a credential, a worker killed at the timeout
included (a real server, a real timeout)."""

import http.client
import json
import socket
import time
import urllib.request

import pytest

from outdials.redaction import MASK

from .live import environment, fresh_database, get, gunicorn, job_worker, login, prepare

ACCESS_KEY = "odk_" + "k" * 40


@pytest.fixture(scope="module")
def server():
    with fresh_database("sqlite") as url:
        env = environment(url)
        prepare(env)
        # A short worker timeout, so that waiting for a CSV check that no
        # worker runs outlives it (long enough for a sign-in on a busy machine).
        with gunicorn(env, "--timeout", "8", "--workers", "1") as live:
            live.env = env
            live.token = login(live)
            status, _, body = get(
                live.url + "/v1.0/outdials",
                {"Authorization": f"Bearer {live.token}"},
            )
            assert status == 200, body
            yield live


def raw(server, data: bytes) -> tuple[int, dict, dict]:
    """Send bytes as they are; answer (status, headers, JSON body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), json.loads(response.read())


def assert_envelope(status, headers, body, code, reason, error_status):
    assert status == code
    assert headers["Content-Type"] == "application/json"
    assert body["error"]["status"] == error_status
    assert body["error"]["reason"] == reason
    assert body["error"]["message"]
    assert body["error"]["request_id"] == headers["X-Request-ID"]


def test_a_request_stopped_at_the_timeout_answers_the_envelope_and_logs_no_secret(
    server,
):
    # Outdial to import into, then a CSV check whose report the request waits
    # for (25 s: no job worker runs yet), well past the 8 s timeout.
    request = urllib.request.Request(
        f"{server.url}/v1.0/outdials?token={server.token}",
        data=b'{"name": "big"}',
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        outdial = json.load(answer)["id"]
    # Distinct numbers, so no cached parse shortens the check below the timeout.
    rows = "".join(
        f"P{i},+1 202 {200 + i // 10000:03d} {i % 10000:04d}\n" for i in range(300_000)
    )
    body = ("name,destination_0\n" + rows).encode()
    path = (
        f"/v1.0/outdials/{outdial}/targets/import?dry_run=true&wait=25"
        f"&token={server.token}&accesskey={ACCESS_KEY}"
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
        f"X-Request-ID: timeout-check-0001\r\n"
        f"Authorization: Bearer {server.token}\r\n"
        f"Cookie: token={server.token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    status, headers, answer = raw(server, head.encode() + body)
    assert_envelope(status, headers, answer, 503, "REQUEST_TIMEOUT", "UNAVAILABLE")
    assert answer["error"]["request_id"] == "timeout-check-0001"
    assert "8 s" in answer["error"]["message"]
    # The worker was replaced and the service answers again.
    assert get(server.url + "/healthz", timeout=60)[0] == 200

    logs = server.logs()
    assert "Worker timeout (8 s) stopped POST" in logs
    assert '"POST /v1.0/outdials/' in logs and "503" in logs
    assert "timeout-check-0001" in logs
    for secret in (server.token, ACCESS_KEY, server.token[-20:]):
        assert secret not in logs


def test_gunicorns_own_refusals_carry_the_envelope_and_log_no_secret(server):
    line = f"GET /v1.0/outdials?token={server.token} HTTP/1.1 junk\r\nHost: x\r\n\r\n"
    assert_envelope(
        *raw(server, line.encode()), 400, "MALFORMED_REQUEST", "INVALID_ARGUMENT"
    )
    long_line = f"GET /v1.0/outdials?accesskey={ACCESS_KEY}&q={'a' * 9000} HTTP/1.1"
    assert_envelope(
        *raw(server, f"{long_line}\r\nHost: x\r\n\r\n".encode()),
        414,
        "REQUEST_LINE_TOO_LONG",
        "INVALID_ARGUMENT",
    )
    cookie = f"Cookie: token={server.token}; pad={'b' * 9000}"
    assert_envelope(
        *raw(server, f"GET / HTTP/1.1\r\nHost: x\r\n{cookie}\r\n\r\n".encode()),
        431,
        "HEADERS_TOO_LARGE",
        "INVALID_ARGUMENT",
    )
    many = "".join(f"X-Pad-{i}: {i}\r\n" for i in range(150))
    assert_envelope(
        *raw(server, f"GET / HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()),
        431,
        "HEADERS_TOO_LARGE",
        "INVALID_ARGUMENT",
    )
    # A request line gunicorn cannot split still has its query masked.
    raw_line = f"GET /v1.0/outdials?token={server.token}\r\nHost: x\r\n\r\n"
    assert raw(server, raw_line.encode())[0] == 400
    logs = server.logs()
    assert server.token not in logs and ACCESS_KEY not in logs
    assert MASK in logs


def test_probes_that_pass_leave_no_access_log_line(server):
    # /readyz passes once a job worker is seen (a job may be queued).
    with job_worker(server.env):
        deadline = time.monotonic() + 60
        while get(server.url + "/readyz")[0] != 200:
            assert time.monotonic() < deadline, "/readyz never passed"
            time.sleep(0.5)
        before = server.stdout.read_text().count("/readyz")
        for _ in range(3):
            assert get(server.url + "/readyz")[0] == 200
            assert get(server.url + "/healthz")[0] == 200
    after = server.stdout.read_text()
    assert after.count("/readyz") == before
    assert "/healthz" not in after
