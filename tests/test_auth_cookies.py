"""Cookies safe by design (SPEC §6): a write authenticated by a cookie needs
CSRF proof; sign-in takes JSON from this site only; signing out (the API's or
the staff pages') ends the login token."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from outdials import credentials
from outdials.models import Outdial, User
from tests.helpers import PASSWORD, assert_error

LOGIN = {"username": "alice", "password": PASSWORD}
CSRF_MESSAGE = (
    "A write authenticated by a cookie needs CSRF proof: send the csrftoken "
    "cookie's value in an X-CSRFToken header, from a page of this site (or send "
    "the token in an Authorization header instead of the cookie)."
)


@pytest.fixture
def browser(alice) -> APIClient:
    """A browser signed in through /auth/login: the token and csrftoken
    cookies, and Django's CSRF checks on, as a real browser gets them."""
    client = APIClient(enforce_csrf_checks=True)
    response = client.post("/auth/login", LOGIN, format="json")
    assert response.status_code == 200
    assert client.cookies["token"].value == response.json()["token"]
    assert client.cookies["csrftoken"].value
    return client


def assert_csrf_refused(response):
    error = assert_error(response, 403, "CSRF_FAILED", "PERMISSION_DENIED")
    assert error["message"] == CSRF_MESSAGE


# -- CSRF on cookie-authenticated writes -------------------------------------------


@pytest.mark.parametrize("format_", ["json", "multipart"])
def test_a_cookie_write_without_csrf_proof_is_refused(browser, format_):
    """What another site's form (multipart, urlencoded) or script could send
    with the browser's cookie."""
    response = browser.post("/v1.0/outdials", {"name": "planted"}, format=format_)
    assert_csrf_refused(response)
    response = browser.post(
        "/v1.0/outdials",
        "name=planted",
        content_type="application/x-www-form-urlencoded",
    )
    assert_csrf_refused(response)
    assert not Outdial.objects.exists()


def test_a_cookie_write_from_another_origin_is_refused_even_with_the_token(browser):
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/v1.0/outdials",
        {"name": "planted"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver:8081",
    )
    assert_csrf_refused(response)
    assert not Outdial.objects.exists()


def test_a_cookie_write_with_the_csrf_token_goes_through(browser, alice):
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/v1.0/outdials",
        {"name": "mine"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="http://testserver",
    )
    assert response.status_code == 200, response.content
    assert Outdial.objects.get().customer == alice.customer


def test_cookie_reads_and_explicit_credentials_need_no_csrf_proof(browser, alice):
    assert browser.get("/v1.0/outdials").status_code == 200
    response = browser.post(
        "/v1.0/outdials",
        {"name": "by header"},
        format="json",
        HTTP_AUTHORIZATION=alice.bearer,
    )
    assert response.status_code == 200
    response = browser.post(
        f"/v1.0/outdials?token={alice.token}", {"name": "by query"}, format="json"
    )
    assert response.status_code == 200
    assert Outdial.objects.count() == 2


def test_an_access_key_cookie_write_needs_csrf_proof_too(alice):
    _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["accesskey"] = key
    assert_csrf_refused(client.post("/v1.0/outdials", {"name": "x"}, format="json"))


# -- sign-in ---------------------------------------------------------------------


def test_sign_in_from_another_origin_is_refused(anon, alice):
    """Login CSRF: another site (even this host on another port) signing the
    browser in under its own account."""
    for origin in ("http://evil.example", "http://testserver:8081", "null"):
        response = anon.post("/auth/login", LOGIN, format="json", HTTP_ORIGIN=origin)
        error = assert_error(response, 403, "CROSS_ORIGIN", "PERMISSION_DENIED")
        assert error["message"] == (
            f"A page of another site ({origin}) cannot sign in here; sign in from "
            "this site or without a browser."
        )
        assert "token" not in response.cookies


