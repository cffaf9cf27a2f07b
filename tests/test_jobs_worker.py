"""Background jobs in a real ``manage.py db_worker`` process, on the test
database: imports through the API and the upload page, a worker killed
mid-import, two workers sharing one queue."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from outdials.models import ImportBatch, Outdial, OutdialTarget

from . import live
from .test_commands import database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def numbers(count: int, start: int = 0) -> str:
    rows = "".join(f"p{i},+1202{i:07d}\n" for i in range(start, start + count))
    return "name,destination_0\n" + rows


@pytest.fixture
def worker_env(settings):
    """Jobs go to the database queue, which worker processes read."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "OUTDIALS_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "OUTDIALS_JOB_STALE_SECONDS": "3",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def start_worker(worker_env, tmp_path):
    started = []

    def start(name: str = "w") -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.05",
                "--housekeeping-interval",
                "0.5",
                "--worker-id",
                name,
            ],
            cwd=ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        live.stop(process)


@pytest.fixture
def worker(start_worker):
    return start_worker()


def kept_files() -> list:
    """Upload files still waiting in the storage (none once jobs ended)."""
    from django.conf import settings

    return sorted(Path(settings.MEDIA_ROOT).glob("jobs/imports/*"))


def poll(url_or_check, client=None, *, until, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = client.get(url_or_check) if client else url_or_check()
        if until(value):
            return value
        assert time.monotonic() < deadline, f"gave up waiting on {url_or_check}"
        time.sleep(0.1)


def test_an_api_import_runs_in_the_worker_and_can_be_undone(api, outdial, worker):
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import",
        numbers(3).encode(),
        content_type="text/csv",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    location = response["Location"]
    assert location == f"/v1.0/outdials/{outdial.id}/imports/{body['id']}"
    done = poll(location, api, until=lambda r: r.json()["status"] == "done").json()
    assert done["progress"] == {"checked": 3, "written": 3, "total": 3}
    assert done["report"]["created"] == 3
    assert done["error"] is None
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 3
    undone = api.delete(location)
    assert (undone.status_code, undone.json()["deleted"]) == (200, 3)
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 0
    assert kept_files() == []


def test_wait_answers_the_report_when_the_worker_ends_in_time(api, outdial, worker):
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import?wait=20",
        numbers(2).encode(),
        content_type="text/csv",
    )
    assert response.status_code == 200
    assert response.json()["created"] == 2


def test_an_upload_through_the_page_runs_in_the_worker(alice_page, outdial, worker):
    upload = SimpleUploadedFile("people.csv", numbers(4).encode(), "text/csv")
    staged = alice_page.post(f"/outdials/{outdial.id}/upload/", {"file": upload})
    review = staged["Location"]  # the mapping step, with the guessed mapping
    html = alice_page.get(review).content.decode()
    form = {"region": "US", "on_duplicate": "skip", "on_error": "abort"}
    for name, options in re.findall(
        r'<select name="(column_\d+)"[^>]*>(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        form[name] = chosen.group(1) if chosen else ""
    response = alice_page.post(review, {**form, "action": "import"})
    assert response.status_code == 302
    page = response["Location"]
    batch = ImportBatch.objects.get()
    assert page == f"/outdials/{outdial.id}/imports/{batch.id}/"
    shown = poll(page, alice_page, until=lambda r: b"Imported 4 targets" in r.content)
    assert b"Undo" in shown.content
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 4
    undo = alice_page.post(f"/outdials/{outdial.id}/imports/{batch.id}/undo/")
    assert undo.status_code == 302
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 0


def test_a_worker_killed_mid_import_leaves_no_row(api, outdial, start_worker):
    """kill -9 while the targets are being written: nothing of the import is
    in the database, and another worker marks it failed, with why."""
    first = start_worker("first")
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import",
        numbers(60_000).encode(),
        content_type="text/csv",
    )
    location = response["Location"]
    poll(location, api, until=lambda r: r.json()["progress"]["written"] > 0)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    start_worker("second")
    failed = poll(location, api, until=lambda r: r.json()["status"] != "running")
    body = failed.json()
    assert body["status"] == "failed"
    assert body["error"]["reason"] == "WORKER_LOST"
    assert body["error"]["message"] == (
        "The worker running this job stopped (it was killed or crashed). "
        "Nothing of the import was kept; import the file again."
    )
    # Its staged rows (never visible) are removed right after.
    left = OutdialTarget.objects.filter(outdial=outdial)
    poll(lambda: (left.count(), kept_files()), until=lambda v: v == (0, []), timeout=30)
    assert kept_files() == []


def test_two_workers_run_each_of_twenty_imports_once(api, alice, start_worker):
    outdials = [
        Outdial.objects.create(customer=alice.customer, name=f"list {n}")
        for n in range(20)
    ]
    for n, outdial in enumerate(outdials):
        response = api.post(
            f"/v1.0/outdials/{outdial.id}/targets/import",
            numbers(50, start=n * 50).encode(),
            content_type="text/csv",
        )
        assert response.status_code == 202
    start_worker("one")
    start_worker("two")
    tasks = DBTaskResult.objects.filter(task_path="outdials.tasks.import_file")
    # An import is done a moment before its worker records the task's end.
    poll(
        lambda: (
            ImportBatch.objects.filter(status="done").count(),
            tasks.filter(status="SUCCESSFUL").count(),
        ),
        until=lambda done: done == (20, 20),
    )
    assert tasks.count() == 20
    assert all(len(task.worker_ids) == 1 for task in tasks)
    assert {task.status for task in tasks} == {"SUCCESSFUL"}
    assert OutdialTarget.objects.count() == 1000
    ran = {tuple(task.worker_ids) for task in tasks}
    assert ran <= {("one",), ("two",)}


def test_readyz_waits_for_a_worker_while_jobs_are_queued(
    api, client, outdial, start_worker
):
    """With an import queued and no worker, /readyz is 503 and says why; a
    worker process that starts is seen within seconds (200) and runs the job;
    once it stops, the next queued job makes /readyz 503 again."""

    def queue_import():
        answer = api.post(
            f"/v1.0/outdials/{outdial.id}/targets/import",
            numbers(2, start=len(OutdialTarget.objects.all())).encode(),
            content_type="text/csv",
        )
        assert answer.status_code == 202
        return answer["Location"]

    def not_ready(answer) -> bool:
        return answer.status_code == 503 and answer.json()["error"][
            "message"
        ].startswith("Not ready: worker_seen: jobs are waiting and no worker")

    location = queue_import()
    assert not_ready(client.get("/readyz"))
    worker = start_worker()
    poll("/readyz", client, until=lambda r: r.status_code == 200, timeout=30)
    poll(location, api, until=lambda r: r.json()["status"] == "done")
    assert client.get("/readyz").status_code == 200
    worker.terminate()
    assert worker.wait(timeout=20) == 0
    queue_import()
    assert not_ready(client.get("/readyz"))
