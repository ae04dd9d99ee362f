"""IN-1 in real Chromium: payloads a caller, an integration or a user sets are shown as text on the pages
that display them, and no script runs (no dialog) when the payload-bearing elements are hovered and clicked.

Fields: the narrative, caller and child names, address; every ticket action's note, reason and result
(dispatch, return, sign, progress, extension request and refusal, 督办, resolve, direct answer, callback);
a saved queue view's name; sentiment items' titles, texts and links (``javascript:`` refused at the door);
a lead's instructions, report and send-back reason; the register's child, address, notes and guardian; a
visit's notes; imported place names; an agency list's source name, file name and rows. Pages: queue, ticket
page (also at 375 px), inbox, callback queue, notifications, dashboard, new-call form with its live panels,
sentiment desk, event and lead pages, register and child pages, the field pages on a phone, places, the
matching source, import result and review queue."""

import re

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


LABELS = {"category": "guardianship", "kind": "report", "urgency": "normal", "unit": UNIT}


def test_payloads_in_every_ticket_action_the_callback_queue_saved_views_and_notifications(live, open_as):
    """Return reason, extension reason and refusal, 督办 note, result, direct answer and callback note hold
    payloads; the saved-view name is typed into the form; each page that shows them is visited and hovered."""
    operator, unit, dispatcher = _api(live, "operator"), _api(live, "agency_staff", UNIT), _api(live, "dispatcher")
    number = operator("/tickets", {"channel": "phone", "text": "农安县某村孩子无人照看 " + PAYLOADS[4],
                                   "caller": {"name": PAYLOADS[0][:60]}})["number"]
    operator(f"/tickets/{number}/actions/dispatch", {**LABELS, "note": PAYLOADS[1]})
    unit(f"/tickets/{number}/actions/return", {"reason": "退单 " + MIXED})
    dispatcher(f"/tickets/{number}/actions/dispatch", {**LABELS, "note": "重派 " + MIXED})
    unit(f"/tickets/{number}/actions/sign", {"note": PAYLOADS[2]})
    unit(f"/tickets/{number}/actions/request_extension", {"days": 2, "reason": "延期 " + MIXED})
    dispatcher(f"/tickets/{number}/actions/refuse_extension", {"reason": "驳回 " + MIXED})
    dispatcher(f"/tickets/{number}/actions/supervise", {"note": "督办 " + MIXED})
    dialogs: list = []
    county = open_as("agency_staff", UNIT)
    _watch(county, dialogs)
    _visit(county, "/console/inbox", number, dialogs)
    _visit(county, "/console/notifications", "", dialogs)
    unit(f"/tickets/{number}/actions/resolve", {"result": "办结 " + MIXED})
    answered = operator("/tickets", {"channel": "phone", "text": "咨询留守儿童政策 " + PAYLOADS[3]})["number"]
    operator(f"/tickets/{answered}/actions/answer", {"category": "guardianship", "kind": "consult",
                                                     "urgency": "normal", "answer": "答复 " + MIXED,
                                                     "callback_wanted": True})

    desk = open_as("operator")
    _watch(desk, dialogs)
    _visit(desk, "/console/callbacks", answered, dialogs)
    assert number in desk.inner_text("main")
    _visit(desk, f"/console/tickets/{number}", "办结 " + PAYLOADS[0], dialogs)
    shown = desk.inner_text("main")
    for step in ("退单 ", "重派 ", "延期 ", "驳回 ", "督办 "):
        assert step + MIXED in shown, f"{step}: the note is not shown as text"
    _visit(desk, f"/console/tickets/{answered}", "答复 " + PAYLOADS[0], dialogs)
    operator(f"/tickets/{number}/actions/callback", {"satisfaction": "unsatisfied", "note": "回访 " + MIXED})
    _visit(desk, f"/console/tickets/{number}", "回访 " + PAYLOADS[0], dialogs)

    chief = open_as("dispatcher")
    _watch(chief, dialogs)
    _visit(chief, "/console/queue?page=1", number, dialogs)
    chief.fill("form[action$='/queue/views'] input[name=name]", PAYLOADS[1])
    chief.click("form[action$='/queue/views'] button[type=submit]")
    chief.wait_for_load_state()
    view = chief.locator("a.button", has_text="<svg onload=alert(1)>")
    assert view.count() == 1 and (view.get_attribute("href") or "").startswith("?")
    view.hover()
    view.click()
    chief.wait_for_load_state()
    _visit(chief, "/console/queue", PAYLOADS[1], dialogs)
    _visit(chief, "/console/notifications", "", dialogs)
    _visit(chief, "/console/dashboard", "", dialogs)

    county.set_viewport_size({"width": 375, "height": 740})
    _visit(county, f"/console/tickets/{number}", "回访 " + PAYLOADS[0], dialogs)
    assert not dialogs, dialogs


