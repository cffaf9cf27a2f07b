"""Shared personas: two customers, alice (ours) and bob (another customer)."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from outdials import credentials, targets
from outdials.models import Customer, Outdial, User

PASSWORD = "correct horse battery staple"


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
