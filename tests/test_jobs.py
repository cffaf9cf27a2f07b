"""Background jobs in process: a job that raises, cancelling, waiting, and the
sweep of jobs whose worker was lost."""

import datetime
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from outdials import jobs
from outdials.importing import background, writing
from outdials.models import ImportBatch, OutdialTarget

from .helpers import assert_error, by_field

ROWS = "name,destination_0\n" + "".join(f"p{i},+1202{i:07d}\n" for i in range(12_000))


@pytest.fixture
def queue_only(settings):
    """Jobs wait in the database queue: no worker runs them here."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def post(api, outdial, text: str, query: str = ""):
    return api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import{query}",
        text.encode(),
        content_type="text/csv",
    )


def test_a_job_that_raises_is_failed_with_its_message(
    api, alice_page, outdial, queue_only
):
    post(api, outdial, ROWS)
    batch = ImportBatch.objects.get()
    default_storage.delete(batch.file)  # the job will not find its file
    with pytest.raises(FileNotFoundError):
        background.run_import(str(batch.pk))
    body = api.get(f"/v1.0/outdials/{outdial.id}/imports/{batch.pk}").json()
    assert body["status"] == "failed"
    assert body["error"]["reason"] == "IMPORT_FAILED"
    assert body["error"]["message"].startswith(
        "The import stopped on an unexpected error (FileNotFoundError: "
    )
    page = alice_page.get(f"/outdials/{outdial.id}/imports/{batch.pk}/")
    assert "The import stopped on an unexpected error" in page.content.decode()


def test_wait_answers_202_when_the_job_does_not_end_in_time(api, outdial, queue_only):
    response = post(api, outdial, ROWS, "?wait=0.3")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"


@pytest.mark.parametrize("wait", ["26", "-1", "soon"])
def test_wait_is_at_most_25_seconds(api, outdial, wait):
    response = post(api, outdial, ROWS, f"?wait={wait}")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert "wait" in by_field(error["details"])


def test_a_queued_import_cancelled_never_runs(api, outdial, queue_only):
    batch_id = post(api, outdial, ROWS).json()["id"]
    url = f"/v1.0/outdials/{outdial.id}/imports/{batch_id}/cancel"
    response = api.post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    batch = ImportBatch.objects.get()
    assert not default_storage.exists(batch.file)
    background.run_import(batch_id)
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert OutdialTarget.objects.count() == 0
    again = api.post(url)
    body = assert_error(again, 409, "IMPORT_ALREADY_ENDED", "FAILED_PRECONDITION")
    assert body["message"] == (
        "The import has ended (cancelled); only a queued or running import can "
        "be cancelled."
    )


@pytest.mark.django_db(transaction=True)
def test_a_running_import_cancelled_keeps_nothing(
    api, outdial, queue_only, monkeypatch
):
    """Cancelled (from another connection, as a request would) while its
    targets are being written: nothing of it stays."""
    batch_id = post(api, outdial, ROWS).json()["id"]
    update = jobs.Tracker.update

    def cancel_once_written(tracker, **values):
        if values.get("written") and not hasattr(tracker, "cancelled_by_test"):
            tracker.cancelled_by_test = True
            elsewhere = threading.Thread(
                target=lambda: (
                    jobs.cancel(ImportBatch.objects.get(pk=batch_id)),
                    connection.close(),
                )
            )
            elsewhere.start()
            elsewhere.join()
        update(tracker, **values)

    monkeypatch.setattr(jobs.Tracker, "update", cancel_once_written)
    background.run_import(batch_id)
    batch = ImportBatch.objects.get()
    assert batch.status == "cancelled"
    assert OutdialTarget.objects.count() == 0
    assert not default_storage.exists(batch.file)


def test_the_sweep_fails_a_job_whose_worker_was_lost(outdial):
    """A running import without a heartbeat for longer than the limit is
    failed, with why, and its staged rows go."""
    old = timezone.now() - datetime.timedelta(minutes=5)
    batch = ImportBatch.objects.create(
        outdial=outdial, status="running", tm_start=old, tm_heartbeat=old
    )
    fresh = ImportBatch.objects.create(
        outdial=outdial, status="running", tm_heartbeat=timezone.now()
    )
    OutdialTarget.objects.create(
        outdial=outdial, import_batch=batch, tm_delete=writing.STAGED
    )
    assert jobs.sweep_stale() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.error_reason) == ("failed", "WORKER_LOST")
    assert batch.error_message == (
        "The worker running this job stopped (it was killed or crashed). "
        "Nothing of the import was kept; import the file again."
    )
    assert OutdialTarget.objects.count() == 0
    fresh.refresh_from_db()
    assert fresh.status == "running"
    assert jobs.sweep_stale() == 0


def test_an_unfinished_import_cannot_be_undone(api, outdial, queue_only):
    batch_id = post(api, outdial, ROWS).json()["id"]
    response = api.delete(f"/v1.0/outdials/{outdial.id}/imports/{batch_id}")
    assert_error(response, 409, "IMPORT_NOT_DONE", "FAILED_PRECONDITION")


def test_another_customers_import_cannot_be_cancelled(api, bob, bobs_outdial):
    batch = ImportBatch.objects.create(outdial=bobs_outdial, status="queued")
    url = f"/v1.0/outdials/{bobs_outdial.id}/imports/{batch.pk}/cancel"
    assert_error(api.post(url), 404, "OUTDIAL_NOT_FOUND")
    batch.refresh_from_db()
    assert batch.status == "queued"
