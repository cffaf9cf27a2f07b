"""A lost database answers 503 UNAVAILABLE with Retry-After, on the API in
the envelope and on pages as a plain page; logged once per burst."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections

from outdials import outage
from tests.helpers import assert_error


@pytest.fixture(autouse=True)
def _new_burst():
    outage._Burst.since, outage._Burst.unlogged = None, 0
    yield
    outage._Burst.since, outage._Burst.unlogged = None, 0


def _database_gone():
    """Every query fails as it does when the server went away: each one,
    through Django's cursor or the driver's (queries.Compiled), first makes
    sure of its connection."""
    return mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError("connection to server lost"),
    )


def test_the_api_answers_503_in_the_envelope_with_retry_after(api, outdial):
    with _database_gone():
        response = api.get("/v1.0/outdials")
    error = assert_error(response, 503, "DATABASE_UNAVAILABLE", "UNAVAILABLE")
    assert "retry in 5 s" in error["message"]
    assert response["Retry-After"] == "5"
    assert api.get("/v1.0/outdials").status_code == 200  # no restart needed


def test_a_page_answers_a_plain_503_page(alice_page, outdial):
    with _database_gone():
        response = alice_page.get("/outdials/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Unavailable for a moment" in response.content.decode()
    assert alice_page.get("/outdials/").status_code == 200


def test_a_burst_is_logged_once_without_a_traceback(api, outdial, caplog):
    caplog.set_level(logging.INFO)
    with _database_gone():
        for _ in range(20):
            assert api.get("/v1.0/outdials").status_code == 503
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in lines] == ["outdials.outage"]
    assert "Database unavailable, answering 503" in lines[0].getMessage()
    assert "connection to server lost" in lines[0].getMessage()
    assert lines[0].exc_info is None
    # The next burst's line says how many went unlogged.
    outage._Burst.since -= outage.BURST_SECONDS
    caplog.clear()
    with _database_gone():
        api.get("/v1.0/outdials")
    [line] = [r for r in caplog.records if r.name == "outdials.outage"]
    assert "(19 more failures since the last report" in line.getMessage()


def test_an_outage_outside_a_view_is_a_503_too(rf):
    request = rf.get("/v1.0/outdials")
    request.request_id = "req-outside-view"
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = outage.server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    try:
        raise ValueError("a bug")
    except ValueError:
        assert outage.server_error(request).status_code == 500


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL backend's check"
)
def test_a_busy_connection_skips_the_health_check_and_an_idle_one_takes_it(db):
    """A kept connection whose last request began under a second ago is not
    checked again (a round trip per request); after a pause it is."""
    wrapper = connections["default"]
    wrapper.ensure_connection()
    checked = mock.patch.object(type(wrapper), "is_usable", return_value=True)

    def next_request():
        wrapper.health_check_done = False  # as each request starts
        wrapper.close_if_health_check_failed()

    with checked as is_usable:
        wrapper._used_at = float("-inf")
        next_request()
        next_request()
        assert is_usable.call_count == 1
        wrapper._used_at -= wrapper.FRESH_SECONDS
        next_request()
        assert is_usable.call_count == 2
