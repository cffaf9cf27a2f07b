"""Numbers as people write them, in a real browser: find a target by a
number written nationally on the outdial page, fix its number typed
nationally on the target page; the admin's target page fits 1280 px.
Screenshots land in ``artifacts/screenshots/``."""

import pytest
from playwright.sync_api import expect

from outdials import targets
from outdials.models import Destination
from tests.browser.test_staff_flow import sign_in, snap
from tests.helpers import DESKTOP, PASSWORD, make_staff, tel

pytestmark = pytest.mark.browser


def test_find_by_a_national_number_and_fix_it_typed_nationally(
    page, live_server, alice, outdial
):
    ann = targets.create_target(outdial, name="Ann Lee", slots=[tel("+12018159083")])
    targets.create_target(outdial, name="Bo Chen", slots=[tel("+12018159084")])
    targets.create_target(outdial, name="Cy Diaz", slots=[tel("+442079460958")])
    sign_in(page, live_server.url)
    page.get_by_role("link", name="test outdial").click()
    table = page.get_by_role("region", name="Targets table")
    expect(table.locator("tbody tr")).to_have_count(3)
    # numbers for people: national at home, international abroad, E.164 on hover
    expect(table.get_by_text("(201) 815-9083")).to_have_attribute(
        "title", "+12018159083"
    )
    expect(table.get_by_text("+44 20 7946 0958")).to_have_attribute(
        "title", "+442079460958"
    )

    # found by the number as it was written down
    page.get_by_label("Name or address contains").fill("(201) 815-9083")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Ann Lee")
    snap(page, "numbers-outdial")

    # fixed, typed as people type it
    table.get_by_role("link", name="Ann Lee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Lee")
    address = page.get_by_label("Destination 0 Address")
    expect(address).to_have_value("(201) 815-9083")
    address.fill("201-815-9000")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the target.")
    expect(address).to_have_value("(201) 815-9000")
    expect(page.get_by_text("Dialed as +12018159000")).to_be_visible()
    snap(page, "numbers-target")
    assert Destination.objects.get(outdial_target=ann, index=0).target == (
        "+12018159000"
    )


def test_the_admin_target_page_fits_a_1280_px_screen(page, live_server, alice, outdial):
    staff = make_staff(alice.customer, "alice-ops")
    target = targets.create_target(
        outdial,
        name="Ann Lee",
        slots=[tel("+12018159083"), tel("+12018159084"), tel("+442079460958")],
    )
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/outdials/outdialtarget/{target.pk}/change/")
    expect(page.get_by_role("heading", name="Destinations")).to_be_visible()
    assert page.viewport_size == DESKTOP
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=_shot("admin-target-1280"), full_page=True)
    assert width <= 1280, f"the page is {width} px wide"


def _shot(name: str):
    from tests.helpers import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
