"""Shared personas: two customers, alice (ours) and bob (another customer)."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from outdials import credentials, targets
from outdials.models import Customer, Outdial, User

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Tests hash passwords with MD5: PBKDF2's default rounds cost about half a
    second per persona on a shared CI core, and no test measures the hasher."""
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


@dataclass
class Persona:
    user: User
    token: str

    @property
    def customer(self) -> Customer:
        return self.user.customer

    @property
    def bearer(self) -> str:
        return f"Bearer {self.token}"


def make_persona(username: str) -> Persona:
    customer = Customer.objects.create(name=f"{username}'s company")
    user = User(username=username, customer=customer)
    user.set_password(PASSWORD)
    user.save()
    return Persona(user=user, token=credentials.issue_token(user))


@pytest.fixture(autouse=True)
def _static_without_manifest(settings):
    """Pages name their CSS and JS through ``{% static %}``; tests run without
    ``collectstatic``, so they use the plain storage instead of the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files waiting for their import go to a folder of the test's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def alice(db) -> Persona:
    return make_persona("alice")


@pytest.fixture
def bob(db) -> Persona:
    return make_persona("bob")


@pytest.fixture
def api(alice) -> APIClient:
    """An API client signed in as alice with a Bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=alice.bearer)
    return client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def alice_page(client, alice):
    """A test client signed in to the staff pages as alice (session login)."""
    client.force_login(alice.user)
    return client


@pytest.fixture
def outdial(alice) -> Outdial:
    return Outdial.objects.create(
        customer=alice.customer, name="test outdial", detail="outdial for test use."
    )


@pytest.fixture
def bobs_outdial(bob) -> Outdial:
    return Outdial.objects.create(customer=bob.customer, name="bob's list")


def tel(number: str) -> targets.Address:
    return targets.Address(type="tel", target=number)


@pytest.fixture
def target(outdial):
    return targets.create_target(
        outdial, name="test destination 0", slots=[tel("+15559876543")]
    )


STATUS_OF_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}


def by_field(details: list) -> dict[str, list[str]]:
    """VoIPbin's ``details`` array of ``{"field", "message"}`` as
    ``{field: [messages]}``, for comparing."""
    assert isinstance(details, list), details
    found: dict[str, list[str]] = {}
    for item in details:
        assert set(item) == {"field", "message"}, item
        found.setdefault(item["field"], []).append(item["message"])
    return found


def assert_error(response, http_status: int, reason: str, status: str = "") -> dict:
    """``response`` is the SPEC §5 envelope with this code and reason; returns
    its ``error`` object (for checking message and details)."""
    assert response.status_code == http_status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert error["status"] == (status or STATUS_OF_HTTP[http_status])
    assert error["reason"] == reason
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response["X-Request-ID"]
    assert set(error) <= {"status", "reason", "message", "request_id", "details"}
    return error