def test_payloads_in_leads_and_sentiment_links(live, open_as):
    """A ``javascript:`` link in an item is refused at the door; a link that tries to break out of its
    attribute stays one https link; the lead's instructions (typed into the form), the county's report
    and the desk's send-back reason are shown as text on the lead page, the inbox and the dashboard."""
    from datetime import timedelta

    from hotline.timeutil import utcnow

    county_unit = "civil_affairs:白山市/抚松县"
    story = "抚松县露水河镇一名9岁女孩父母常年在外打工，奶奶摔伤住院，孩子一个人在家。" + MIXED
    now = utcnow()
    items = [{"external_id": f"xss-{i}", "source": "weibo", "text": story + str(i), "url": url,
              "published_at": (now - timedelta(hours=i)).isoformat()}
             for i, url in enumerate(["javascript:alert(1)", 'https://weibo.example/1"><svg/onload=alert(1)>',
                                      "https://weibo.example/2'/onmouseover=alert(1)//"])]
    headers = {"Authorization": f"Bearer {live.make_token('dispatcher')}"}
    answer = requests.post(f"{live.url}/api/v1/sentiment/items", json=items, headers=headers, timeout=60).json()
    assert answer["results"][0]["status"] == "rejected" and answer["accepted"] == 2, answer

    dialogs: list = []
    desk = open_as("dispatcher")
    _watch(desk, dialogs)
    _visit(desk, "/console/sentiment", "", dialogs)
    desk.locator("main a[href*='/sentiment/events/']").first.click()
    desk.wait_for_load_state()
    assert "<svg onload=alert(1)>" in desk.inner_text("main")
    for link in desk.locator("main a[target=_blank]").all():
        href = link.get_attribute("href") or ""
        assert href.startswith("https://weibo.example/"), href
        link.hover()
    desk.fill("#l-instructions", "核查 " + MIXED)
    desk.click("#open-lead button[type=submit]")
    desk.wait_for_url(re.compile(r"/console/leads/XS-\d{8}-\d{5}"))
    lead = desk.url.rsplit("/", 1)[1]
    unit = _api(live, "agency_staff", county_unit)
    unit(f"/leads/{lead}/actions/sign", {})
    unit(f"/leads/{lead}/actions/report", {"verdict": "true", "actions_taken": "处置 " + MIXED})
    _api(live, "dispatcher")(f"/leads/{lead}/actions/send_back", {"reason": "退回 " + MIXED})

    county = open_as("agency_staff", county_unit)
    _watch(county, dialogs)
    _visit(county, "/console/inbox", lead, dialogs)
    _visit(county, f"/console/leads/{lead}", "核查 " + PAYLOADS[0], dialogs)
    shown = county.inner_text("main")
    assert "处置 " + PAYLOADS[0] in shown and "退回 " + PAYLOADS[0] in shown
    _visit(desk, f"/console/leads/{lead}", "退回 " + PAYLOADS[0], dialogs)
    boss = open_as("supervisor")
    _watch(boss, dialogs)
    _visit(boss, "/console/dashboard", "", dialogs)
    _visit(boss, f"/console/leads/{lead}", "处置 " + PAYLOADS[0], dialogs)
    assert not dialogs, dialogs


