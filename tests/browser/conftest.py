"""Browser tests: Debian's Chromium driven by Playwright against a live server.

They run whenever ``/usr/bin/chromium`` exists (``.ci/run`` installs it) and
are skipped, with the reason printed, when it does not. A failing test leaves
a screenshot in ``artifacts/screenshots/`` (ignored by git).
"""

import os

import pytest

from tests.helpers import DESKTOP, SCREENSHOTS

CHROMIUM = "/usr/bin/chromium"
SKIP_REASON = "Chromium not installed: browser tests skipped"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any(SKIP_REASON in str(report.longrepr) for report in skipped):
        terminalreporter.write_line(f"NOTE: {SKIP_REASON} (no {CHROMIUM}).")


@pytest.fixture(scope="module")
def chromium(django_db_setup):
    """One headless Chromium per test module.

    Playwright's sync API keeps an asyncio loop open in this thread while the
    browser lives, which Django takes for an async context; the tests' own ORM
    calls between browser steps are synchronous, so the check is lifted for
    exactly that span, and the loop is gone before other modules run.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser tab at desktop size; on failure its screenshot is kept."""
    failure = SCREENSHOTS / f"FAILED-{request.node.name}.png"
    failure.unlink(missing_ok=True)
    context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=failure, full_page=True)
    context.close()
