"""Uploads the way staff's files really look: CRM exports, spreadsheets with a
title row, semicolons and a BOM, OpenDocument, a key column re-upload: through
the API, the staff pages and the command, with the mapping guessed or chosen."""

import io
import json
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from outdials import dialing, importing
from outdials.importing.header import read_columns
from outdials.models import (
    Destination,
    ImportBatch,
    OutdialTarget,
    SavedMapping,
    StagedUpload,
)
from tests.helpers import assert_error
from tests.test_pages_upload import messages_of, offered_mapping

CRM = (
    "First Name,Last Name,Phone,Mobile,Email,Time Zone\n"
    "Ann,Lee,(202) 555-0143,,ann@example.com,EST\n"
    "Bo,Chen,,+44 20 7946 0958,,GMT\n"
    "Cy,Diaz,(202) 555-0199,(202) 555-0198,,PST\n"
)
SEMICOLONS = (
    "\ufeffName;Phone;E-mail\r\nAnn Lee;+33 1 42 68 53 00;ann@example.com\r\n"
    "Bo Chen;020 7946 0958;\r\n"
)
KEYED = "CRM ID,Full Name,Work Phone,Home Phone\n101,Ann Lee,(202) 555-0143,\n"
KEYED += "102,Bo Chen,(202) 555-0144,(202) 555-0145\n"
KEYED_AGAIN = (
    "CRM ID,Full Name,Work Phone,Home Phone\n"
    "101,Ann Lee-Smith,(202) 555-0143,(202) 555-0177\n"
    "102,Bo Chen,(202) 555-0144,(202) 555-0145\n"
    "103,Cy Diaz,(202) 555-0146,\n"
)


