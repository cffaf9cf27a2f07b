"""/healthz, /readyz and /metrics (outdials.health, outdials.metrics)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from outdials import health, jobs
from tests.helpers import assert_error


@pytest.fixture(autouse=True)
def _fresh_readiness():
    health._Migrated.seen = False
    yield


def test_healthz_answers_without_the_database(client):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.connect") as c:
        c.side_effect = AssertionError("/healthz must not touch the database")
        response = client.get("/healthz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_answers_ready_from_any_host_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # as in production: probes are not sent
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database_answers": "ok",
            "migrations_applied": "ok",
            "worker_seen": "ok",
        },
    }
    assert client.head("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_does_not_answer(client):
    with mock.patch.object(
        health.connection, "ensure_connection", side_effect=OperationalError("gone")
    ):
        response = client.get("/readyz")
    error = assert_error(response, 503, "NOT_READY", "UNAVAILABLE")
    assert response["Retry-After"] == "5"
    assert "database did not answer: gone" in error["details"][0]["database_answers"]
    assert client.get("/readyz").status_code == 200  # and back


class _Migration:
    app_label, name = "outdials", "0099_next"


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_missing(client):
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        return_value=[(_Migration(), False)],
    ):
        response = client.get("/readyz")
    error = assert_error(response, 503, "NOT_READY", "UNAVAILABLE")
    assert error["details"][0] == {
        "database_answers": "ok",
        "migrations_applied": "1 migration(s) not applied: outdials.0099_next; "
        "run manage.py migrate.",
    }


def disk_left():
    return "the upload folder is full"


@pytest.mark.django_db
def test_readyz_runs_checks_added_to_the_setting(client, settings):
    settings.OUTDIALS_READINESS_CHECKS = [
        *settings.OUTDIALS_READINESS_CHECKS,
        "tests.test_health.disk_left",
    ]
    error = assert_error(client.get("/readyz"), 503, "NOT_READY", "UNAVAILABLE")
    assert error["details"][0]["disk_left"] == "the upload folder is full"
    assert error["message"] == "Not ready: disk_left: the upload folder is full"


@pytest.fixture
def queued_job(settings):
    """A task waiting in the database queue, as an import leaves one."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from outdials import tasks

    return tasks.import_file.enqueue("00000000-0000-0000-0000-000000000000")


@pytest.mark.django_db
def test_readyz_needs_no_worker_while_no_job_waits(client):
    assert client.get("/readyz").json()["checks"]["worker_seen"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_while_jobs_wait_and_no_worker_was_seen(client, queued_job):
    error = assert_error(client.get("/readyz"), 503, "NOT_READY", "UNAVAILABLE")
    assert error["message"] == (
        "Not ready: worker_seen: jobs are waiting and no worker was seen for "
        "60 s (none); start manage.py db_worker."
    )
    jobs.worker_seen("host:12:w")
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_503_once_the_last_worker_was_seen_too_long_ago(client, queued_job):
    jobs.worker_seen("host:12:w", now=timezone.now() - timedelta(seconds=75))
    error = assert_error(client.get("/readyz"), 503, "NOT_READY", "UNAVAILABLE")
    assert "no worker was seen for 60 s (last seen 75 s ago)" in error["message"]
    jobs.worker_seen("host:12:w")
    assert client.get("/readyz").status_code == 200
    jobs.worker_gone("host:12:w")  # a worker stopped on purpose is not waited for
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_probes_are_not_throttled_nor_signed_in(client, alice):
    with override_settings(OUTDIALS={**_outdials(), "API_RATE": "1/min"}):
        for _ in range(5):
            assert client.get("/readyz").status_code == 200
    assert client.post("/readyz").status_code == 405


def _outdials():
    from django.conf import settings

    return settings.OUTDIALS


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_and_private_with_one(client, settings):
    settings.OUTDIALS_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.OUTDIALS_METRICS_TOKEN = "scrape-secret-123"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-123")
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain")


def _value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.django_db
def test_metrics_count_claims_outcomes_and_open_leases(
    client, settings, api, target, django_capture_on_commit_callbacks
):
    settings.OUTDIALS_METRICS_TOKEN = "scrape-secret-123"

    def scrape() -> str:
        answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-123")
        return answer.content.decode()

    before = scrape()
    outdial = target.outdial_id
    [claim] = api.post(f"/v1.0/outdials/{outdial}/claim", {}, format="json").json()[
        "result"
    ]
    during = scrape()
    assert _value(during, "outdials_claims_total") == (
        _value(before, "outdials_claims_total") + 1
    )
    assert _value(during, 'outdials_open_leases{state="live"}') == 1
    answered = 'outdials_claim_outcomes_total{outcome="busy"}'
    with django_capture_on_commit_callbacks(execute=True):  # counted on commit
        response = api.post(
            f"/v1.0/outdials/{outdial}/targets/{target.id}/result",
            {"claim_id": claim["claim_id"], "outcome": "busy"},
            format="json",
        )
    assert response.status_code == 200
    after = scrape()
    assert _value(after, answered) == _value(before, answered) + 1
    assert _value(after, 'outdials_open_leases{state="live"}') == 0
    assert 'outdials_http_requests_total{method="POST",route="outdial-claim"' in after
