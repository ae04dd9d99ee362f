"""IN-1 in real Chromium: payloads a caller or an integration sets (narrative, caller and child names,
address, action notes, sentiment items) are shown as text on the pages that display them; no script runs
(no dialog), when the payload-bearing elements are hovered and clicked as well."""

import pytest
import requests

pytestmark = pytest.mark.e2e
UNIT = "civil_affairs:长春市/农安县"
PAYLOADS = ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "' onmouseover=alert(1) x='",
            "</textarea><img src=x onerror=alert(1)>", "javascript:alert(1)"]
MIXED = " ".join(PAYLOADS)


def _api(live, role: str, unit: str | None = None):  # noqa: ANN001
    headers = {"Authorization": f"Bearer {live.make_token(role, unit)}"}

    def post(path: str, body: object) -> dict:
        resp = requests.post(f"{live.url}/api/v1{path}", json=body, headers=headers, timeout=30)
        assert resp.status_code in (200, 201), resp.text
        return resp.json()

    return post


def _watch(page, dialogs: list) -> None:  # noqa: ANN001
    def on_dialog(dialog) -> None:  # noqa: ANN001
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)


def _visit(page, path: str, expect: str, dialogs: list) -> None:  # noqa: ANN001
    page.goto(f"{page.base}{path}")
    page.wait_for_load_state()
    text = page.inner_text("body")
    assert expect in text, f"{path}: payload not shown as text"
    for el in page.locator("main a, main td, main p, main li, main h1, main h2, main dd").all()[:80]:
        if el.is_visible():
            el.hover(timeout=2000)
    for link in page.locator("main a").all()[:40]:
        href = link.get_attribute("href") or ""
        assert not href.strip().lower().startswith("javascript:"), f"{path}: javascript: link {href}"
    assert not dialogs, dialogs


def test_payloads_render_as_text_on_ticket_pages(live, open_as):
    call = _api(live, "operator")
    number = call("/tickets", {"channel": "phone", "text": "农安县某村孩子无人照看 " + MIXED,
                               "caller": {"name": PAYLOADS[1][:60]}, "child": {"name": PAYLOADS[2][:60]},
                               "address": PAYLOADS[3]})["number"]
    call(f"/tickets/{number}/actions/dispatch", {"category": "guardianship", "kind": "report", "urgency": "normal",
                                                 "unit": UNIT, "note": MIXED})
    agency = _api(live, "agency_staff", UNIT)
    agency(f"/tickets/{number}/actions/sign", {"note": PAYLOADS[0]})
    agency(f"/tickets/{number}/actions/progress", {"note": MIXED})

    dialogs: list = []
    desk = open_as("dispatcher")
    _watch(desk, dialogs)
    _visit(desk, "/console/queue", number, dialogs)
    _visit(desk, f"/console/tickets/{number}", PAYLOADS[0], dialogs)
    assert PAYLOADS[3] in desk.inner_text("body") or "</textarea>" in desk.inner_text("body")
    desk.goto(f"{desk.base}/console/dashboard")
    assert not dialogs, dialogs

    unit = open_as("agency_staff", UNIT)
    _watch(unit, dialogs)
    _visit(unit, "/console/inbox", number, dialogs)
    _visit(unit, f"/console/tickets/{number}", "javascript:alert(1)", dialogs)
    unit.set_viewport_size({"width": 375, "height": 740})
    _visit(unit, f"/console/tickets/{number}", "<script>alert(1)</script>", dialogs)
    assert not dialogs, dialogs


def test_payloads_render_as_text_on_the_sentiment_desk(live, open_as):
    post = _api(live, "dispatcher")
    post("/sentiment/items", [{"source": "weibo", "external_id": "xss-1", "published_at": "2026-06-01T17:30:00+08:00",
                               "text": "农安县某村留守儿童无人照看 " + MIXED, "title": PAYLOADS[1]}])
    dialogs: list = []
    desk = open_as("dispatcher")
    _watch(desk, dialogs)
    _visit(desk, "/console/sentiment", "", dialogs)
    for link in desk.locator("main a[href*='/sentiment/']").all()[:3]:
        link.click()
        desk.wait_for_load_state()
        assert not dialogs, dialogs
        desk.go_back()


def test_payloads_render_as_text_in_the_children_register(live, open_as):
    from children_support import add_child, guardian, person

    director = person(live.runtime, "child_director", place_names=("陈家店村",))
    number = add_child(live.runtime, director, name=PAYLOADS[1][:32], residence_address=MIXED[:200],
                       notes=MIXED, guardians=[guardian(name=PAYLOADS[2][:32])])
    dialogs: list = []
    desk = open_as("dispatcher")
    _watch(desk, dialogs)
    _visit(desk, "/console/children/", number, dialogs)
    _visit(desk, f"/console/children/{number}", "<svg onload=alert(1)>", dialogs)
    assert "onmouseover=alert(1)" in desk.inner_text("main")