def xlsx(rows, title="Leads", extra_sheet=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        other = book.create_sheet(extra_sheet[0])
        for row in extra_sheet[1]:
            other.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods(rows) -> bytes:
    """A minimal OpenDocument spreadsheet, as LibreOffice writes its core."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            '<table:table-cell office:value-type="string"><text:p>'
            f"{value}</text:p></table:table-cell>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Contacts">{cells}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return out.getvalue()


def stored(outdial) -> list[tuple]:
    found = []
    for target in (
        OutdialTarget.objects.live()
        .filter(outdial=outdial)
        .with_destinations()
        .order_by("name")
    ):
        found.append(
            (target.name, target.data, [d.target for d in target.destinations.all()])
        )
    return found


def run(outdial, content: bytes | str, name="file.csv", **options):
    if isinstance(content, str):
        content = content.encode()
    options.setdefault("region", "US")
    return importing.import_csv(outdial, io.BytesIO(content), file_name=name, **options)


# -- the importer: shapes, guesses, messages -----------------------------------------


def test_a_crm_export_is_guessed_and_says_what_it_guessed(outdial):
    report = run(outdial, CRM)
    assert (report.rows, report.created, report.invalid) == (3, 3, 0)
    assert report.mapping == {
        "Phone": "destination_0",
        "Mobile": "destination_1",
        "Email": "destination_2",
        "First Name": "first_name",
        "Last Name": "last_name",
    }
    assert report.warnings == [
        {"row": 1, "column": "Time Zone", "message": "Unknown column; it is ignored."},
        {
            "row": 1,
            "column": "",
            "message": "Guessed the columns: Phone → destination_0; Mobile → "
            "destination_1; Email → destination_2; First Name → first_name; "
            "Last Name → last_name. Change them on the mapping step (API: "
            "mapping, command: --map).",
        },
    ]
    # An empty Phone lets the Mobile be the first destination.
    assert stored(outdial) == [
        ("Ann Lee", "", ["+12025550143", "ann@example.com"]),
        ("Bo Chen", "", ["+442079460958"]),
        ("Cy Diaz", "", ["+12025550199", "+12025550198"]),
    ]


def test_columns_left_out_can_be_kept_in_data_as_json(outdial):
    run(outdial, CRM, unmapped_to_data=True)
    assert [data for _name, data, _d in stored(outdial)] == [
        '{"Time Zone": "EST"}',
        '{"Time Zone": "GMT"}',
        '{"Time Zone": "PST"}',
    ]


def test_semicolons_and_a_bom_are_read(outdial):
    report = run(outdial, SEMICOLONS, region="GB")
    assert (report.created, report.invalid) == (2, 0)
    assert report.mapping == {
        "Name": "name",
        "Phone": "destination_0",
        "E-mail": "destination_1",
    }
    assert stored(outdial) == [
        ("Ann Lee", "", ["+33142685300", "ann@example.com"]),
        ("Bo Chen", "", ["+442079460958"]),
    ]


def test_an_xlsx_sheet_with_a_title_row_numbers_rows_as_excel_does(outdial):
    content = xlsx(
        [
            ["Contacts export, November"],
            ["Full Name", "Mobile Phone", "Notes"],
            ["Ann Lee", 2025550143, "vip"],
            ["Bo Chen", 12, ""],
        ]
    )
    report = run(outdial, content, "leads.xlsx", on_error="skip")
    assert (report.sheet, report.sheets) == ("Leads", ["Leads"])
    assert report.errors == [
        {
            "row": 4,
            "column": "Mobile Phone",
            "message": "12 is too short for its country code.",
        }
    ]
    assert report.warnings[0]["message"] == (
        "“Contacts export, November” looks like a title, not a header; row 2 "
        "is read as the header."
    )
    [ann] = OutdialTarget.objects.filter(outdial=outdial)
    assert (ann.name, ann.detail, ann.slots()[0].target) == (
        "Ann Lee",
        "vip",
        "+12025550143",
    )


def test_an_export_with_a_title_and_an_empty_row_above_its_header(outdial):
    content = xlsx(
        [
            ["Campaign export 2026"],
            [],
            ["First", "Last", "Cell", "CRM Id"],
            ["Ann", "Lee", 4155550111, 1001],
            ["Bo", "Chen", "415-555-0113", 1002],
            ["Cy", "Díaz", 12, "A-1003"],
        ]
    )
    report = run(outdial, content, "leads.xlsx", on_error="skip")
    assert report.warnings[0] == {
        "row": 1,
        "column": "",
        "message": "“Campaign export 2026” looks like a title, not a header; "
        "row 3 is read as the header.",
    }
    assert report.errors == [
        {"row": 6, "column": "Cell", "message": "12 is too short for its country code."}
    ]
    assert sorted(
        (t.name, t.slots()[0].target) for t in OutdialTarget.objects.all()
    ) == [("Ann Lee", "+14155550111"), ("Bo Chen", "+14155550113")]


def test_a_sheet_whose_header_is_not_near_the_top_is_refused_by_row(outdial):
    content = xlsx(
        [["Campaign export 2026"], *[[] for _ in range(11)], ["name", "phone"]]
    )
    with pytest.raises(importing.ImportRejected) as refused:
        run(outdial, content, "leads.xlsx")
    message = (
        "The sheet “Leads” has no header in its first 11 rows; put the header "
        "(name, phone, …) above the rows."
    )
    assert (refused.value.reason, refused.value.message) == ("MISSING_HEADER", message)
    assert refused.value.report.errors == [
        {"row": 11, "column": "", "message": message}
    ]
    assert OutdialTarget.objects.count() == 0


def test_a_csv_saved_from_such_a_sheet_is_read_the_same(outdial):
    content = (
        "Campaign export 2026,,\n"
        ",,\n"
        "name,destination_0,detail\n"
        "Ann Lee,+15559876543,vip\n"
        "Bo Chen,12,\n"
    )
    report = run(outdial, content, "leads.csv", on_error="skip")
    [title] = [w for w in report.warnings if "title" in w["message"]]
    assert title["row"] == 1
    assert title["message"].endswith("row 3 is read as the header.")
    assert report.errors == [
        {
            "row": 5,
            "column": "destination_0",
            "message": "12 is too short for its country code.",
        }
    ]
    assert [t.name for t in OutdialTarget.objects.all()] == ["Ann Lee"]
    columns = read_columns(io.BytesIO(content.encode()), "leads.csv")
    assert columns.header == ["name", "destination_0", "detail"]
    assert columns.samples[0] == ["Ann Lee", "Bo Chen"]


def test_a_one_column_csv_with_empty_columns_beside_keeps_its_first_row(outdial):
    report = run(outdial, "destination_0,\n+15559876543,\n+15559876544,\n")
    assert report.created == 2
    assert not any("title" in w["message"] for w in report.warnings)


def test_the_sheet_of_a_workbook_can_be_chosen(outdial):
    content = xlsx(
        [["notes only"]],
        extra_sheet=("People", [["name", "phone"], ["Ann", "+15559876543"]]),
    )
    report = run(outdial, content, "book.xlsx", sheet="People")
    assert (report.created, report.sheets) == (1, ["Leads", "People"])
    with pytest.raises(importing.ImportRejected) as refused:
        run(outdial, content, "book.xlsx", sheet="Nope")
    assert refused.value.message == (
        "The workbook has no sheet “Nope”; its sheets are “Leads”, “People”."
    )


def test_an_ods_file_is_read_like_a_sheet(outdial):
    report = run(
        outdial,
        ods([["Contact", "Cell", "SIP"], ["Ann", "+15559876543", "sip:a@pbx.io"]]),
        "contacts.ods",
    )
    assert (report.created, report.sheet) == (1, "Contacts")
    assert stored(outdial) == [("Ann", "", ["+15559876543", "sip:a@pbx.io"])]


@pytest.mark.parametrize(
    ("content", "name", "what"),
    [
        (b"%PDF-1.7\n...", "list.pdf", "“list.pdf” is a PDF document"),
        (b"\x89PNG\r\n\x1a\n....", "photo.png", "“photo.png” is a PNG image"),
        (b'{"a": 1}', "people.json", "“people.json” is a JSON file"),
    ],
)
def test_a_file_of_another_kind_names_what_was_received(outdial, content, name, what):
    with pytest.raises(importing.ImportRejected) as refused:
        run(outdial, content, name)
    assert refused.value.http_status == 400
    assert refused.value.message == (
        f"{what}; upload one of CSV (.csv, .tsv, .txt), Excel (.xlsx, .xls) or "
        "OpenDocument (.ods) files. In a spreadsheet program, Save As or "
        "Download as one of those."
    )


def test_a_header_without_a_destination_lists_found_and_expected(outdial):
    with pytest.raises(importing.ImportRejected) as refused:
        run(outdial, "First,Last,Company\nAnn,Lee,Acme\n")
    assert refused.value.message == (
        "No column holds a phone number or address. The columns found are "
        "“First”, “Last”, “Company”; expected a phone, mobile, cell, email or sip "
        "column, or destination_0 … destination_4. Choose which column holds the "
        "number on the mapping step (API: mapping, command: --map)."
    )


def test_a_national_number_too_long_suggests_another_country(outdial):
    report = run(outdial, "name,phone\nAnn,020 7946 0958 123\n", on_error="skip")
    assert report.errors[0]["message"] == (
        "020 7946 0958 123 is too long for a US number (+1); the country may be "
        "different: write it with + and its country code, or choose its country "
        "as the default."
    )


def test_a_chosen_mapping_wins_over_the_guess(outdial):
    report = run(
        outdial,
        "Phone,Assistant Phone,Who\n+15559876543,+15559876544,Ann\n",
        columns={"Assistant Phone": "destination_0", "Who": "name", "Phone": ""},
    )
    assert [w for w in report.warnings if w["row"] == 1] == []
    assert stored(outdial) == [("Ann", "", ["+15559876544"])]


@pytest.mark.parametrize(
    ("columns", "reason", "message"),
    [
        (
            {"Phone": "destination_0", "Mobile": "destination_0"},
            "MAPPING_CONFLICT",
            "Both “Phone” and “Mobile” are mapped to destination_0; map one "
            "column to each field.",
        ),
        (
            {"Fax": "destination_0"},
            "UNKNOWN_COLUMN",
            "The mapping names the column “Fax”, which the file does not have. "
            "The columns found are “Phone”, “Mobile”.",
        ),
        (
            {"Phone": "phone"},
            "INVALID_MAPPING",
            "The mapping maps “Phone” to “phone”, which is not a field; use one "
            "of name, first_name, last_name, detail, data, destination_0, "
            "destination_0_type, destination_0_name, destination_1, "
            "destination_1_type, destination_1_name, destination_2, "
            "destination_2_type, destination_2_name, destination_3, "
            "destination_3_type, destination_3_name, destination_4, "
            "destination_4_type, destination_4_name, timezone, or an empty string "
            "to leave the column out.",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_with_why(outdial, columns, reason, message):
    with pytest.raises(importing.ImportRejected) as refused:
        run(outdial, "Phone,Mobile\n+15559876543,\n", columns=columns)
    assert (refused.value.reason, refused.value.message) == (reason, message)


# -- update on re-upload -------------------------------------------------------------


def test_a_key_column_re_upload_updates_keeps_tries_and_undo_restores(outdial):
    first = run(outdial, KEYED, key="CRM ID")
    assert (first.created, first.updated) == (2, 0)
    [claimed] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)
    dialing.report_result(outdial, claimed.target.pk, claimed.claim_id, "no_answer")
    tried = claimed.target.pk
    again = run(outdial, KEYED_AGAIN, key="CRM ID")
    counts = (again.rows, again.created, again.updated, again.unchanged)
    assert counts == (3, 1, 1, 1)
    assert again.duplicates == again.invalid == 0
    ann = OutdialTarget.objects.get(external_id="101")
    assert ann.name == "Ann Lee-Smith"
    assert [d.target for d in ann.slots() if d] == ["+12025550143", "+12025550177"]
    assert OutdialTarget.objects.live().count() == 3
    tries = Destination.objects.get(outdial_target=tried, index=0).try_count
    assert tries == 1  # kept through the update
    batch = ImportBatch.objects.get(pk=again.import_id)
    assert (batch.created, batch.updated, batch.unchanged) == (1, 1, 1)
    undone = importing.undo_import(batch)
    assert (undone.deleted, undone.restored) == (1, 1)
    ann.refresh_from_db()
    assert ann.name == "Ann Lee"
    assert [d.target for d in ann.slots() if d] == ["+12025550143"]
    assert OutdialTarget.objects.live().count() == 2


def test_a_key_repeated_in_the_file_is_a_duplicate(outdial):
    report = run(
        outdial,
        "id,phone\nA1,+15559876543\nA1,+15559876544\n",
        key="id",
    )
    assert (report.created, report.duplicates) == (1, 1)
    assert report.warnings[-1] == {
        "row": 3,
        "column": "id",
        "message": "The key A1 repeats row 2; row skipped.",
    }


def test_the_preview_shows_rows_as_they_would_be_stored(outdial):
    run(outdial, KEYED, key="CRM ID")
    report = run(
        outdial, KEYED_AGAIN + "104,Dee,12,\n", key="CRM ID", dry_run=True, preview=20
    )
    assert [(row["row"], row["action"]) for row in report.preview] == [
        (2, "update"),
        (3, "unchanged"),
        (4, "create"),
        (5, "invalid"),
    ]
    assert report.preview[0]["destinations"] == [
        {"index": 0, "type": "tel", "target": "+12025550143", "target_name": ""},
        {"index": 1, "type": "tel", "target": "+12025550177", "target_name": ""},
    ]
    assert report.preview[3]["problems"] == [
        {
            "level": "error",
            "column": "Work Phone",
            "message": "12 is too short for its country code.",
        }
    ]
    assert report.columns[0] == {
        "column": "CRM ID",
        "field": "",
        "key": True,
        "samples": ["101", "102", "103", "104"],
    }
    assert OutdialTarget.objects.count() == 2


# -- the API -------------------------------------------------------------------------


def post(api, outdial, content, name, query="", **fields):
    """An import through the API, waiting for its report (the job runs in
    process here)."""
    body = {"file": SimpleUploadedFile(name, content), **fields}
    query += ("&" if query else "?") + "wait=25"
    return api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import{query}", body, format="multipart"
    )


def imported(client, response) -> str:
    """What the import's own page (where Import leads) says of it."""
    assert response.status_code == 302, response.content
    assert "/imports/" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    return re.search(r'role="(?:status|alert)">([^<]*)</p>', html)[1]


def test_the_api_imports_a_crm_export_with_a_mapping(api, outdial):
    mapping = {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Mobile": "destination_0",
        "Phone": "",
        "Email": "",
    }
    response = post(
        api,
        outdial,
        CRM.encode(),
        "crm.csv",
        "?on_error=skip",
        mapping=json.dumps(mapping),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["invalid"]) == (2, 1)
    assert body["errors"] == [
        {"row": 2, "column": "", "message": "has no destination: Mobile is empty."}
    ]
    assert body["mapping"] == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Mobile": "destination_0",
    }


