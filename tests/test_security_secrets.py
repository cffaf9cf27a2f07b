"""Credentials never reach a log line, an error mail or gunicorn's access log.

A caller's login token or access key may travel in the query, a cookie or the
Authorization header; the tests send real ones every way at once, make the
server fail, and scan everything it wrote down.
"""

import io
import logging
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from rest_framework.test import APIClient

from outdials import credentials
from outdials.redaction import (
    MASK,
    RedactingExceptionReporter,
    RedactSecretsFilter,
    redact,
)

ROOT = Path(__file__).resolve().parent.parent
ADMINS = [("Ops", "ops@example.com")]


@pytest.fixture
def secrets_of(alice):
    _, key = credentials.new_access_key(alice.customer, "script", "", 3600)
    return {"token": alice.token, "key": key}


@pytest.fixture
def log_output():
    """What the configured handlers (console, runserver's) write, captured
    from the handlers themselves, so their filters apply."""
    stream = io.StringIO()
    handlers = [
        handler
        for name in ("", "django.server")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    ]
    assert len(handlers) == 2
    old = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, previous in zip(handlers, old, strict=True):
        handler.setStream(previous)


def carrying_everything(secrets_of) -> APIClient:
    """Token in a cookie, access key in the query, token again as Bearer."""
    client = APIClient()
    client.cookies["token"] = secrets_of["token"]
    client.cookies["sessionid"] = "session-secret-123456"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secrets_of['token']}")
    return client


def explode(*args, **kwargs):
    raise RuntimeError("the database went away")


def assert_clean(text: str, secrets_of: dict):
    for secret in (*secrets_of.values(), "session-secret-123456"):
        assert secret not in text
        assert secret[:20] not in text


def test_an_api_failure_logs_no_credential(secrets_of, log_output, outdial):
    client = carrying_everything(secrets_of)
    url = f"/v1.0/outdials/{outdial.id}?accesskey={secrets_of['key']}"
    with mock.patch("outdials.api.views.wire.outdial", side_effect=explode):
        response = client.get(url)
    assert response.status_code == 500
    text = log_output.getvalue()
    assert "Unhandled error in GET /v1.0/outdials/" in text
    assert "RuntimeError: the database went away" in text
    assert_clean(text, secrets_of)


def test_an_exception_that_quotes_a_credential_is_masked(secrets_of, log_output):
    """A library's message may quote what it was given (here, the token)."""
    client = APIClient()

    def quoting(token):
        raise ValueError(f"cannot read {token!r}")

    with mock.patch("outdials.api.auth.user_for_token", side_effect=quoting):
        response = client.get(f"/v1.0/outdials?token={secrets_of['token']}")
    assert response.status_code == 500
    text = log_output.getvalue()
    assert f"ValueError: cannot read '{MASK}'" in text
    assert_clean(text, secrets_of)


def test_request_lines_are_masked(secrets_of, log_output):
    """runserver's request log writes the whole URL (with ?token=)."""
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /v1.0/outdials?token={secrets_of['token']} HTTP/1.1", 200, 9
    )
    text = log_output.getvalue()
    assert f'"GET /v1.0/outdials?token={MASK} HTTP/1.1" 200 9' in text
    assert_clean(text, secrets_of)


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        (
            "GET /x?page_size=5&token=abc.def-1&q=1",
            f"GET /x?page_size=5&token={MASK}&q=1",
        ),
        (
            "Cookie: token=abc123; accesskey=odk_x",
            f"Cookie: token={MASK}; accesskey={MASK}",
        ),
        ("Authorization: Bearer abc.def.ghi", f"Authorization: Bearer {MASK}"),
        ("key odk_" + "A" * 43 + " used", f"key {MASK} used"),
        ("access key odk_Zt3kP0qa", "access key odk_Zt3kP0qa"),  # a prefix is shown
        ("csrftoken=abc", "csrftoken=abc"),
        ("the token is fine", "the token is fine"),
    ],
)
def test_what_redaction_masks(line, clean):
    assert redact(line) == clean


@override_settings(ADMINS=ADMINS)
def test_an_api_error_mail_shows_no_credential(secrets_of, outdial):
    client = carrying_everything(secrets_of)
    url = f"/v1.0/outdials/{outdial.id}?accesskey={secrets_of['key']}&page_size=5"
    with mock.patch("outdials.api.views.wire.outdial", side_effect=explode):
        assert client.get(url).status_code == 500
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert "Internal Server Error: /v1.0/outdials/" in message.subject
    for text in (message.subject, message.body):
        assert_clean(text, secrets_of)
    assert f"accesskey={MASK}&page_size=5" in message.body


