"""The API reference pages in a real browser, under the Content-Security-Policy:
Swagger UI and ReDoc load from this server alone and draw every operation."""

import pytest
from playwright.sync_api import expect

from tests.helpers import SCREENSHOTS

pytestmark = pytest.mark.browser


def watch(page) -> tuple[list[str], list[str]]:
    """Console errors and requests to other hosts, as they happen."""
    errors: list[str] = []
    off_site: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            off_site.append(request.url)
            if not request.url.startswith(("http://localhost", "blob:", "data:"))
            else None
        ),
    )
    return errors, off_site


def assert_only_local(errors: list[str], off_site: list[str]) -> None:
    """Nothing failed, and whatever tried to reach another host (ReDoc's
    footer logo) was stopped by the policy before it left the browser."""
    blocked = [e for e in errors if "violates the following Content Security" in e]
    assert [e for e in errors if e not in blocked] == []
    for url in off_site:
        assert any(url in message for message in blocked), url


def test_swagger_ui_shows_every_operation(page, live_server):
    errors, off_site = watch(page)
    page.goto(live_server.url + "/v1.0/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Outdials API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 29
    expect(
        page.get_by_text("/v1.0/outdials/{id}/targets/{target_id}").first
    ).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "api-docs-swagger.png")
    assert_only_local(errors, off_site)
    assert off_site == []


def test_redoc_shows_the_reference(page, live_server):
    errors, off_site = watch(page)
    page.goto(live_server.url + "/v1.0/redoc")
    expect(page.get_by_role("heading", name="Outdials API")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_role("heading", name="Create an outdial")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "api-docs-redoc.png")
    assert_only_local(errors, off_site)
