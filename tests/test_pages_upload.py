"""Staff pages: upload (file, mapping and preview, import, history, undo) and
CSV export."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outdials import dialing, importing, targets
from outdials.models import ImportBatch, OutdialTarget
from tests.helpers import messages_of, tel

BAD = "name,destination_0\nAnn,+15559876543\nBo,12345\nCy,(202) 555-0143\n"
FIXED = "name,destination_0\nAnn,+15559876543\nBo,+15559876544\nCy,(202) 555-0143\n"


def csv_file(text: str, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def stage(client, outdial, text, name="leads.csv"):
    """Step 1: the file; answers the mapping step's address."""
    response = client.post(
        f"/outdials/{outdial.pk}/upload/", {"file": csv_file(text, name)}
    )
    assert response.status_code == 302, response.content
    return response["Location"]


def offered_mapping(html: str) -> dict:
    """The mapping step's choices as a browser would post them unchanged."""
    chosen = {}
    for select in re.findall(
        r'<select name="(column_\d+)"[^>]*>(.*?)</select>', html, re.S
    ):
        name, options = select
        found = re.search(r'<option value="([^"]*)" selected>', options)
        chosen[name] = found.group(1) if found else ""
    return chosen


def upload(client, outdial, text, name="leads.csv", action="import", **options):
    """Both steps: the file, then Import with the offered mapping."""
    review = stage(client, outdial, text, name)
    data = {
        **offered_mapping(client.get(review).content.decode()),
        "region": "US",
        "on_duplicate": "skip",
        "on_error": "abort",
        "action": action,
        **options,
    }
    return client.post(review, data)


def import_page(client, response) -> str:
    """The import's own page, where Import leads (its job ran in process)."""
    batch = ImportBatch.objects.order_by("-tm_create").first()
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/outdials/{batch.outdial_id}/imports/{batch.pk}/"
    return client.get(response["Location"]).content.decode()


def outcome(html: str) -> str:
    found = re.search(
        r'<p class="message [^"]*" role="(?:status|alert)">([^<]*)</p>', html
    )
    return found[1]


def error_rows(html: str) -> list[tuple[str, str, str]]:
    table = html[html.index("Rows to fix") :]
    table = table[: table.index("</table>")]
    return re.findall(
        r'<tr><td>([^<]*)</td><td class="cell-mono">([^<]*)</td><td>([^<]*)</td></tr>',
        table,
    )


def test_the_upload_page_offers_the_accepted_file_types(alice_page, outdial):
    html = alice_page.get(f"/outdials/{outdial.pk}/upload/").content.decode()
    assert '<label for="id_file">CSV or spreadsheet file</label>' in html
    assert 'accept=".csv,.tsv,.txt,.xlsx,.xls,.ods,text/csv,' in html
    assert 'enctype="multipart/form-data"' in html
    assert "No imports into this outdial yet." in html


