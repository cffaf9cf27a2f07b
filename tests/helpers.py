"""What tests share besides fixtures: the personas' making, request and
answer helpers for the API, the pages and the admin (fixtures are in
``conftest.py``)."""

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from outdials import credentials, targets
from outdials.models import Customer, User

PASSWORD = "correct horse battery staple"
# Browser tests: where screenshots go (ignored by git) and the two widths looked at.
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


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


def tel(number: str) -> targets.Address:
    return targets.Address(type="tel", target=number)


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


def without_request_id(response) -> dict:
    """An error answer's body without its (random) request id."""
    body = response.json()
    body["error"].pop("request_id")
    return body


def messages_of(response) -> list[str]:
    """The flash messages a page or admin answer carries."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_staff(customer, username: str) -> User:
    """A staff user of ``customer`` with every Outdials permission."""
    user = User.objects.create_user(
        username=username, password=PASSWORD, customer=customer, is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="outdials")
    )
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(model, view: str = "changelist", *args) -> str:
    return reverse(f"admin:outdials_{model._meta.model_name}_{view}", args=args)


def run_action(client, model, action: str, ids, **params):
    return client.post(
        admin_url(model) + params.pop("query", ""),
        {"action": action, "_selected_action": [str(pk) for pk in ids], **params},
        follow=True,
    )


def slot_rows(rows, existing=()) -> dict:
    """The admin target page's inline POST fields for ``rows`` of (slot,
    type, address) after the ``existing`` Destination rows (sent unchanged
    unless replaced)."""
    data = {
        "destinations-TOTAL_FORMS": str(len(existing) + len(rows)),
        "destinations-INITIAL_FORMS": str(len(existing)),
        "destinations-MIN_NUM_FORMS": "0",
        "destinations-MAX_NUM_FORMS": "5",
    }
    for n, row in enumerate(existing):
        data |= {
            f"destinations-{n}-id": str(row.pk),
            f"destinations-{n}-outdial_target": str(row.outdial_target_id),
            f"destinations-{n}-index": str(row.index),
            f"destinations-{n}-type": row.type,
            f"destinations-{n}-target": row.target,
            f"destinations-{n}-target_name": row.target_name,
            f"destinations-{n}-name": row.name,
            f"destinations-{n}-detail": row.detail,
        }
    for n, (index, type_, address) in enumerate(rows, start=len(existing)):
        data |= {
            f"destinations-{n}-index": str(index),
            f"destinations-{n}-type": type_,
            f"destinations-{n}-target": address,
        }
    return data
