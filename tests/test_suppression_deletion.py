"""Deleting a suppression list: it stops applying the moment it is asked; a
small list loses its entries in the request (200 with the list), a big one
(more than ``SUPPRESSION_DELETE_IN_REQUEST`` entries) in a background job
that removes them in short transactions (202 with the deletion, whose
progress the API and the pages show). The row stays, deleted, with its
change log; asking again resumes a deletion that stopped."""

import pytest

from outdials import jobs, suppression
from outdials.models import (
    SuppressionChange,
    SuppressionEntry,
    SuppressionList,
    SuppressionUpload,
)
from outdials.timestamps import SENTINEL
from tests.helpers import admin_url, assert_error, messages_of
from tests.test_dialing import make_target
from tests.test_suppression_dialing import dialed

NUMBERS = [f"+1555000400{i}" for i in range(5)]


@pytest.fixture
def small_threshold(settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "SUPPRESSION_DELETE_IN_REQUEST": 3}


@pytest.fixture
def queued_only(settings):
    """Jobs queued and not run, as with a busy worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}
    }


def make_list(customer, count=5, name="Registry"):
    made = suppression.create_list(customer, name=name)
    for number in NUMBERS[:count]:
        suppression.add(made, type_="tel", address=number)
    return made


def test_a_small_list_is_deleted_in_the_request(api, alice, outdial, small_threshold):
    made = make_list(alice.customer, count=3)
    make_target(outdial, NUMBERS[0])
    response = api.delete(f"/v1.0/suppressions/{made.id}")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(made.id)
    assert response.json()["name"] == "Registry"
    assert not SuppressionEntry.objects.exists()
    made.refresh_from_db()
    assert made.tm_delete is not None
    assert made.changes.order_by("-id").first().action == "delete_list"
    assert not SuppressionUpload.objects.exists()
    # Gone from the API, and it applies nowhere.
    assert_error(
        api.get(f"/v1.0/suppressions/{made.id}"), 404, "SUPPRESSION_LIST_NOT_FOUND"
    )
    assert api.get("/v1.0/suppressions").json()["result"] == []
    assert dialed(api, outdial) == [NUMBERS[0]]
    # Deleting it again answers the same.
    assert api.delete(f"/v1.0/suppressions/{made.id}").status_code == 200
    assert made.changes.filter(action="delete_list").count() == 1


def test_a_big_list_is_deleted_by_a_job(api, alice, small_threshold, monkeypatch):
    monkeypatch.setattr(suppression, "DELETE_CHUNK", 2)
    made = make_list(alice.customer)
    other = make_list(alice.customer, name="Other")
    response = api.delete(f"/v1.0/suppressions/{made.id}")
    assert response.status_code == 202, response.content
    job = SuppressionUpload.objects.get(kind="delete")
    assert response["Location"] == f"/v1.0/suppressions/{made.id}/deletion"
    assert response.json()["id"] == str(job.id)
    assert response.json()["list_id"] == str(made.id)
    assert response.json()["created_by"] == "alice"
    # The in-process backend ran it already.
    progress = api.get(response["Location"])
    assert progress.status_code == 200
    assert progress.json() == {
        "id": str(job.id),
        "list_id": str(made.id),
        "created_by": "alice",
        "removed": 5,
        "tm_create": progress.json()["tm_create"],
        "status": "done",
        "progress": {"checked": 5, "written": 5, "total": 5},
        "tm_start": progress.json()["tm_start"],
        "tm_end": progress.json()["tm_end"],
        "error": None,
    }
    assert progress.json()["tm_end"] != SENTINEL
    assert not SuppressionEntry.objects.filter(list=made).exists()
    assert SuppressionEntry.objects.filter(list=other).count() == 5
    assert SuppressionList.objects.get(pk=made.pk).tm_delete is not None


def test_a_list_stops_applying_before_its_job_has_run(
    api, alice, outdial, small_threshold, queued_only
):
    made = make_list(alice.customer)
    make_target(outdial, NUMBERS[0])
    assert dialed(api, outdial) == []
    response = api.delete(f"/v1.0/suppressions/{made.id}")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["progress"] == {"checked": 0, "written": 0, "total": None}
    assert SuppressionEntry.objects.filter(list=made).count() == 5
    # Claims, eligibility and the check ignore it at once.
    check = api.get("/v1.0/suppressions/check", {"address": NUMBERS[0]})
    assert check.json()["suppressed"] is False
    assert dialed(api, outdial) == [NUMBERS[0]]
    # Asking again while it waits answers the same job.
    again = api.delete(f"/v1.0/suppressions/{made.id}")
    assert (again.status_code, again.json()["id"]) == (202, response.json()["id"])
    suppression.run_delete(response.json()["id"])
    assert not SuppressionEntry.objects.filter(list=made).exists()
    assert api.get(response["Location"]).json()["status"] == "done"


def test_deleting_again_resumes_a_deletion_that_stopped(
    api, alice, small_threshold, queued_only
):
    made = make_list(alice.customer)
    first = SuppressionUpload.objects.get(
        pk=api.delete(f"/v1.0/suppressions/{made.id}").json()["id"]
    )
    jobs.cancel(first)
    suppression.run_delete(str(first.pk))  # a cancelled job does nothing
    assert SuppressionEntry.objects.filter(list=made).count() == 5
    response = api.delete(f"/v1.0/suppressions/{made.id}")
    assert response.status_code == 202
    assert response.json()["id"] != str(first.pk)
    suppression.run_delete(response.json()["id"])
    assert not SuppressionEntry.objects.filter(list=made).exists()
    assert made.changes.filter(action="delete_list").count() == 1


def test_deleting_a_list_cancels_its_open_loads(alice, small_threshold, queued_only):
    import io

    made = make_list(alice.customer, count=1)
    load = suppression.queue_load(made, io.BytesIO(b"address\n+15550004009\n"))
    assert suppression.delete_list(made) is None
    load.refresh_from_db()
    assert load.status == "cancelled"


def test_the_default_list_of_an_outdial_is_made_anew_after_its_deletion(alice, outdial):
    first = suppression.default_list(outdial)
    suppression.delete_list(first)
    second = suppression.default_list(outdial)
    assert second.pk != first.pk
    assert second.default_for == outdial


def test_another_customers_list_is_a_404(api, bob, small_threshold):
    theirs = make_list(bob.customer)
    assert_error(
        api.delete(f"/v1.0/suppressions/{theirs.id}"), 404, "SUPPRESSION_LIST_NOT_FOUND"
    )
    assert_error(
        api.get(f"/v1.0/suppressions/{theirs.id}/deletion"),
        404,
        "SUPPRESSION_LIST_NOT_FOUND",
    )
    assert SuppressionEntry.objects.filter(list=theirs).count() == 5
    assert SuppressionList.objects.get(pk=theirs.pk).tm_delete is None


def test_a_list_never_deleted_by_a_job_has_no_deletion(api, alice):
    made = make_list(alice.customer, count=1)
    response = api.get(f"/v1.0/suppressions/{made.id}/deletion")
    body = assert_error(response, 404, "SUPPRESSION_DELETION_NOT_FOUND")
    assert body["message"] == "The suppression deletion was not found."


def test_the_pages_delete_a_small_list_at_once(alice_page, alice, small_threshold):
    made = make_list(alice.customer, count=2)
    response = alice_page.post(f"/suppressions/{made.pk}/delete/", follow=True)
    assert "The list “Registry” was deleted." in messages_of(response)
    assert response.redirect_chain[-1][0] == "/suppressions/"
    assert not SuppressionEntry.objects.exists()
    assert alice_page.get(f"/suppressions/{made.pk}/").status_code == 404


def test_the_pages_show_a_big_lists_deletion_as_a_job(
    alice_page, alice, small_threshold, queued_only
):
    made = make_list(alice.customer)
    response = alice_page.post(f"/suppressions/{made.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"/suppressions/{made.pk}/deletion/"
    html = response.content.decode()
    assert "Queued: 0 of ? entries removed so far." in html
    assert '<meta http-equiv="refresh" content="2">' in html
    suppression.run_delete(str(SuppressionUpload.objects.get(kind="delete").pk))
    html = alice_page.get(f"/suppressions/{made.pk}/deletion/").content.decode()
    assert "5 entries removed; the list is deleted." in html
    assert "http-equiv" not in html


def test_another_customers_deletion_page_is_a_404(client, bob, alice_page):
    theirs = make_list(bob.customer, count=1)
    assert alice_page.post(f"/suppressions/{theirs.pk}/delete/").status_code == 404
    assert alice_page.get(f"/suppressions/{theirs.pk}/deletion/").status_code == 404


def test_the_admin_deletes_a_list_without_listing_its_entries(
    admin_client, alice, small_threshold
):
    made = make_list(alice.customer)
    url = admin_url(SuppressionList, "delete", made.pk)
    assert "Registry (and its entries)" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert SuppressionList.objects.get(pk=made.pk).tm_delete is not None
    assert not SuppressionEntry.objects.filter(list=made).exists()
    assert SuppressionChange.objects.filter(action="delete_list").count() == 1


def test_a_load_writes_nothing_into_its_list_once_it_is_deleted(alice, monkeypatch):
    """Deleted between two chunks: the next chunk is never written."""
    import io

    monkeypatch.setattr(suppression, "LOAD_CHUNK", 2)
    made = make_list(alice.customer, count=0)
    rows = "address\n" + "".join(f"+1555000500{n}\n" for n in range(5))

    def progress(counts):
        suppression.delete_list(made)

    with pytest.raises(suppression.ListDeleted):
        suppression.load(made, io.BytesIO(rows.encode()), progress=progress)
    assert SuppressionEntry.objects.filter(list=made).count() == 0


def test_a_load_job_deleted_before_it_notices_writes_no_last_chunk(
    alice, small_threshold, queued_only, monkeypatch
):
    """The job learns of its cancellation at its next heartbeat; a chunk
    it writes before then finds the list deleted and stops it."""
    import io

    monkeypatch.setattr(suppression, "LOAD_CHUNK", 2)
    monkeypatch.setattr(jobs.Tracker, "check", lambda self: None)
    made = make_list(alice.customer, count=0)
    rows = "address\n" + "".join(f"+1555000500{n}\n" for n in range(5))
    load = suppression.queue_load(made, io.BytesIO(rows.encode()))
    written = []
    update = jobs.Tracker.update

    def deleted_after_the_first_chunk(self, **values):
        update(self, **values)
        if not written:
            written.append(SuppressionEntry.objects.filter(list=made).count())
            suppression.delete_list(made)

    monkeypatch.setattr(jobs.Tracker, "update", deleted_after_the_first_chunk)
    suppression.run_load(str(load.pk))
    load.refresh_from_db()
    assert load.status == "cancelled"
    assert written == [2]
    assert SuppressionEntry.objects.filter(list=made).count() == 0
