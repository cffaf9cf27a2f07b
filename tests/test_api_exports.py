"""Exports as background jobs through the API: queue, follow, download."""

import csv
import io

from outdials import dialing, targets
from outdials.models import TargetsJob

from .helpers import assert_error, tel


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_an_export_is_queued_followed_and_downloaded(api, outdial, alice):
    ann = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    targets.create_target(outdial, name="Bo", slots=[tel("+15559876544")])
    dialing.set_status(ann, "done")
    response = api.post(f"/v1.0/outdials/{outdial.id}/exports?status=idle")
    assert response.status_code == 202
    job = TargetsJob.objects.get()
    location = f"/v1.0/outdials/{outdial.id}/exports/{job.pk}"
    assert response["Location"] == location
    body = api.get(location).json()  # the job ran in process
    assert (body["status"], body["rows"], body["filters"]) == (
        "done",
        1,
        {"status": "idle"},
    )
    assert body["created_by"] == "alice"
    assert body["file"] == location + "/file"
    download = api.get(body["file"])
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["name"] for row in rows_of(download)] == ["Bo"]


def test_the_file_is_409_until_the_export_is_done(api, outdial, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    location = api.post(f"/v1.0/outdials/{outdial.id}/exports")["Location"]
    assert api.get(location).json()["status"] == "queued"
    assert api.get(location).json()["file"] is None
    assert_error(
        api.get(location + "/file"), 409, "EXPORT_NOT_READY", "FAILED_PRECONDITION"
    )


def test_a_bad_filter_queues_nothing(api, outdial):
    response = api.post(f"/v1.0/outdials/{outdial.id}/exports?status=bogus")
    assert_error(response, 400, "INVALID_ARGUMENT")
    assert TargetsJob.objects.count() == 0


def test_another_customers_export_is_a_404(api, bobs_outdial):
    job = TargetsJob.objects.create(outdial=bobs_outdial, kind="export")
    url = f"/v1.0/outdials/{bobs_outdial.id}/exports/{job.pk}"
    assert_error(api.get(url), 404, "OUTDIAL_NOT_FOUND")
    assert_error(api.get(url + "/file"), 404, "OUTDIAL_NOT_FOUND")
    assert_error(
        api.post(f"/v1.0/outdials/{bobs_outdial.id}/exports"), 404, "OUTDIAL_NOT_FOUND"
    )
