"""A person's day with a calling list, in a real browser: sign in, create an
outdial, upload a CSV with a bad row, fix it, filter, edit a number, export.
Screenshots of the four main pages at desktop and phone width land in
``artifacts/screenshots/`` for a person to look at."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from outdials.models import Outdial, OutdialTarget
from tests.helpers import DESKTOP, PASSWORD, PHONE, SCREENSHOTS

pytestmark = pytest.mark.browser

BAD_CSV = (
    "name,detail,destination_0\n"
    "Ann Lee,prefers mornings,+15559876543\n"
    "Bo Chen,,12345\n"
    "Cy Diaz,,+442079460958\n"
)
FIXED_CSV = BAD_CSV.replace("12345", "(202) 555-0143")


def snap(page, name: str) -> None:
    """The current page, whole, at desktop and at phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def sign_in(page, base: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_title("Sign in · Outdials")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outdials")


def upload(page, tmp_path, name: str, text: str) -> None:
    """Choose the file, keep the offered mapping, import."""
    path = tmp_path / name
    path.write_text(text)
    page.get_by_label("CSV or spreadsheet file").set_input_files(path)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Map and preview")
    page.get_by_role("button", name="Import", exact=True).click()


def test_sign_in_create_upload_fix_filter_edit_export(
    page, live_server, alice, tmp_path
):
    base = live_server.url
    sign_in(page, base)

    # create an outdial
    page.get_by_role("link", name="New outdial").click()
    page.get_by_label("Name").fill("Spring callbacks")
    page.get_by_label("Detail").fill("Customers who asked us to call back.")
    page.get_by_role("button", name="Create outdial").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Created the outdial “Spring callbacks”."
    )
    outdial = Outdial.objects.get(name="Spring callbacks")
    assert outdial.customer == alice.customer

    # a CSV with one bad row: nothing imported, the row is named
    page.get_by_role("link", name="Upload file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload targets")
    upload(page, tmp_path, "leads.csv", BAD_CSV)
    expect(page.get_by_role("alert")).to_contain_text("1 of 3 rows are invalid")
    errors = page.get_by_role("region", name="Rows to fix")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr")).to_contain_text(
        ["3destination_012345 is too short for its country code."]
    )
    assert OutdialTarget.objects.count() == 0

    # the fixed file goes in
    page.get_by_role("link", name="Choose another file").click()
    upload(page, tmp_path, "leads-fixed.csv", FIXED_CSV)
    expect(page.get_by_role("status")).to_contain_text("Imported 3 targets.")
    expect(
        page.get_by_role("heading", name="Import of leads-fixed.csv")
    ).to_be_visible()
    snap(page, "import")
    page.get_by_role("link", name="Choose another file").click()
    expect(page.get_by_role("region", name="Import history table")).to_contain_text(
        "leads-fixed.csv"
    )
    snap(page, "upload")
    assert OutdialTarget.objects.filter(outdial=outdial).count() == 3

    # the outdial page: progress and the three targets; then filter them
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Spring callbacks"
    ).click()
    table = page.get_by_role("region", name="Targets table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_role("region", name="Progress")).to_contain_text("0 of 3 done")
    snap(page, "outdial")
    page.get_by_label("Name or address contains").fill("+44")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Cy Diaz")
    page.get_by_label("Name or address contains").fill("")
    page.get_by_label("Status").select_option("idle")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(3)

    # the target page: a bad number is refused beside its input, then fixed
    table.get_by_role("link", name="Bo Chen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bo Chen")
    address = page.get_by_label("Destination 0 Address")
    expect(address).to_have_value("(202) 555-0143")  # the outdial's country
    address.fill("+1 202 555")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_role("status")).to_contain_text("The target was not saved")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_target_0_error")).to_have_text(
        "+1 202 555 is too short for its country code."
    )
    snap(page, "target")
    address.fill("+12025550199")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the target.")
    expect(address).to_have_value("(202) 555-0199")

    # back to the list of outdials, then export the filtered targets
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Outdials"
    ).click()
    expect(page.get_by_role("link", name="Spring callbacks")).to_be_visible()
    expect(page.get_by_role("region", name="Outdials")).to_contain_text("0 of 3 done")
    snap(page, "outdials-list")
    page.get_by_role("link", name="Spring callbacks").click()
    page.get_by_label("Name or address contains").fill("202555")
    page.get_by_role("button", name="Filter").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV (filtered)").click()
    assert download.value.suggested_filename == "spring-callbacks-targets.csv"
    body = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["name"], r["destination_0"]) for r in rows] == [
        ("Bo Chen", "+12025550199")
    ]


