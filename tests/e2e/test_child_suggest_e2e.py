"""End to end in Chromium: an operator types a registered child's name and county on the new-call form, the
registered child is suggested (masked, with its village and why), the operator links it (关联), saves the
call, and the ticket page shows the linked child."""

import re

import pytest
from children_support import child_values, guardian, places
from e2e_support import shot

from hotline.accounts.actor import SYSTEM
from hotline.children import register
from hotline.timeutil import utcnow

pytestmark = pytest.mark.e2e


def register_child(live) -> str:  # noqa: ANN001
    """A fabricated child in 陈家店村 (农安县), committed in the live server's database."""
    runtime = live.runtime
    with runtime.db.transaction() as session:
        village = places(session)["陈家店村"]
        child = register.create_child(session, SYSTEM, child_values(village, name="李小梅"),
                                      [guardian(phone="13812345678")], cipher=runtime.cipher, now=utcnow())
        return child.number


def test_operator_links_a_suggested_child_to_the_call(open_as, live):
    number = register_child(live)
    desk = open_as("operator")
    desk.goto(f"{desk.base}/console/new")
    desk.fill("#f-caller-name", "王女士")
    desk.fill("#f-text", "来电人反映邻居家的女孩父母外出务工，孩子一个人在家，希望有人去看看。")
    desk.fill("#f-child-name", "李小梅")
    desk.select_option("#f-prefecture", "长春市")
    desk.select_option("#f-county", "农安县")
    suggestion = desk.locator(f"#child-suggest-body .child-suggestion[data-child='{number}']")
    suggestion.wait_for(timeout=15000)
    text = suggestion.inner_text()
    assert "李**" in text and "李小梅" not in text and "陈家店村" in text and "姓名相同" in text
    shot(desk, "child-01-suggested")
    suggestion.locator("button", has_text="关联").click()
    assert desk.locator("#child-chosen").is_visible() and desk.input_value("#f-child-number") == number
    for name, value in (("category", "guardianship"), ("kind", "report"), ("urgency", "urgent")):
        desk.select_option(f"#f-{name}", value)
    desk.click("button[name=decision][value=save]")
    desk.wait_for_url(re.compile(r"/console/tickets/12345-"))
    panel = desk.locator("#child-links")
    assert number in panel.inner_text() and "李**" in panel.inner_text() and "取消关联" in panel.inner_text()
    assert f"儿童档案 {number}" in desk.inner_text(".timeline")
    shot(desk, "child-02-ticket-linked")
