"""What a call on the API's resources skips, and what it never skips: the
staff pages' middleware stay off it, its credential is still looked up on
every call (a revoked key stops at once), a rate is counted only when one
is configured."""

from unittest import mock

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.test import override_settings
from rest_framework.test import APIClient

from outdials import credentials
from outdials.models import RateCount


def _calls(middleware):
    return mock.patch.object(
        middleware,
        "process_request",
        autospec=True,
        side_effect=middleware.process_request,
    )


def test_a_resource_call_goes_past_the_pages_middleware(api, outdial, client):
    with _calls(SessionMiddleware) as session, _calls(CsrfViewMiddleware) as csrf:
        response = api.get(f"/v1.0/outdials/{outdial.id}/targets")
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert response["X-Frame-Options"] == "DENY"
        assert session.call_count == csrf.call_count == 0
        # The staff pages, the sign-in and the published document keep them.
        for path in ("/accounts/login/", "/auth/login", "/v1.0/openapi.json"):
            client.get(path)
        assert session.call_count == 3 and csrf.call_count >= 3


def test_a_revoked_key_is_refused_on_the_next_call(alice, outdial):
    access_key, key = credentials.new_access_key(alice.customer, "dialer", "", 3600)
    dialer = APIClient()
    dialer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert dialer.get(f"/v1.0/outdials/{outdial.id}").status_code == 200
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=alice.bearer)
    assert admin.delete(f"/v1.0/accesskeys/{access_key.id}").status_code == 200
    refused = dialer.get(f"/v1.0/outdials/{outdial.id}")
    assert refused.status_code == 401
    assert refused.json()["error"]["status"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("rate, counted", [("", 0), ("100/min", 1)])
def test_calls_are_counted_only_under_a_rate(api, outdial, settings, rate, counted):
    with override_settings(OUTDIALS={**settings.OUTDIALS, "API_RATE": rate}):
        for _ in range(3):
            assert api.get(f"/v1.0/outdials/{outdial.id}").status_code == 200
    assert RateCount.objects.count() == counted
    if counted:
        assert RateCount.objects.get().count == 3