def test_sign_in_from_this_site_or_a_script_works(anon, alice, settings):
    response = anon.post(
        "/auth/login", LOGIN, format="json", HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 200
    assert anon.post("/auth/login", LOGIN, format="json").status_code == 200
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    response = anon.post(
        "/auth/login", LOGIN, format="json", HTTP_ORIGIN="https://app.example.com"
    )
    assert response.status_code == 200


# -- signing out -----------------------------------------------------------------


def test_logout_ends_the_token_in_every_carrier_and_clears_the_cookie(browser, alice):
    token = browser.cookies["token"].value
    other = credentials.issue_token(User.objects.get(pk=alice.user.pk))
    response = browser.post(
        "/auth/logout",
        format="json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}
    assert response.cookies["token"].value == ""
    assert response.cookies["token"]["max-age"] == 0
    anon = APIClient()
    for credential in (token, other):
        for extra in (
            {"HTTP_AUTHORIZATION": f"Bearer {credential}"},
            {"QUERY_STRING": f"token={credential}"},
        ):
            error = assert_error(
                anon.get("/v1.0/outdials", **extra), 401, "INVALID_CREDENTIALS"
            )
            assert error["message"] == "The provided credentials are invalid."
    anon.cookies["token"] = token
    assert_error(anon.get("/v1.0/outdials"), 401, "INVALID_CREDENTIALS")
    # A new sign-in works again.
    fresh = anon.post("/auth/login", LOGIN, format="json").json()["token"]
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {fresh}")
    assert response.status_code == 200


def test_logout_by_cookie_needs_csrf_proof(browser):
    assert_csrf_refused(browser.post("/auth/logout", format="json"))
    assert browser.get("/v1.0/outdials").status_code == 200


def test_logout_needs_a_credential_and_an_access_key_does_not_sign_out(anon, alice):
    assert_error(anon.post("/auth/logout"), 401, "AUTHENTICATION_REQUIRED")
    _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    response = anon.post("/auth/logout", HTTP_AUTHORIZATION=f"Bearer {key}")
    error = assert_error(response, 400, "NOT_A_LOGIN_TOKEN", "INVALID_ARGUMENT")
    assert error["message"] == (
        "An access key does not sign out; delete it (DELETE /v1.0/accesskeys/{id}) "
        "to end it."
    )
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_logout_of_one_user_leaves_others_signed_in(anon, alice, bob):
    response = anon.post("/auth/logout", HTTP_AUTHORIZATION=alice.bearer)
    assert response.status_code == 200
    assert anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=bob.bearer).status_code == 200


def test_staff_sign_out_ends_the_api_cookie(alice):
    """One browser: signed in to the pages and to the API (its token cookie);
    signing out of the pages ends both."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/auth/login", LOGIN, content_type="application/json")
    token = response.json()["token"]
    client.force_login(User.objects.get(pk=alice.user.pk))
    assert client.get("/v1.0/outdials").status_code == 200
    client.get("/outdials/")
    response = client.post(
        "/accounts/logout/",
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 302
    assert response.cookies["token"].value == ""
    anon = APIClient()
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_the_admin_sign_out_ends_the_api_tokens_too(alice):
    user = User.objects.get(pk=alice.user.pk)
    user.is_staff = True
    user.save()
    token = credentials.issue_token(user)
    client = Client()
    client.force_login(user)
    assert client.post("/admin/logout/").status_code in (200, 302)
    response = APIClient().get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_a_cookie_multipart_import_with_the_csrf_token_goes_through(browser, alice):
    """Django's CSRF check reads a multipart form first; the upload still
    reaches the importer whole."""
    outdial = Outdial.objects.create(customer=alice.customer, name="list")
    response = browser.post(
        f"/v1.0/outdials/{outdial.id}/targets/import?wait=25",
        {
            "file": SimpleUploadedFile(
                "leads.csv", b"name,destination_0\nann,+15559876543\n", "text/csv"
            ),
            "on_error": "skip",
        },
        format="multipart",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    assert outdial.targets.count() == 1
