"""Sign-in throttling (API, staff page, admin) and per-customer API rates.

The throttle's clock is ``outdials.api.throttling.now``; the tests move it
instead of sleeping.
"""

import threading
from unittest import mock

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from outdials.api import throttling
from tests.helpers import PASSWORD

T0 = 1_800_000_000.0
WINDOW = 15 * 60


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def at(self, seconds: float) -> "Clock":
        self.now = T0 + seconds
        return self


@pytest.fixture
def clock():
    clock = Clock()
    caches["login"].clear()
    caches["default"].clear()
    with mock.patch.object(throttling, "now", clock):
        yield clock


def sign_in(client, username, password, address="203.0.113.7", **extra):
    return client.post(
        "/auth/login",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **extra,
    )


def fail_times(client, n, username="alice", address="203.0.113.7", clock=None):
    for i in range(n):
        if clock is not None:
            clock.at(i)
        response = sign_in(client, username, "wrong password", address)
        assert response.status_code == 401, response.content


def test_five_failures_lock_the_pair_even_for_the_right_password(anon, alice, clock):
    fail_times(anon, 5, clock=clock)
    clock.at(10)
    response = sign_in(anon, "alice", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW - 10)
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["reason"] == "TOO_MANY_SIGN_IN_ATTEMPTS"
    assert error["message"] == (
        "Too many failed sign-ins for this username; try again in 15 minutes."
    )
    assert "token" not in response.cookies


def test_the_lock_ends_when_the_oldest_failure_is_15_minutes_old(anon, alice, clock):
    fail_times(anon, 5, clock=clock)
    clock.at(WINDOW - 1)
    assert sign_in(anon, "alice", PASSWORD).status_code == 429
    clock.at(WINDOW + 1)
    response = sign_in(anon, "alice", PASSWORD)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_four_failures_do_not_lock(anon, alice, clock):
    fail_times(anon, 4, clock=clock)
    assert sign_in(anon, "alice", PASSWORD).status_code == 200


def test_a_success_starts_the_count_again(anon, alice, clock):
    fail_times(anon, 4, clock=clock)
    assert sign_in(anon, "alice", PASSWORD).status_code == 200
    fail_times(anon, 4)
    assert sign_in(anon, "alice", PASSWORD).status_code == 200


def test_failures_spread_over_more_than_the_window_do_not_lock(anon, alice, clock):
    """Failures at 0, 4, 8, 12 and 16 minutes: never five within 15."""
    for minute in (0, 4, 8, 12, 16):
        clock.at(minute * 60)
        assert sign_in(anon, "alice", "wrong").status_code == 401
    clock.at(16 * 60 + 30)
    assert sign_in(anon, "alice", PASSWORD).status_code == 200


def test_the_lock_is_per_username_and_address(anon, alice, bob, clock):
    fail_times(anon, 5, clock=clock)
    assert sign_in(anon, "alice", PASSWORD, "198.51.100.9").status_code == 200
    assert sign_in(anon, "bob", PASSWORD).status_code == 200
    assert sign_in(anon, "ALICE", PASSWORD).status_code == 429  # same pair


def test_unknown_users_and_wrong_passwords_answer_alike(anon, alice, clock):
    """Same status and body (but the request id), and both get locked."""
    wrong = sign_in(anon, "alice", "wrong")
    unknown = sign_in(anon, "nobody-here", "wrong")
    assert wrong.status_code == unknown.status_code == 401

    def without_id(response):
        body = response.json()
        del body["error"]["request_id"]
        return body

    assert without_id(wrong) == without_id(unknown)
    fail_times(anon, 4, username="nobody-here")
    fail_times(anon, 4)
    locked_unknown = sign_in(anon, "nobody-here", "wrong")
    locked_known = sign_in(anon, "alice", "wrong")
    assert locked_unknown.status_code == locked_known.status_code == 429
    assert without_id(locked_unknown) == without_id(locked_known)


def test_a_forged_forwarded_for_does_not_reset_the_count(anon, alice, clock):
    fail_times(anon, 5, clock=clock)
    response = sign_in(anon, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_clients_address_counts(anon, alice, clock):
    proxy = "10.0.0.2"
    with override_settings(OUTDIALS={**_outdials(), "TRUSTED_PROXIES": 1}):
        for _ in range(5):
            response = sign_in(
                anon, "alice", "wrong", proxy, HTTP_X_FORWARDED_FOR="192.0.2.1"
            )
            assert response.status_code == 401
        locked = sign_in(
            anon, "alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="forged, 192.0.2.1"
        )
        assert locked.status_code == 429
        other = sign_in(
            anon, "alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="192.0.2.2"
        )
        assert other.status_code == 200


def _outdials():
    from django.conf import settings

    return settings.OUTDIALS


def page_sign_in(client, username, password):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="203.0.113.7",
    )