def test_bulk_actions_with_the_keyboard_and_select_all(
    page, live_server, alice, outdial
):
    from outdials import targets
    from tests.helpers import tel

    for i in range(3):
        targets.create_target(outdial, name=f"Lead {i}", slots=[tel(f"+1555987654{i}")])
    base = live_server.url
    page.goto(base + "/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outdials")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.get_by_role("link", name="test outdial").click()
    select_all = page.get_by_label("Select every target on this page")
    select_all.focus()
    page.keyboard.press("Space")
    expect(page.locator('tbody input[name="ids"]:checked')).to_have_count(3)
    page.get_by_label("With the selected targets").select_option("done")
    page.get_by_role("button", name="Apply…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark done: 3 targets?")
    page.get_by_role("button", name="Mark done: 3 targets").click()
    expect(page.get_by_role("status")).to_contain_text("Marked 3 targets done.")
    assert set(OutdialTarget.objects.values_list("status", flat=True)) == {"done"}
    expect(page.get_by_role("region", name="Progress")).to_contain_text("3 of 3 done")
    assert re.search(r"/outdials/[0-9a-f-]{36}/$", page.url)


def test_filter_the_failed_ones_export_them_redial_them(
    page, live_server, alice, outdial
):
    """Issue 14: a list a dialer has worked; the failed ones are found by
    their last outcome, exported (exactly those rows), dialed again, and the
    progress counts move."""
    from outdials import dialing, targets
    from tests.helpers import tel

    outcomes = ["failed", "answered", "failed", "busy", "no_answer", "failed"]
    for i, outcome in enumerate(outcomes):
        made = targets.create_target(
            outdial, name=f"Lead {i}", slots=[tel(f"+1555987650{i}")]
        )
        [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0])
        assert claim.target.pk == made.pk
        dialing.report_result(outdial, made.pk, claim.claim_id, outcome)
    held = targets.create_target(outdial, name="Lead 6", slots=[tel("+15559876506")])
    targets.create_target(outdial, name="Lead 7", slots=[tel("+15559876507")])
    [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0])
    assert claim.target.pk == held.pk  # a dialer holds Lead 6
    sign_in(page, live_server.url)
    page.get_by_role("link", name="test outdial").click()

    progress = page.get_by_role("region", name="Progress")
    expect(progress.locator(".count--exhausted dd")).to_have_text("5")
    expect(progress).to_contain_text("Each attempt counts once")
    expect(progress).to_contain_text("As of")
    snap(page, "outdial-worked")

    # filter to the failed ones: the outcome's link in the panel, then the form
    progress.locator("li", has_text="Failed").get_by_role("link").click()
    table = page.get_by_role("region", name="Targets table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_label("failed", exact=True)).to_be_checked()
    expect(page.locator("#targets-count")).to_have_text(
        "3 targets match these filters · sorted newest first"
    )
    # the outcomes lie side by side, as tall as the fields beside them
    tops = page.locator(".filters__choice").evaluate_all(
        "boxes => boxes.map(box => box.getBoundingClientRect().top)"
    )
    assert tops[1] == tops[0]
    choices = page.locator(".filters__choices").bounding_box()
    assert (
        choices["height"]
        < 2 * page.get_by_label("Status").bounding_box()["height"] + 60
    )

    # export them: the file holds exactly those rows
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV (filtered)").click()
    body = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(r["name"] for r in rows) == ["Lead 0", "Lead 2", "Lead 5"]

    # a target of the filter: back link and next target keep the filter
    table.get_by_role("link", name="Lead 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lead 2")
    expect(page.get_by_role("button", name="Re-open and reset tries")).to_be_visible()
    when = page.get_by_label("Call back at").bounding_box()
    assert 36 <= when["height"] and when["width"] < 400  # a moment's width
    page.get_by_role("link", name="Next: Lead 0 ›").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lead 0")
    snap(page, "target-failed")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="test outdial"
    ).click()
    expect(table.locator("tbody tr")).to_have_count(3)

    # re-dial every matching one
    page.get_by_label("With the selected targets").select_option("redial")
    page.get_by_label("all 3 matching").check()
    page.get_by_role("button", name="Apply…").click()
    expect(page.locator("#bulk-outlook")).to_have_text(
        "3 will have their try counts reset."
    )
    page.get_by_role("button", name="Reset try counts: 3 targets").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Reset the try counts of 3 targets."
    )
    expect(progress.locator(".count--exhausted dd")).to_have_text("2")
    expect(progress.locator(".count--idle dd")).to_have_text("4")
    for target in OutdialTarget.objects.filter(last_outcome="failed"):
        assert dialing.eligibility(target, max_try_counts=[1, 0, 0, 0, 0])["eligible"]

    # a held target: read-only, saying until when
    page.goto(f"{live_server.url}/outdials/{outdial.pk}/targets/{held.pk}/")
    expect(page.locator("#held")).to_contain_text("Held by a dialer until")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Save target")).to_have_count(0)
    snap(page, "target-held")