def test_payloads_on_the_field_pages_at_375_px(browser, live, open_as):
    """A visit's notes and a child's and guardian's fields hold payloads; the 儿童主任 reads the task list
    and the task page on a phone, and a dispatcher the child's page."""
    from datetime import timedelta

    from children_support import PASSWORD, add_child, guardian, person

    from hotline.children import visits
    from hotline.timeutil import utcnow

    runtime, now = live.runtime, utcnow()
    director = person(runtime, "child_director", place_names=("陈家店村",))
    number = add_child(runtime, director, assessment="concern", name=PAYLOADS[0][:32], now=now - timedelta(days=20),
                       residence_address=MIXED[:200], notes=MIXED,
                       guardians=[guardian(name=PAYLOADS[3][:32], phone="13812345678")])
    with runtime.db.transaction() as session:
        visits.record_visit(session, director, number, {
            "visited_on": visits.local_day(now) - timedelta(days=15), "seen": PAYLOADS[1],
            "findings": "走访 " + MIXED, "needs": PAYLOADS[2], "assessment": None}, now=now - timedelta(days=15))

    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True)
    dialogs: list = []
    try:
        phone = context.new_page()
        phone.set_default_timeout(15000)
        _watch(phone, dialogs)
        phone.goto(f"{live.url}/login")
        phone.fill("input[name=username]", director.name)
        phone.fill("input[name=password]", PASSWORD)
        phone.click("button[type=submit]")
        phone.wait_for_load_state()
        phone.base = live.url
        _visit(phone, "/console/field/", number, dialogs)
        assert PAYLOADS[0][:32] in phone.inner_text("main")
        phone.locator(".task-card").first.click()
        phone.wait_for_selector("#visit-form")
        summary = phone.inner_text("main")
        assert "走访 " + PAYLOADS[0] in summary or PAYLOADS[2] in summary, summary[:500]
        for el in phone.locator("main p, main li, main dd, main td").all()[:40]:
            if el.is_visible():
                el.hover()
        phone.fill("#f-findings", "再访 " + MIXED)
        phone.fill("#f-seen", PAYLOADS[1])
        phone.click("#visit-form button[type=submit]")
        phone.wait_for_url(f"{live.url}/console/field/")
        _visit(phone, "/console/field/", number, dialogs)
    finally:
        context.close()
    desk = open_as("dispatcher")
    _watch(desk, dialogs)
    _visit(desk, f"/console/children/{number}", "再访 " + PAYLOADS[0], dialogs)
    assert not dialogs, dialogs