def test_the_staff_sign_in_page_is_throttled_the_same(client, alice, clock):
    for i in range(5):
        clock.at(i)
        response = page_sign_in(client, "alice", "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text
    clock.at(60)
    locked = page_sign_in(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(WINDOW - 60)
    assert "Too many failed sign-ins for this username; try again in 14 minutes." in (
        locked.text
    )
    assert "_auth_user_id" not in client.session
    clock.at(WINDOW + 1)
    response = page_sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.user.pk)


def test_the_api_and_the_page_share_one_count(anon, client, alice, clock):
    fail_times(anon, 3)
    for _ in range(2):
        page_sign_in(client, "alice", "wrong")
    assert page_sign_in(client, "alice", PASSWORD).status_code == 429
    assert sign_in(anon, "alice", PASSWORD).status_code == 429


def test_the_admin_sign_in_is_throttled_too(client, alice, clock):
    alice.user.is_staff = True
    alice.user.save()
    fail_times(APIClient(), 5)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200  # the form again, not signed in
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_get_no_more_than_five_tries(clock):
    """Each attempt takes a slot before its password is checked, with an
    atomic insert: ten guesses at once get five tries and five refusals."""
    caches["login"].clear()
    results = []
    start = threading.Barrier(10)

    def guess():
        start.wait()
        throttle = throttling.LoginThrottle("alice", "203.0.113.7")
        results.append(throttle.reserve())
        connection.close()

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is None for result in results) == 5
    assert all(r.retry_after == WINDOW for r in results if r is not None)


def test_slots_fill_one_at_a_time(db, clock):
    throttle = throttling.LoginThrottle("alice", "203.0.113.7")
    for second in range(5):
        clock.at(second)
        assert throttle.reserve() is None
    clock.at(100)
    assert throttle.reserve().retry_after == WINDOW - 100
    throttle.succeeded()
    assert throttle.reserve() is None


# --- per-customer API rates -------------------------------------------------------


def limited(rate):
    return override_settings(OUTDIALS={**_outdials(), "API_RATE": rate})


def test_a_customer_over_its_rate_gets_429_in_the_envelope(api, alice, bob, clock):
    with limited("3/min"):
        for _ in range(3):
            assert api.get("/v1.0/outdials").status_code == 200
        clock.at(20)
        response = api.get("/v1.0/outdials")
        assert response.status_code == 429
        assert response["Retry-After"] == "41"
        error = response.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert error["reason"] == "RATE_LIMIT_EXCEEDED"
        assert response["Cache-Control"] == "no-store"
        # Another customer has its own count.
        other = APIClient()
        other.credentials(HTTP_AUTHORIZATION=bob.bearer)
        assert other.get("/v1.0/outdials").status_code == 200
        clock.at(60)
        assert api.get("/v1.0/outdials").status_code == 200


def test_every_credential_of_a_customer_shares_its_rate(api, alice, clock):
    from outdials import credentials

    _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    with limited("2/min"):
        assert api.get("/v1.0/outdials").status_code == 200
        assert api.get(f"/v1.0/outdials?accesskey={key}").status_code == 200
        keyed = APIClient()
        keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        assert keyed.get("/v1.0/accesskeys").status_code == 429


def test_without_a_rate_there_is_no_limit(api, clock):
    with limited(""):
        for _ in range(30):
            assert api.get("/v1.0/outdials").status_code == 200


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("6000/min", (6000, 60)),
        ("10/5s", (10, 5)),
        ("100/hour", (100, 3600)),
        ("1/day", (1, 86400)),
        ("", None),
        ("off", None),
    ],
)
def test_rates_read_like_drfs(rate, parsed):
    assert throttling.parse_rate(rate) == parsed


@pytest.mark.parametrize(
    "rate", ["lots", "5 per minute", "0/min", "-1/s", "5/fortnight"]
)
def test_a_bad_rate_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured, match="OUTDIALS_API_RATE"):
        throttling.parse_rate(rate)