def test_the_api_previews_an_xlsx_file(api, outdial):
    content = xlsx([["Name", "Cell"], ["Ann", "(202) 555-0143"]])
    response = post(api, outdial, content, "l.xlsx", "?dry_run=true&preview=5")
    body = response.json()
    assert body["preview"] == [
        {
            "row": 2,
            "action": "create",
            "name": "Ann",
            "detail": "",
            "data": "",
            "external_id": "",
            "destinations": [
                {"index": 0, "type": "tel", "target": "+12025550143", "target_name": ""}
            ],
            "problems": [],
        }
    ]
    assert body["columns"][1] == {
        "column": "Cell",
        "field": "destination_0",
        "key": False,
        "samples": ["(202) 555-0143"],
    }
    assert OutdialTarget.objects.count() == 0


def test_the_api_updates_on_re_upload_with_a_key(api, outdial):
    post(api, outdial, KEYED.encode(), "a.csv", "?key=CRM%20ID")
    response = post(api, outdial, KEYED_AGAIN.encode(), "b.csv", "?key=CRM%20ID")
    body = response.json()
    assert [body[k] for k in ("created", "updated", "unchanged")] == [1, 1, 1]
    undone = api.delete(f"/v1.0/outdials/{outdial.id}/imports/{body['import_id']}")
    assert [undone.json()[k] for k in ("deleted", "kept", "restored")] == [1, 0, 1]


