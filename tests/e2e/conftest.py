"""A real browser (Debian chromium via Playwright's Python API, no browser download) against the app
served on loopback; screenshots of each main screen go to test-artifacts/.

Every page is watched: a console error, an uncaught script error or a Content-Security-Policy violation
(a blocked inline style, say) fails the test that caused it."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# collects securitypolicyviolation events, which Chromium also reports on the console
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""


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
    """open_as(role, unit=None, timezone="Asia/Shanghai") -> a logged-in Playwright page (1366x768).
    ``page.expect_console_error(text)`` declares an error the test provokes on purpose (a 404 page)."""
    from tests_support import PASSWORD, totp_codes

    contexts, problems, expected = [], [], []

    def _open(role: str, unit: str | None = None, timezone: str = "Asia/Shanghai"):
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id=timezone)
        context.add_init_script(WATCH_CSP)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
        page.set_default_timeout(15000)
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", live.make_user(role, unit))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        if page.url.endswith("/login/code"):  # admins and dispatchers: the TOTP step, with the test secret
            page.fill("input[name=code]", totp_codes()[0])
            page.click("button[type=submit]")
            page.wait_for_load_state()
        page.base = live.url
        page.expect_console_error = expected.append
        return page

    yield _open
    for context in contexts:
        context.close()
    unexpected = [p for p in problems if not any(e in p for e in expected)]
    assert not unexpected, "browser console errors or CSP violations:\n" + "\n".join(unexpected)
