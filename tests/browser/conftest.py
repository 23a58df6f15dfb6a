import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# What Chromium refused under the Content-Security-Policy in the current test: every page of every
# browser test runs under the policy, and a refusal fails the test (a page that needs an inline
# script or style, or a file from elsewhere).
CSP_REFUSALS = []


def _watch(message):
    if "Content Security Policy" in message.text:
        CSP_REFUSALS.append(message.text)


class _Watched:
    """The browser, each of whose contexts and pages reports the policy's refusals."""

    def __init__(self, browser):
        self._browser = browser

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", _watch)
        return context

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        page.on("console", _watch)
        return page


@pytest.fixture(autouse=True)
def no_csp_refusals():
    CSP_REFUSALS.clear()
    yield
    assert CSP_REFUSALS == []


@pytest.fixture(scope="module")
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
        pytest.skip("Debian chromium is not installed; CI installs it and sets REQUIRE_BROWSER=1")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # beside one unless told. Only while the browser lives (DESIGN §How 10).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield _Watched(browser)
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def web(live_server, settings, tmp_path, reference_data):
    """The live server with the file SMS outbox the issue asks the test to read."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE = str(tmp_path / "outbox.jsonl")
    return live_server
