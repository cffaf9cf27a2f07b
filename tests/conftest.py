"""Shared personas: two customers, alice (ours) and bob (another customer)."""

import pytest
from rest_framework.test import APIClient

from outdials import targets
from outdials.models import Outdial
from tests.helpers import Persona, make_persona, tel


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Tests hash passwords with MD5: PBKDF2's default rounds cost about half a
    second per persona on a shared CI core, and no test measures the hasher."""
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        yield


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
def _jobs_in_process(settings, tmp_path):
    """Background jobs run in the test's own process and transaction, as
    they are queued; uploaded files wait in a folder of the test's own. The
    tests of the real worker (``test_jobs_worker.py``) undo this."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
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


@pytest.fixture
def target(outdial):
    return targets.create_target(
        outdial, name="test destination 0", slots=[tel("+15559876543")]
    )
