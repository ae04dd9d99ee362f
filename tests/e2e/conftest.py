"""A real browser (Debian chromium via Playwright's Python API, no browser download) against the app
served on loopback; screenshots of each main screen go to test-artifacts/."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (make test installs it with apt-get)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_as(browser, live):
    """open_as(role, unit=None) -> a logged-in Playwright page (1366x768)."""
    from tests_support import PASSWORD

    contexts = []

    def _open(role: str, unit: str | None = None):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", live.make_user(role, unit))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.base = live.url
        return page

    yield _open
    for context in contexts:
        context.close()
