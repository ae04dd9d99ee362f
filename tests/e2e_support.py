"""Helpers for the browser tests: screenshots, and running a declared action from its form."""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def act(page, action_label: str, fields: dict | None = None) -> None:
    """Open the action's form (its <details>), fill FIELDS (selector -> value) and submit it."""
    details = page.locator("details", has=page.locator(f"summary:text-is('{action_label}')"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for selector, value in (fields or {}).items():
        field = details.locator(selector)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    details.locator("button[type=submit]").click()
    page.wait_for_load_state()


def dispatch_over_api(live, text: str, labels: dict) -> str:  # noqa: ANN001
    """A call taken and dispatched through the API of the live server, as the telephony platform would: its
    ticket number."""
    import requests

    headers = {"Authorization": f"Bearer {live.make_token('operator')}"}
    base = f"{live.url}/api/v1/tickets"
    number = requests.post(base, json={"channel": "phone", "text": text}, headers=headers, timeout=30).json()["number"]
    body = requests.post(f"{base}/{number}/actions/dispatch", json=labels, headers=headers, timeout=30).json()
    assert body["status"] == "dispatched"
    return number