def test_payloads_in_imported_places_and_agency_lists(live, open_as):
    """An admin uploads a places CSV and an agency list whose names, file name and source name hold
    payloads; the places page, the new-child form, the source, the import result and the review queue
    show them as text."""
    from children_support import add_child, guardian, person

    from hotline.children.matching import check_digit

    father = "22012219850214011"
    father += check_digit(father)
    add_child(live.runtime, person(live.runtime, "admin"), "陈家店村", name="王小雨",
              guardians=[guardian("father", "王建军", id_number=father)])
    dialogs: list = []
    admin = open_as("admin")
    _watch(admin, dialogs)

    admin.goto(f"{admin.base}/console/children/places")
    township = "青山口乡<svg onload=alert(1)>"
    places = f"区县,乡镇（街道）,村（社区）\n农安县,{township},\n农安县,{township},东岗村'onmouseover=alert(1)\n"
    admin.set_input_files("#places-upload input[type=file]", files=[
        {"name": "places.csv", "mimeType": "text/csv", "buffer": places.encode("utf-8")}])
    admin.click("#places-upload button[type=submit]")
    admin.wait_for_load_state()
    _visit(admin, "/console/children/places", "", dialogs)
    admin.goto(f"{admin.base}/console/children/new")
    options = " ".join(admin.locator("option").all_inner_texts())
    assert "<svg onload=alert(1)>" in options or "'onmouseover=alert(1)" in options, "the imported names are missing"

    admin.goto(f"{admin.base}/console/matching/sources")
    admin.select_option("#source-form select[name=kind]", "prison_admission")
    admin.fill("#source-form input[name=name]", "名单 " + PAYLOADS[1])
    admin.fill("#source-form input[name=retention_days]", "60")
    admin.click("#source-form button[type=submit]")
    admin.wait_for_load_state()
    assert "名单 " + PAYLOADS[1] in admin.inner_text("main")
    source_url = admin.url
    rows = f"姓名,公民身份号码,入监日期\n王建军{PAYLOADS[0]},{father},2026-11-01\n{PAYLOADS[1]},,2026-11-01\n"
    admin.set_input_files("#upload-form input[type=file]", files=[
        {"name": f"十一月{PAYLOADS[2]}.csv", "mimeType": "text/csv", "buffer": rows.encode("utf-8-sig")}])
    admin.click("#upload-form button[type=submit]")
    admin.wait_for_load_state()
    assert "onmouseover=alert(1)" in admin.inner_text("main")  # the file name, as text
    for el in admin.locator("main td, main a, main p").all()[:60]:
        if el.is_visible():
            el.hover()
    _visit(admin, source_url.removeprefix(admin.base), "名单 " + PAYLOADS[1], dialogs)
    _visit(admin, "/console/matching/", "", dialogs)
    for link in admin.locator("main a[href*='/matching/reviews/']").all()[:2]:
        link.click()
        admin.wait_for_load_state()
        admin.go_back()
    assert not dialogs, dialogs


def test_payloads_typed_into_the_new_call_form_and_in_its_live_panels(live, open_as):
    """The panels the new-call page fills from JSON while the operator types (earlier calls with the same
    phone, suggested registered children, triage) carry payloads from an earlier call and the register;
    the operator types payloads into every field and saves; the ticket page shows them as text."""
    from children_support import add_child, guardian, person

    phone = "13812349876"
    earlier = _api(live, "operator")("/tickets", {"channel": "phone", "text": "上次来电 " + MIXED,
                                                  "caller": {"name": "王女士", "phone": phone}})["number"]
    child = add_child(live.runtime, person(live.runtime, "admin"), "陈家店村", name="李小梅",
                      residence_address=MIXED[:200], guardians=[guardian(name=PAYLOADS[1][:32], phone=phone)])
    dialogs: list = []
    desk = open_as("operator")
    _watch(desk, dialogs)
    desk.goto(f"{desk.base}/console/new")
    desk.fill("#f-caller-name", PAYLOADS[1][:60])
    desk.fill("#f-caller-phone", phone)
    desk.fill("#f-child-name", "李小梅")
    desk.fill("#f-address", PAYLOADS[3])
    desk.select_option("#f-prefecture", "长春市")
    desk.select_option("#f-county", "农安县")
    desk.fill("#f-text", "孩子一个人在家没人管 " + MIXED)
    desk.locator("#history-body a", has_text=earlier).wait_for(timeout=15000)
    assert "上次来电 " + PAYLOADS[0] in desk.inner_text("#history-body")
    desk.locator(f"#child-suggest-body .child-suggestion[data-child='{child}']").wait_for(timeout=15000)
    for el in desk.locator("#history-body p, #child-suggest-body p, #triage-body dd, #kb-body p").all()[:30]:
        if el.is_visible():
            el.hover()
    for name, value in (("category", "guardianship"), ("kind", "report"), ("urgency", "normal")):
        desk.select_option(f"#f-{name}", value)
    desk.click("button[name=decision][value=save]")
    desk.wait_for_url(re.compile(r"/console/tickets/12345-"))
    shown = desk.inner_text("main")
    assert "孩子一个人在家没人管 " + PAYLOADS[0] in shown and PAYLOADS[3] in shown
    assert not dialogs, dialogs
