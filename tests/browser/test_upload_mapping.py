"""A CRM export in a real browser: the mapping step with sample values, a
changed mapping, the preview, the import, a key column re-upload and its undo.
Screenshots of the mapping step and the preview at 1280 and 390 px wide land in
``artifacts/screenshots/``."""

import pytest
from playwright.sync_api import expect

from outdials.models import Outdial, OutdialTarget

from .test_staff_flow import sign_in, snap

pytestmark = pytest.mark.browser

CRM = (
    "CRM ID,First Name,Last Name,Phone,Mobile,Email,Time Zone\n"
    "101,Ann,Lee,(202) 555-0143,,ann@example.com,America/New_York\n"
    "102,Bo,Chen,,+44 20 7946 0958,,Europe/London\n"
    "103,Cy,Diaz,(202) 555-0199,(202) 555-0198,cy@example.com,America/Chicago\n"
    "104,Dee,Ng,12345,,,Asia/Singapore\n"
)
CRM_AGAIN = CRM.replace("Ann,Lee", "Ann,Lee-Smith").replace("12345", "(202) 555-0150")


def choose(page, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    page.get_by_label("CSV or spreadsheet file").set_input_files(path)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Map and preview")


def test_map_preview_import_and_undo_a_crm_export(page, live_server, alice, tmp_path):
    outdial = Outdial.objects.create(customer=alice.customer, name="CRM leads")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/outdials/{outdial.pk}/upload/")
    accept = page.get_by_label("CSV or spreadsheet file").get_attribute("accept")
    assert accept.startswith(".csv,.tsv,.txt,.xlsx,.xls,.ods")
    choose(page, tmp_path, "crm.csv", CRM)

    # each column with its samples and the guessed field
    mobile = page.get_by_label("Mobile", exact=True)
    expect(mobile).to_have_value("destination_1")
    expect(page.get_by_label("First Name")).to_have_value("first_name")
    expect(page.locator(".mapping__column").nth(3)).to_contain_text("(202) 555-0143")
    rows = page.locator(".table--preview tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(3)).to_contain_text("12345 is too short for its country code.")

    # change it: no mobile, the time zone kept in data, the CRM id as key
    mobile.select_option("")
    page.get_by_label("Key column (update on re-upload)").select_option("CRM ID")
    page.get_by_label("Keep the columns left out in Data (as JSON)").check()
    page.get_by_label("Invalid rows").select_option("skip")
    page.get_by_role("button", name="Update preview").click()
    expect(rows.nth(1)).to_contain_text("has no destination")
    expect(rows.first).to_contain_text("America/New_York")
    snap(page, "upload-mapping-and-preview")

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2 targets")
    ann = OutdialTarget.objects.get(external_id="101")
    assert (ann.name, ann.data) == ("Ann Lee", '{"Time Zone": "America/New_York"}')

    # the same export again, changed: the saved mapping is offered, Ann updated
    page.goto(f"{live_server.url}/outdials/{outdial.pk}/upload/")
    choose(page, tmp_path, "crm-again.csv", CRM_AGAIN)
    expect(page.get_by_label("Mobile", exact=True)).to_have_value("")
    expect(page.get_by_label("Key column (update on re-upload)")).to_have_value(
        "CRM ID"
    )
    page.get_by_label("Invalid rows").select_option("skip")
    page.get_by_role("button", name="Update preview").click()
    expect(page.locator("#preview-heading + p + .counts")).to_contain_text(
        "Would update1"
    )
    snap(page, "upload-reupload-preview")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("updated 1 target")
    ann.refresh_from_db()
    assert ann.name == "Ann Lee-Smith"

    # undo the re-upload: Ann's name comes back, the new row goes
    page.get_by_role("link", name="Choose another file").click()
    page.get_by_role("region", name="Import history table").get_by_role(
        "link", name="Undo…"
    ).first.click()
    page.get_by_role("button", name="Undo import").click()
    expect(page.get_by_role("status")).to_contain_text("restored 1 target")
    ann.refresh_from_db()
    assert ann.name == "Ann Lee"