def test_the_api_refuses_another_kind_of_file_and_a_bad_mapping(api, outdial):
    response = post(api, outdial, b"%PDF-1.4", "cv.pdf")
    assert_error(response, 400, "UNSUPPORTED_FILE_TYPE")
    response = post(api, outdial, CRM.encode(), "crm.csv", mapping="[1]")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert "JSON object of column → field" in json.dumps(error, ensure_ascii=False)


# -- the staff pages -----------------------------------------------------------------


def stage(client, outdial, content: bytes, name: str) -> str:
    response = client.post(
        f"/outdials/{outdial.pk}/upload/",
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 302, response.content
    return response["Location"]


def options(html: str, **chosen) -> dict:
    return {
        **offered_mapping(html),
        "region": "US",
        "on_duplicate": "skip",
        "on_error": "abort",
        "save_mapping": "on",
        **chosen,
    }


def test_the_page_maps_previews_and_imports_a_crm_export(alice_page, outdial):
    review = stage(alice_page, outdial, CRM.encode(), "crm.csv")
    html = alice_page.get(review).content.decode()
    assert "guessed from the column names" in html
    assert '<span class="sample">(202) 555-0143</span>' in html
    assert "<dt>Would create</dt><dd>3</dd>" in html
    assert '<span class="cell-mono">+442079460958</span>' in html
    [staged] = StagedUpload.objects.all()
    assert staged.storage_name.startswith(f"imports/{outdial.customer_id}/")
    response = alice_page.post(review, options(html, action="import"))
    assert imported(alice_page, response) == "Imported 3 targets."
    assert StagedUpload.objects.count() == 0
    assert SavedMapping.objects.get(outdial=outdial).columns["Phone"] == (
        "destination_0"
    )
    # The next file is offered the saved mapping.
    html = alice_page.get(stage(alice_page, outdial, CRM.encode(), "b.csv")).content
    assert "as you saved for this outdial" in html.decode()


def test_the_page_updates_with_a_key_and_undo_restores(alice_page, outdial):
    run(outdial, KEYED, key="CRM ID")
    review = stage(alice_page, outdial, KEYED_AGAIN.encode(), "again.csv")
    html = alice_page.get(review).content.decode()
    response = alice_page.post(review, options(html, key="CRM ID", action="preview"))
    html = response.content.decode()
    assert "<dt>Would update</dt><dd>1</dd>" in html
    assert "<dt>Unchanged</dt><dd>1</dd>" in html
    response = alice_page.post(review, options(html, key="CRM ID", action="import"))
    assert imported(alice_page, response) == (
        "Imported 1 target; updated 1 target; 1 was unchanged."
    )
    batch = ImportBatch.objects.order_by("-tm_create").first()
    response = alice_page.post(f"/outdials/{outdial.pk}/imports/{batch.pk}/undo/")
    assert messages_of(response)[-1] == (
        "Undid the import: removed 1 target; restored 1 target it had updated."
    )
    assert OutdialTarget.objects.get(external_id="101").name == "Ann Lee"


def test_the_page_reads_an_xlsx_file_and_refuses_a_pdf(alice_page, outdial):
    content = xlsx([["Title"], ["Name", "Phone"], ["Ann", "+15559876543"]])
    review = stage(alice_page, outdial, content, "leads.xlsx")
    html = alice_page.get(review).content.decode()
    assert "<dt>Would create</dt><dd>1</dd>" in html
    response = alice_page.post(
        f"/outdials/{outdial.pk}/upload/",
        {"file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4 ...")},
    )
    assert "“scan.pdf” is a PDF document; upload one of CSV" in (
        response.content.decode()
    )
    assert StagedUpload.objects.count() == 1


