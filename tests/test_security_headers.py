"""Security headers on every answer, HTTPS-only production settings (and
`check --deploy`), and the body limit that answers before any parsing."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


def directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def assert_common_headers(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_api_answers_carry_the_headers_and_no_store(api, outdial):
    response = api.get(f"/v1.0/outdials/{outdial.id}")
    assert response.status_code == 200
    assert_common_headers(response)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get("/v1.0/outdials"),  # 401
        lambda c: c.get("/v1.0/nowhere"),  # 404 catch-all
        lambda c: c.post("/auth/login", {"username": "x"}, format="json"),  # 400
    ],
)
def test_api_errors_carry_them_too(anon, call):
    response = call(anon)
    assert response.status_code >= 400
    assert_common_headers(response)
    assert response["Cache-Control"] == "no-store"


def test_a_sign_in_answer_with_its_token_is_not_stored(anon, alice):
    from tests.helpers import PASSWORD

    response = anon.post(
        "/auth/login", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    cookie = response.cookies["token"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_common_headers(response)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"]


def test_the_published_document_may_be_cached(anon):
    response = anon.get("/v1.0/openapi.json")
    assert_common_headers(response)
    assert "Cache-Control" not in response


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
)
def test_plain_http_is_redirected_and_https_behind_the_proxy_is_served(api, outdial):
    """With the production settings: http:// answers a redirect to https://,
    and a request the TLS proxy marks X-Forwarded-Proto: https is served with
    Strict-Transport-Security."""
    plain = api.get("/v1.0/outdials?page_size=1")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/v1.0/outdials?page_size=1"
    proxied = api.get("/v1.0/outdials", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def _production_env(**extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "OUTDIALS_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.com",
    )
    env.update(extra)
    return env


SETTINGS_PROBE = """
import json
from django.conf import settings
import django
django.setup()
print(json.dumps({name: getattr(settings, name) for name in [
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF"]}))
"""


def _settings_with(**env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        cwd=ROOT,
        env=_production_env(DJANGO_SETTINGS_MODULE="outdialsite.settings", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_settings_are_on_by_default_when_debugging_is_off():
    found = _settings_with()
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SECURE_HSTS_SECONDS"] == 31536000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_REFERRER_POLICY"] == "same-origin"
    assert found["X_FRAME_OPTIONS"] == "DENY"
    assert found["SECURE_CONTENT_TYPE_NOSNIFF"] is True


@pytest.mark.parametrize("env", [{"DJANGO_HTTPS": "0"}, {"DJANGO_DEBUG": "1"}])
def test_https_settings_are_off_for_plain_http_serving(env):
    """`make run` serves plain HTTP on a private address with DJANGO_HTTPS=0;
    a development run (DJANGO_DEBUG=1) is plain HTTP too."""
    found = _settings_with(**env)
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert found["SECURE_HSTS_SECONDS"] == 0
    assert found["SESSION_COOKIE_SECURE"] is False
    # The headers that do not depend on HTTPS stay.
    assert found["SECURE_REFERRER_POLICY"] == "same-origin"
    assert found["X_FRAME_OPTIONS"] == "DENY"


def _check_deploy(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    """Just DJANGO_DEBUG=0, a real secret and the host names: no warning."""
    result = _check_deploy()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_plain_http():
    """The check above can fail: without the HTTPS settings it warns."""
    result = _check_deploy(DJANGO_HTTPS="0")
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012"):
        assert warning in result.stderr


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversize_json_body_is_refused_before_parsing(api, outdial):
    """Not valid JSON, and still a 413: the size is checked first."""
    body = b"{" + b"x" * 2000
    response = api.generic(
        "PUT", f"/v1.0/outdials/{outdial.id}/data", body, "application/json"
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["reason"] == "REQUEST_TOO_LARGE"
    assert error["message"] == (
        "The request body is 2001 bytes; the limit is 1000 bytes."
    )
    outdial.refresh_from_db()
    assert outdial.data == ""


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_at_the_limit_is_read(api, outdial):
    data = "y" * (1000 - len('{"data": ""}'))
    response = api.put(
        f"/v1.0/outdials/{outdial.id}/data", {"data": data}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"] == data


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_the_sign_in_has_the_same_limit(anon):
    response = anon.generic(
        "POST",
        "/auth/login",
        b'{"username": "' + b"a" * 2000 + b'"}',
        "application/json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
