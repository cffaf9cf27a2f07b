"""Staff pages: signing in and out, login required, CSRF, operators."""

import pytest
from django.test import Client

from outdials.models import Outdial, User
from tests.helpers import PASSWORD

PAGES = [
    "/",
    "/outdials/",
    "/outdials/new/",
    "/outdials/{outdial}/",
    "/outdials/{outdial}/targets/new/",
    "/outdials/{outdial}/targets/{target}/",
    "/outdials/{outdial}/targets/{target}/delete/",
    "/outdials/{outdial}/upload/",
    "/outdials/{outdial}/export.csv",
]


def test_the_login_page_has_a_labelled_form_with_csrf(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Sign in · Outdials</title>" in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_it_signs_in_and_leads_to_the_outdials_list(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [("/", 302), ("/outdials/", 302)]
    assert "<h1>Outdials</h1>" in response.content.decode()
    assert "alice" in response.content.decode()


def test_it_returns_to_the_page_asked_for_after_signing_in(client, alice, outdial):
    page = f"/outdials/{outdial.pk}/"
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={page}"
    response = client.post(
        response["Location"],
        {"username": "alice", "password": PASSWORD, "next": page},
    )
    assert response["Location"] == page


def test_a_wrong_password_shows_a_message_and_no_session(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get("/outdials/").status_code == 302


@pytest.mark.parametrize("page", PAGES)
def test_every_page_requires_signing_in(client, target, page):
    url = page.format(outdial=target.outdial_id, target=target.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_every_post_requires_signing_in(client, target):
    before = Outdial.objects.count()
    response = client.post("/outdials/new/", {"name": "sneaky"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Outdial.objects.count() == before


def test_sign_out_is_a_post_and_ends_the_session(alice_page):
    page = alice_page.get("/outdials/").content.decode()
    assert 'action="/accounts/logout/"' in page
    response = alice_page.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "You are signed out." in response.content.decode()
    assert alice_page.get("/outdials/").status_code == 302
    assert alice_page.get("/accounts/logout/").status_code == 405


def test_a_post_without_the_csrf_token_is_refused(alice, outdial):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post(f"/outdials/{outdial.pk}/", {"name": "renamed"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    outdial.refresh_from_db()
    assert outdial.name == "test outdial"


def test_a_post_with_the_csrf_token_goes_through(alice, outdial):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    client.get(f"/outdials/{outdial.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/outdials/{outdial.pk}/",
        {"name": "renamed", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    outdial.refresh_from_db()
    assert outdial.name == "renamed"


def test_an_operator_without_a_customer_is_sent_to_the_admin(client, db):
    operator = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(operator)
    response = client.get("/outdials/")
    assert response.status_code == 403
    assert "This account belongs to no customer" in response.content.decode()


def test_pages_are_not_kept_by_caches(alice_page):
    response = alice_page.get("/outdials/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