def test_the_mapping_step_has_labelled_options(alice_page, outdial):
    html = alice_page.get(stage(alice_page, outdial, FIXED)).content.decode()
    for field, label in [
        ("region", "Default country for national numbers"),
        ("on_duplicate", "Duplicate addresses"),
        ("on_error", "Invalid rows"),
        ("key", "Key column (update on re-upload)"),
        ("unmapped_to_data", "Keep the columns left out in Data (as JSON)"),
        ("save_mapping", "Remember this mapping for this outdial&#x27;s next file"),
        ("column_0", "name"),
        ("column_1", "destination_0"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html
    assert '<option value="US" selected>US (+1)</option>' in html
    assert '<option value="GB">GB (+44)</option>' in html


def test_a_file_with_a_bad_row_imports_nothing_and_lists_the_row(alice_page, outdial):
    html = import_page(alice_page, upload(alice_page, outdial, BAD))
    assert outcome(html) == (
        "1 of 3 rows are invalid, so nothing was imported. Fix the rows listed "
        "below and upload the file again, or choose to import the valid rows only."
    )
    assert error_rows(html) == [
        ("3", "destination_0", "12345 is too short for its country code.")
    ]
    assert "<dt>Invalid</dt><dd>1</dd>" in html
    assert "Undo" not in html
    assert OutdialTarget.objects.count() == 0
    # The import's job stays in the history, failed, with why.
    assert ImportBatch.objects.get().status == "failed"


def test_the_fixed_file_imports_and_its_report_stays_on_the_page(
    alice_page, alice, outdial
):
    upload(alice_page, outdial, BAD)
    response = upload(alice_page, outdial, FIXED, name="leads-fixed.csv")
    html = import_page(alice_page, response)
    batch = ImportBatch.objects.get(status="done")
    assert outcome(html) == "Imported 3 targets."
    assert (batch.file_name, batch.created_by, batch.created) == (
        "leads-fixed.csv",
        alice.user,
        3,
    )
    national = OutdialTarget.objects.get(name="Cy").slots()[0].target
    assert national == "+12025550143"
    assert "Import of leads-fixed.csv" in html
    assert "<dt>Created</dt><dd>3</dd>" in html
    assert f'href="/outdials/{outdial.pk}/imports/{batch.pk}/undo/"' in html
    history = alice_page.get(f"/outdials/{outdial.pk}/upload/").content.decode()
    assert "<td>leads-fixed.csv</td>" in history and "<td>alice</td>" in history
    assert f'href="/outdials/{outdial.pk}/imports/{batch.pk}/"' in history


def test_the_preview_reports_without_importing(alice_page, outdial):
    response = upload(alice_page, outdial, FIXED, action="preview")
    assert response.status_code == 200
    assert "<dt>Would create</dt><dd>3</dd>" in response.content.decode()
    assert "The first 3 rows as they would be stored:" in response.content.decode()
    assert OutdialTarget.objects.count() == 0
    one = upload(
        alice_page, outdial, "name,destination_0\nAnn,+15559876543\n", action="preview"
    )
    assert "The row as it would be stored:" in one.content.decode()


def test_skipping_bad_rows_imports_the_good_ones_and_lists_the_bad(alice_page, outdial):
    response = upload(alice_page, outdial, BAD, on_error="skip")
    html = import_page(alice_page, response)
    assert outcome(html) == "Imported 2 targets; left out 1 invalid row (listed below)."
    assert error_rows(html) == [
        ("3", "destination_0", "12345 is too short for its country code.")
    ]
    assert OutdialTarget.objects.count() == 2


def test_duplicates_follow_the_chosen_policy(alice_page, outdial):
    targets.create_target(outdial, name="Old", slots=[tel("+15559876543")])
    html = import_page(alice_page, upload(alice_page, outdial, FIXED))
    assert outcome(html) == "Imported 2 targets; skipped 1 duplicate row."
    response = upload(alice_page, outdial, FIXED, on_duplicate="allow")
    assert outcome(import_page(alice_page, response)) == "Imported 3 targets."


def test_a_whole_file_problem_is_explained(alice_page, outdial):
    response = upload(alice_page, outdial, "name,company\nAnn,Acme\n")
    html = import_page(alice_page, response)
    assert (
        "Nothing was imported: No column holds a phone number or address. The "
        "columns found are “name”, “company”; expected a phone, mobile, cell, "
        "email or sip column"
    ) in html
    assert OutdialTarget.objects.count() == 0


def test_a_running_import_refreshes_itself_and_can_be_cancelled(alice_page, outdial):
    """While it runs, the page reloads itself without JavaScript (pages.js
    refreshes the panel in place instead) and offers Cancel."""
    batch = ImportBatch.objects.create(
        outdial=outdial, status="running", file_name="big.csv", checked=1200
    )
    html = alice_page.get(f"/outdials/{outdial.pk}/imports/{batch.pk}/").content
    html = html.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert 'data-job-progress="running"' in html
    assert "<dt>Rows checked</dt><dd>1200</dd>" in html
    history = alice_page.get(f"/outdials/{outdial.pk}/upload/").content.decode()
    assert "1200 rows checked" in history
    response = alice_page.post(f"/outdials/{outdial.pk}/imports/{batch.pk}/cancel/")
    assert messages_of(response) == ["Cancelled the import: nothing of it was kept."]
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    html = alice_page.get(response["Location"]).content.decode()
    assert "refresh" not in html


def test_a_large_file_is_checked_in_the_background(alice_page, outdial, settings):
    """The mapping step checks a small file there and then; a large one, as
    the import itself, is a job with its own page."""
    from outdials import views

    settings.OUTDIALS = dict(settings.OUTDIALS)
    original = views.INLINE_CHECK_BYTES
    views.INLINE_CHECK_BYTES = 10
    try:
        review = stage(alice_page, outdial, FIXED)
        html = alice_page.get(review).content.decode()
        assert "checked in the background" in html
        response = upload(alice_page, outdial, FIXED, action="preview")
        page = import_page(alice_page, response)
    finally:
        views.INLINE_CHECK_BYTES = original
    assert outcome(page) == "Checked the file; nothing was imported."
    assert "<dt>Would create</dt><dd>3</dd>" in page
    assert OutdialTarget.objects.count() == 0


def test_an_upload_without_a_file_asks_for_one(alice_page, outdial):
    response = alice_page.post(
        f"/outdials/{outdial.pk}/upload/",
        {"region": "US", "on_duplicate": "skip", "on_error": "abort"},
    )
    assert "This field is required." in response.content.decode()


def test_bad_options_are_refused_by_the_mapping_step(alice_page, outdial):
    response = upload(alice_page, outdial, FIXED, region="XX", on_duplicate="merge")
    html = response.content.decode()
    assert "Select a valid choice. XX is not one of the available choices." in html
    assert "Select a valid choice. merge is not one of the available choices." in html
    assert OutdialTarget.objects.count() == 0


def test_undo_asks_then_removes_the_targets_never_dialed(alice_page, outdial):
    upload(alice_page, outdial, FIXED)
    batch = ImportBatch.objects.get()
    dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)
    url = f"/outdials/{outdial.pk}/imports/{batch.pk}/undo/"
    assert "Undo the import of leads.csv?" in alice_page.get(url).content.decode()
    assert OutdialTarget.objects.live().count() == 3
    response = alice_page.post(url)
    assert response["Location"] == f"/outdials/{outdial.pk}/upload/"
    assert messages_of(response)[-1] == (
        "Undid the import: removed 2 targets; kept 1 that were already dialed."
    )
    assert OutdialTarget.objects.live().count() == 1
    again = alice_page.post(url)
    assert messages_of(again)[-1] == "This import was undone already."
    html = alice_page.get(f"/outdials/{outdial.pk}/upload/").content.decode()
    assert "Undone " in html


def test_another_outdials_import_cannot_be_undone_from_here(
    alice_page, alice, outdial, bobs_outdial
):
    bobs = importing.import_csv(bobs_outdial, io.BytesIO(FIXED.encode()))
    url = f"/outdials/{outdial.pk}/imports/{bobs.import_id}/undo/"
    assert alice_page.get(url).status_code == 404
    assert alice_page.post(url).status_code == 404
    url = f"/outdials/{bobs_outdial.pk}/imports/{bobs.import_id}/undo/"
    assert alice_page.post(url).status_code == 404
    assert OutdialTarget.objects.live().filter(outdial=bobs_outdial).count() == 3
    shown = alice_page.get(f"/outdials/{outdial.pk}/upload/?import={bobs.import_id}")
    assert "Import of" not in shown.content.decode()
    page = f"/outdials/{outdial.pk}/imports/{bobs.import_id}/"
    assert alice_page.get(page).status_code == 404


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_streams_the_targets_as_csv(alice_page, outdial):
    targets.create_target(outdial, name="=cmd", slots=[tel("+15559876543")])
    response = alice_page.get(f"/outdials/{outdial.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="test-outdial-targets.csv"'
    )
    [row] = rows_of(response)
    assert (row["name"], row["destination_0"], row["status"]) == (
        "'=cmd",
        "+15559876543",
        "idle",
    )


@pytest.mark.parametrize(
    ("query", "names"),
    [("status=done", ["Ann"]), ("q=%2B44", ["Bo"]), ("q=ann&status=idle", [])],
)
def test_export_honours_the_tables_filters(alice_page, outdial, query, names):
    ann = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    targets.create_target(outdial, name="Bo", slots=[tel("+442079460958")])
    dialing.set_status(ann, "done")
    response = alice_page.get(f"/outdials/{outdial.pk}/export.csv?{query}")
    assert [row["name"] for row in rows_of(response)] == names


def test_export_with_a_bad_filter_exports_nothing(alice_page, outdial):
    response = alice_page.get(f"/outdials/{outdial.pk}/export.csv?status=bogus")
    assert response["Location"] == f"/outdials/{outdial.pk}/"
    assert messages_of(response) == [
        "Those filters are not valid; nothing was exported."
    ]
