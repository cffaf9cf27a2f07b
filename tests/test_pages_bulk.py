"""Bulk changes on the outdial page for every target matching the filters:
the count beside "these selected", the confirmation with the targets a dialer
holds, large changes and exports as jobs with a progress page."""

import csv
import io
import re

import pytest

from outdials import dialing, targets
from outdials.models import Destination, OutdialTarget, TargetsJob

from .helpers import tel


@pytest.fixture
def page(outdial):
    return f"/outdials/{outdial.pk}/"


@pytest.fixture
def four(outdial):
    made = [
        targets.create_target(outdial, name=name, slots=[tel(f"+1555987654{i}")])
        for i, name in enumerate(["Ann", "Bo", "Cy", "Di"])
    ]
    dialing.claim(outdial, max_try_counts=[2, 0, 0, 0, 0], limit=1)  # holds Ann
    return made


@pytest.fixture
def small_bulk_limit(settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "BULK_INLINE_MAX": 2}


def bulk(client, page, action, back="", confirm=False):
    data = {"action": action, "scope": "all", "back": back}
    if confirm:
        data["confirm"] = "yes"
    return client.post(page + "targets/bulk/", data)


def test_the_page_offers_all_matching_beside_the_selected(alice_page, page, four):
    html = alice_page.get(page).content.decode()
    assert "all 4 matching" in html
    html = alice_page.get(page + "?status=idle").content.decode()
    assert "all 3 matching" in html
    html = alice_page.get(page + "?q=Bo").content.decode()
    assert "> all 1 matching</label>" in html  # a search is counted too
    confirm = bulk(alice_page, page, "done", back="q=Bo").content.decode()
    assert "Mark done: all 1 matching target?" in confirm


def test_the_confirmation_says_how_many_are_held_before_anything_changes(
    alice_page, page, four
):
    html = bulk(alice_page, page, "done").content.decode()
    assert "Mark done: all 4 matching targets?" in html
    assert "3 will be marked done; 1 is being dialed and will be left." in html
    assert OutdialTarget.objects.filter(status="done").count() == 0
    done = bulk(alice_page, page, "done", confirm=True)
    assert done["Location"] == page
    statuses = dict(OutdialTarget.objects.values_list("name", "status"))
    assert statuses == {"Ann": "progressing", "Bo": "done", "Cy": "done", "Di": "done"}


def test_a_delete_confirmation_counts_what_will_be_deleted_and_left(
    alice_page, page, four
):
    html = bulk(alice_page, page, "delete").content.decode()
    assert "3 will be deleted; 1 is being dialed and will be left." in html


def test_all_matching_honours_the_tables_filters(alice_page, page, four):
    bulk(alice_page, page, "delete", back="q=Cy", confirm=True)
    live = set(OutdialTarget.objects.live().values_list("name", flat=True))
    assert live == {"Ann", "Bo", "Di"}


def test_reset_try_counts_dials_them_again(alice_page, page, outdial, four):
    ann = four[0]
    dialing.report_result(outdial, ann.pk, _claim_of(ann), "no_answer")
    dialing.set_status(four[1], "done")
    bulk(alice_page, page, "redial", confirm=True)
    assert set(Destination.objects.values_list("try_count", flat=True)) == {0}
    assert set(OutdialTarget.objects.values_list("status", flat=True)) == {"idle"}
    assert ann.attempts.count() == 1  # the log stays


def _claim_of(target):
    return target.attempts.get().pk


def test_a_large_change_runs_as_a_job_with_a_progress_page(
    alice_page, page, outdial, four, small_bulk_limit
):
    html = bulk(alice_page, page, "done").content.decode()
    assert "This runs in the background" in html
    response = bulk(alice_page, page, "done", confirm=True)
    job = TargetsJob.objects.get()
    assert response["Location"] == f"{page}jobs/{job.pk}/"
    shown = alice_page.get(response["Location"]).content.decode()
    assert "Changed 3 of 4 targets; left 1 alone while being dialed." in shown
    job.refresh_from_db()
    assert (job.status, job.result) == (
        "done",
        {"matched": 4, "changed": 3, "skipped": 1},
    )
    assert OutdialTarget.objects.filter(status="done").count() == 3


def test_a_large_export_is_a_file_to_download_when_complete(
    alice_page, page, four, small_bulk_limit
):
    response = bulk(alice_page, page, "export")
    job = TargetsJob.objects.get()
    assert response["Location"] == f"{page}jobs/{job.pk}/"
    shown = alice_page.get(response["Location"]).content.decode()
    assert "Exported 4 targets." in shown
    download = alice_page.get(f"{page}jobs/{job.pk}/targets.csv")
    assert download["Content-Disposition"] == (
        'attachment; filename="test-outdial-targets.csv"'
    )
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["name"] for row in rows] == ["Ann", "Bo", "Cy", "Di"]


def test_a_small_export_of_all_matching_streams_at_once(alice_page, page, four):
    response = bulk(alice_page, page, "export", back="status=idle")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["name"] for row in csv.DictReader(io.StringIO(body))] == [
        "Bo",
        "Cy",
        "Di",
    ]
    assert TargetsJob.objects.count() == 0


def test_another_customers_job_is_a_404(alice_page, bob, bobs_outdial):
    job = TargetsJob.objects.create(outdial=bobs_outdial, kind="done")
    assert (
        alice_page.get(f"/outdials/{bobs_outdial.pk}/jobs/{job.pk}/").status_code == 404
    )


def test_a_broad_search_over_a_big_list_is_estimated_and_its_job_counts_it(
    alice_page, page, outdial, monkeypatch
):
    """Past the table's cap the request estimates (``counting``), as the
    table does, instead of counting every match; the job counts exactly."""
    from outdials import counting

    monkeypatch.setattr(counting, "EXACT_UP_TO", 10)
    monkeypatch.setattr(counting, "SAMPLE", 20)
    OutdialTarget.objects.bulk_create(
        OutdialTarget(outdial=outdial, name="Ann Ortiz" if i % 2 else "Bo Lee")
        for i in range(60)
    )
    html = bulk(alice_page, page, "delete", back="q=ortiz").content.decode()
    about = re.search(r"Delete: all about (\d+) matching targets\?", html)
    assert about and 20 < int(about[1]) < 40, html
    assert f"About {about[1]} will be deleted." in html
    assert "a page follows its progress and counts them exactly first" in html
    assert OutdialTarget.objects.live().count() == 60
    response = bulk(alice_page, page, "delete", back="q=ortiz", confirm=True)
    job = TargetsJob.objects.get()
    assert response["Location"] == f"{page}jobs/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.total, job.result) == (
        "done",
        30,
        {"matched": 30, "changed": 30, "skipped": 0},
    )
    left = set(OutdialTarget.objects.live().values_list("name", flat=True))
    assert left == {"Bo Lee"}
    shown = alice_page.get(response["Location"]).content.decode()
    assert "Delete: 30 targets" in shown
