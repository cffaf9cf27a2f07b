"""``manage.py createcustomer`` and ``manage.py ensuredemo``."""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from outdials.models import Customer, User

BASE_DIR = Path(__file__).resolve().parent.parent


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def database_url() -> str:
    """The test database as a URL, for a ``manage.py`` in another process."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def manage(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url()}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- createcustomer ---------------------------------------------------------

PW = "tall quiet harbour 42"


@pytest.mark.parametrize(
    ("password", "says"),
    [("x", "too short"), ("password123", "too common")],
)
def test_createcustomer_runs_the_password_validators(db, password, says):
    with pytest.raises(CommandError, match=says):
        run("createcustomer", "Acme", "--username", "ann", "--password", password)
    assert not Customer.objects.exists() and not User.objects.exists()


def test_createcustomer_creates_a_customer_and_its_first_user(db):
    out = run("createcustomer", "Acme Calls", "--username", "ann", "--password", PW)
    customer = Customer.objects.get()
    assert out == f"{customer.id}\n"
    assert customer.name == "Acme Calls"
    user = User.objects.get()
    assert (user.username, user.customer_id) == ("ann", customer.id)
    assert user.check_password(PW)
    assert user.password != PW
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_createcustomer_can_make_a_staff_user(db):
    run("createcustomer", "Acme", "--username", "ann", "--password", PW, "--staff")
    assert User.objects.get().is_staff


def test_the_new_user_can_log_in(db, anon):
    out = run("createcustomer", "Acme", "--username", "ann", "--password", PW)
    response = anon.post(
        "/auth/login", {"username": "ann", "password": PW}, format="json"
    )
    assert response.status_code == 200
    created = anon.post("/v1.0/outdials", {"name": "first"}, format="json").json()
    assert created["customer_id"] == out.strip()


def test_createcustomer_refuses_a_taken_username(db, alice):
    with pytest.raises(CommandError) as caught:
        run("createcustomer", "Other", "--username", "alice", "--password", PW)
    assert str(caught.value) == "The username 'alice' is taken; choose another."
    assert list(Customer.objects.values_list("name", flat=True)) == ["alice's company"]
    assert User.objects.count() == 1


def test_createcustomer_needs_a_username_and_password(db):
    with pytest.raises(CommandError, match="--username"):
        run("createcustomer", "Acme", "--password", PW)
    with pytest.raises(CommandError, match="--password"):
        run("createcustomer", "Acme", "--username", "ann")
    assert not Customer.objects.exists()


def test_createcustomer_exits_1_on_a_taken_username(transactional_db):
    first = manage("createcustomer", "Acme", "--username", "ann", "--password", PW)
    assert first.returncode == 0, first.stderr
    customer_id = first.stdout.strip()
    assert Customer.objects.get(pk=uuid.UUID(customer_id)).name == "Acme"
    again = manage("createcustomer", "Other", "--username", "ann", "--password", PW)
    assert again.returncode == 1
    assert again.stdout == ""
    assert "The username 'ann' is taken; choose another." in again.stderr
    assert "Traceback" not in again.stderr
    assert Customer.objects.count() == 1


# --- ensuredemo -------------------------------------------------------------


def test_ensuredemo_creates_the_demo_login_once(db, anon):
    first = run("ensuredemo")
    second = run("ensuredemo")
    user = User.objects.get(username="demo")
    expected = (
        "Demo login: username 'demo', password 'demo-password' "
        f"(customer {user.customer_id})\n"
    )
    assert first == second == expected
    assert Customer.objects.count() == User.objects.count() == 1
    response = anon.post(
        "/auth/login",
        {"username": "demo", "password": "demo-password"},
        format="json",
    )
    assert response.status_code == 200


def test_createcustomer_refuses_a_username_taken_meanwhile(db, monkeypatch):
    """Another process takes the username between the check and the insert."""
    create = Customer.objects.create

    def racing_create(**fields):
        rival = User(username="ann", customer=create(name="rival"))
        rival.save()
        return create(**fields)

    monkeypatch.setattr(Customer.objects, "create", racing_create)
    with pytest.raises(CommandError, match="The username 'ann' is taken"):
        run("createcustomer", "Acme", "--username", "ann", "--password", PW)
    # The half-made customer is rolled back (here with the simulated rival).
    assert not Customer.objects.filter(name="Acme").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's bounds")
def test_migrate_runs_without_the_request_paths_time_bounds(db, monkeypatch):
    """A migration that rewrites a big table is not stopped by the statement
    timeout or the answer bound; the connection has both back afterwards."""
    from django.core.management.commands.migrate import Command as DjangoMigrate

    seen = {}

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen["timeout"] = cursor.fetchone()[0]
        seen["answer"] = connection.connection.answer_timeout

    monkeypatch.setattr(DjangoMigrate, "handle", handle)
    call_command("migrate", verbosity=0)
    assert seen == {"timeout": "0", "answer": None}
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == f"{settings.DATABASE_STATEMENT_TIMEOUT}s"
    answer = connection.settings_dict["ANSWER_TIMEOUT"]
    assert connection.connection.answer_timeout == answer
