"""Staff pages of the suppression lists (issue 16): the lists, a search for
an address, add and remove an entry, upload (a background job), export, the
change log; another customer's list is a 404."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from outdials import suppression
from outdials.models import SuppressionEntry, SuppressionList, SuppressionUpload
from tests.helpers import messages_of


def test_staff_create_a_list_and_add_an_entry(alice_page, alice):
    response = alice_page.post(
        "/suppressions/", {"name": "Registry", "scope": "all"}, follow=True
    )
    made = SuppressionList.objects.get()
    assert made.customer == alice.customer
    assert "The list “Registry” was created." in messages_of(response)
    response = alice_page.post(
        f"/suppressions/{made.pk}/add/",
        {"address": "+1 (202) 555-0143", "kind": "address", "reason": "asked"},
        follow=True,
    )
    assert "+12025550143 was added." in messages_of(response)
    entry = SuppressionEntry.objects.get()
    assert (entry.address, entry.reason, entry.source) == (
        "+12025550143",
        "asked",
        "alice",
    )
    html = response.content.decode()
    assert "+12025550143" in html
    assert "alice: add +12025550143" in html


def test_a_bad_address_is_refused_with_its_reason(alice_page, alice):
    made = suppression.create_list(alice.customer, name="Registry")
    response = alice_page.post(
        f"/suppressions/{made.pk}/add/",
        {"address": "12", "kind": "address"},
        follow=True,
    )
    assert not SuppressionEntry.objects.exists()
    assert messages_of(response)


def test_staff_remove_an_entry(alice_page, alice):
    made = suppression.create_list(alice.customer, name="Registry")
    entry, _ = suppression.add(made, type_="tel", address="+12025550143")
    response = alice_page.post(
        f"/suppressions/{made.pk}/entries/{entry.pk}/remove/", follow=True
    )
    assert "+12025550143 was removed; it may be dialed again." in messages_of(response)
    assert not SuppressionEntry.objects.exists()


def test_the_search_names_the_lists_of_an_address(alice_page, alice, bob):
    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="tel", address="+1900", kind="prefix")
    theirs = suppression.create_list(bob.customer, name="Bob's secret list")
    suppression.add(theirs, type_="tel", address="+19005550100")
    html = alice_page.get("/suppressions/?address=%2B19005550100").content.decode()
    assert "Registry" in html
    assert "Bob&#x27;s secret list" not in html and "Bob's secret list" not in html


def test_another_customers_list_is_a_404(alice_page, bob):
    theirs = suppression.create_list(bob.customer, name="Bob's")
    entry, _ = suppression.add(theirs, type_="tel", address="+12025550143")
    assert alice_page.get(f"/suppressions/{theirs.pk}/").status_code == 404
    assert alice_page.get(f"/suppressions/{theirs.pk}/entries.csv").status_code == 404
    assert (
        alice_page.post(
            f"/suppressions/{theirs.pk}/entries/{entry.pk}/remove/"
        ).status_code
        == 404
    )
    assert SuppressionEntry.objects.count() == 1


def test_an_upload_loads_entries_in_a_background_job(alice_page, alice):
    made = suppression.create_list(alice.customer, name="Registry")
    csv = (
        "address,kind,reason\n"
        "+12025550143,,complaint\n"
        "ops@example.com,,\n"
        "+1976,prefix,premium\n"
        "12,,\n"
        "+12025550143,,again\n"
    )
    response = alice_page.post(
        f"/suppressions/{made.pk}/upload/",
        {"file": SimpleUploadedFile("dnc.csv", csv.encode(), "text/csv")},
        follow=True,
    )
    upload = SuppressionUpload.objects.get()
    assert upload.status == "done"
    assert upload.result["added"] == 3
    assert (upload.result["rows"], upload.result["invalid"]) == (5, 1)
    assert "3 entries added of 5 rows; 1 already there, 1 invalid." in (
        response.content.decode()
    )
    assert sorted(SuppressionEntry.objects.values_list("address", flat=True)) == [
        "+12025550143",
        "+1976",
        "ops@example.com",
    ]


def test_the_export_streams_every_entry(alice_page, alice):
    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="tel", address="+12025550143", reason="=cmd()")
    response = alice_page.get(f"/suppressions/{made.pk}/entries.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0] == "type,address,kind,expire,reason,source,created"
    assert lines[1].startswith("tel,+12025550143,address,,'=cmd(),,")
    assert suppression.load(made, io.BytesIO(body.encode())) == {
        "rows": 1,
        "added": 0,
        "existing": 1,
        "invalid": 0,
        "errors": [],
    }


def test_the_upload_page_skips_suppressed_rows_and_counts_them(
    alice_page, alice, outdial
):
    from outdials.models import OutdialTarget
    from tests.test_pages_upload import FIXED, import_page, upload

    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="tel", address="+15559876544")
    page = import_page(alice_page, upload(alice_page, outdial, FIXED))
    assert "<dt>Suppressed</dt><dd>1</dd>" in page
    assert "+15559876544 is on the suppression list “Registry”; row skipped." in page
    assert OutdialTarget.objects.count() == 2


def test_outdials_of_the_same_name_are_told_apart_by_when_they_were_made(
    alice_page, alice
):
    from datetime import UTC, datetime

    from outdials.models import Outdial

    for made in (datetime(2026, 3, 1, 9, 30, tzinfo=UTC), datetime(2026, 4, 2, 10, 0)):
        o = Outdial.objects.create(customer=alice.customer, name="Spring")
        Outdial.objects.filter(pk=o.pk).update(tm_create=made.replace(tzinfo=UTC))
    Outdial.objects.create(customer=alice.customer, name="Summer")
    html = alice_page.get("/suppressions/").content.decode()
    assert ">Spring (made 2026-03-01 09:30 UTC)</option>" in html
    assert ">Spring (made 2026-04-02 10:00 UTC)</option>" in html
    assert ">Summer</option>" in html