def test_another_customers_upload_is_not_found(alice_page, bob, outdial):
    review = stage(alice_page, outdial, CRM.encode(), "crm.csv")
    alice_page.force_login(bob.user)
    assert alice_page.get(review).status_code == 404


def test_an_expired_upload_is_swept(alice_page, outdial, settings):
    from datetime import timedelta

    settings.OUTDIALS = {**settings.OUTDIALS, "STAGED_UPLOAD_TTL": timedelta(0)}
    review = stage(alice_page, outdial, CRM.encode(), "crm.csv")
    response = alice_page.get(review)
    assert messages_of(response) == [
        "That upload has expired or was imported; choose the file again."
    ]
    out = io.StringIO()
    call_command("purge_staged_uploads", stdout=out)
    assert out.getvalue().strip() == "1"
    assert StagedUpload.objects.count() == 0


# -- the command ---------------------------------------------------------------------


def test_the_command_takes_a_mapping_and_a_key(outdial, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(KEYED)
    out = io.StringIO()
    call_command(
        "import_targets",
        str(outdial.pk),
        str(path),
        "--map",
        "Full Name=name",
        "--map",
        "Work Phone=destination_0",
        "--key",
        "CRM ID",
        stdout=out,
    )
    assert out.getvalue().startswith(
        "2 rows: 2 created, 0 updated, 0 unchanged, 0 duplicates, 0 invalid"
    )
    assert OutdialTarget.objects.get(external_id="102").slots()[1] is None
    with pytest.raises(CommandError, match="is not COLUMN=FIELD"):
        call_command("import_targets", str(outdial.pk), str(path), "--map", "x")