@override_settings(ADMINS=ADMINS)
def test_a_page_error_mail_masks_frame_variables(secrets_of, client):
    """A staff page's failure mails a full report: the traceback's local
    variables (the request, a token) are masked too."""

    def failing_get(self, request, *args, **kwargs):
        token = request.GET["token"]  # noqa: F841 (a local the report shows)
        raise RuntimeError("the template went away")

    client.cookies["accesskey"] = secrets_of["key"]
    with mock.patch("outdials.signin.ThrottledLoginView.get", failing_get):
        with pytest.raises(RuntimeError):
            client.get(f"/accounts/login/?token={secrets_of['token']}")
    (message,) = mail.outbox
    assert "RuntimeError" in message.body
    assert "the template went away" in message.body
    assert "failing_get" in message.body
    for text in (message.subject, message.body):
        assert_clean(text, secrets_of)
    assert MASK in message.body


def test_the_html_report_masks_them_as_well(secrets_of, rf):
    """The HTML form of a report (the debug page, or mails with HTML)."""
    request = rf.get(
        f"/v1.0/outdials?token={secrets_of['token']}",
        HTTP_AUTHORIZATION=f"Bearer {secrets_of['key']}",
        HTTP_COOKIE=f"accesskey={secrets_of['key']}; sessionid=session-secret-123456",
    )
    try:
        token = secrets_of["token"]  # noqa: F841 (a local the report shows)
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = RedactingExceptionReporter(request, *sys.exc_info())
        html = reporter.get_traceback_html()
        text = reporter.get_traceback_text()
    assert "RuntimeError" in html and "boom" in text
    for report in (html, text):
        assert_clean(report, secrets_of)
        assert MASK in report


def test_gunicorns_access_log_format_leaves_out_the_query():
    """%(U)s is the path alone; the request line (%(r)s), the query (%(q)s),
    the referer (a URL that may hold ?token=) and headers are not logged."""
    config = runpy.run_path(str(ROOT / "outdialsite" / "gunicorn.conf.py"))
    fmt = config["access_log_format"]
    assert "%(U)s" in fmt
    for field in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "%(i)s"):
        assert field not in fmt
    headers = re.findall(r"%\(\{([^}]+)\}i\)s", fmt)
    assert headers == []


# --- a real gunicorn ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_real_gunicorn_logs_no_credential(alice, tmp_path):
    """gunicorn with the project's config, serving the test database, takes
    requests that carry credentials every way; its access log and its
    output name the paths and statuses, never a credential."""
    _, key = credentials.new_access_key(alice.customer, "script", "", 3600)
    port = _free_port()
    access_log = tmp_path / "access.log"
    output = (tmp_path / "output.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "outdialsite.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(access_log),
            "--config",
            "outdialsite/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, server)
        calls = [
            (f"/v1.0/outdials?token={alice.token}", {}),
            (f"/v1.0/accesskeys?accesskey={key}&page_size=5", {}),
            ("/v1.0/outdials", {"Authorization": f"Bearer {key}"}),
            ("/v1.0/outdials", {"Cookie": f"token={alice.token}"}),
            (f"/v1.0/outdials?token={alice.token}x", {}),  # a bad one: 401
        ]
        statuses = [_get(base + path, headers) for path, headers in calls]
    finally:
        server.terminate()
        server.wait(timeout=30)
        output.close()
    assert statuses == [200, 200, 200, 200, 401]
    log = access_log.read_text()
    lines = log.strip().splitlines()
    assert len(lines) >= 6  # the readiness probe and the five calls
    assert re.search(r'"GET /v1\.0/accesskeys HTTP/1\.1" 200 ', log)
    assert re.search(r'"GET /v1\.0/outdials HTTP/1\.1" 401 ', log)
    everything = log + (tmp_path / "output.log").read_text()
    for secret in (alice.token, key, alice.token[:20], key[:20]):
        assert secret not in everything


def _get(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_for(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("gunicorn exited before serving")
        try:
            _get(base + "/v1.0/openapi.json", {})
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start within 60 s")


def test_a_request_too_odd_to_parse_is_still_logged(api, settings, log_output):
    """The filter reads the raw query: a request Django refuses to parse
    (too many fields) is logged, not turned into a logging error."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    query = "&".join(f"f{i}=1" for i in range(6)) + "&token=eyJhbGci.eyJzdWIi.c2ln"
    response = api.get(f"/v1.0/outdials?{query}")
    assert response.status_code == 400
    assert "Bad Request: /v1.0/outdials" in log_output.getvalue()
