"""The field pages (走访) in Chromium on a phone screen, 375 px wide: a 儿童主任 logs in, sees the tasks
grouped 已逾期 / 7天内到期 / 以后 with nothing wider than the screen, tap targets at least 40 px high and 16 px
text in every input, opens an overdue task, records the visit with a new assessment and reads the next
visit date in the flash. Console errors and CSP violations fail the test."""

from datetime import timedelta

import pytest
from children_support import PASSWORD, add_child, guardian, person
from e2e_support import shot

from hotline.children import rules, visits
from hotline.timeutil import utcnow

pytestmark = pytest.mark.e2e
PHONE = {"width": 375, "height": 740}
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""
#: every visible control: how high, how wide against its form, its font size
CONTROLS = """() => Array.from(document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea'))
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); const form = e.closest('form');
    return {tag: e.tagName, name: e.name || e.textContent.trim().slice(0, 20), height: r.height, width: r.width,
            formWidth: form ? form.clientWidth : null, font: parseFloat(getComputedStyle(e).fontSize)}; })"""
OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


def assert_fits_a_phone(page, where: str) -> None:
    # after a click the new page's elements exist before its stylesheet has loaded; measured then, an unstyled
    # page is as wide as its longest unbreakable line (CI saw 1184 px under load)
    page.wait_for_load_state("load")
    scroll, client = page.evaluate(OVERFLOW)
    assert scroll <= 375 and client <= 375, f"{where}: horizontal scrolling ({scroll} px wide)"
    for control in page.evaluate(CONTROLS):
        assert control["height"] >= 40, f"{where}: tap target too small: {control}"
        if control["tag"] in ("INPUT", "SELECT", "TEXTAREA"):
            assert control["font"] >= 16, f"{where}: input font below 16 px (iOS zooms): {control}"
            assert control["width"] >= control["formWidth"] - 1, f"{where}: input not full width: {control}"


def test_a_director_records_a_visit_on_a_phone(browser, live):
    runtime = live.runtime
    director = person(runtime, "child_director", place_names=("陈家店村",))
    now = utcnow()
    today = visits.local_day(now)
    # overdue: a 重点关注 child registered 20 days ago, last visited 15 days ago (a long note from then)
    late = add_child(runtime, director, assessment="concern", name="王小明", now=now - timedelta(days=20),
                     guardians=[guardian(phone="13812345678"), guardian("grandparent", "王秀兰", status="normal")])
    with runtime.db.transaction() as session:
        visits.record_visit(session, director, late, {
            "visited_on": today - timedelta(days=15), "seen": "儿童本人、祖母",
            "findings": "祖母腿脚不便，孩子放学后独自在家。联系学校：" + "https://example.invalid/" + "x" * 120,
            "needs": "申请临时救助", "assessment": None}, now=now - timedelta(days=15))
    soon = add_child(runtime, director, assessment="concern", name="赵小红", now=now - timedelta(days=10))
    later = add_child(runtime, director, assessment="good", name="孙小刚", now=now)

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.add_init_script(WATCH_CSP)
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live.url}/login")
        page.fill("input[name=username]", director.name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{live.url}/console/field/")  # a 儿童主任 also lands here
        assert page.locator("#group-overdue .task-card").count() == 1
        assert late in page.inner_text("#group-overdue") and "逾期 1 天" in page.inner_text("#group-overdue")
        assert soon in page.inner_text("#group-soon") and later in page.inner_text("#group-later")
        assert "王小明" in page.inner_text("#group-overdue")  # the people of the village see names
        assert_fits_a_phone(page, "task list")
        shot(page, "field-01-tasks-375")

        page.click("#group-overdue .task-card")
        page.wait_for_selector("#visit-form")
        summary = page.inner_text("#child-summary")
        assert late in summary and "合隆镇" in summary and "重点关注" in summary and "申请临时救助" in summary
        assert "138****5678" in summary and "13812345678" not in summary and "父亲 · 外出务工" in summary
        assert page.input_value("#f-visited-on") == today.isoformat()  # today, Beijing time
        assert_fits_a_phone(page, "task page")
        shot(page, "field-02-task-375")

        page.fill("#f-seen", "儿童本人、祖母")
        page.fill("#f-findings", "孩子由祖母照看，已联系学校安排课后看护。\n家中有取暖。")
        page.fill("#f-needs", "继续跟进临时救助")
        page.select_option("#f-assessment", "fair")
        page.click("#visit-form button[type=submit]")
        page.wait_for_url(f"{live.url}/console/field/")
        expected = rules.next_visit_due("fair", today)
        flash = page.inner_text(".flash")
        assert flash == f"已记录走访，下次走访：{expected.isoformat()}"
        assert page.locator("#group-overdue .task-card").count() == 0
        assert late in page.inner_text("#group-later")
        assert_fits_a_phone(page, "task list after saving")
        shot(page, "field-03-saved-375")
    finally:
        context.close()
    assert not problems, "browser console errors or CSP violations:\n" + "\n".join(problems)
