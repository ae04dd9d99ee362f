"""What a person reads is Beijing time whatever the browser's zone, and the page's own styles apply under
the Content-Security-Policy (the fixture fails on any violation or console error)."""

import pytest
from e2e_support import dispatch_over_api
from sqlalchemy import select

from hotline.tickets.models import Ticket
from hotline.timeutil import local_minute

pytestmark = pytest.mark.e2e
UNIT = "civil_affairs:长春市/农安县"
LABELS = {"category": "guardianship", "kind": "report", "urgency": "emergency", "prefecture": "长春市", "county": "农安县"}


def dispatched_emergency(live) -> Ticket:
    number = dispatch_over_api(live, "孩子一个人在家，大人两天没回来。\n第二行说明", {**LABELS, "police_notified": True})
    with live.runtime.db.transaction(readonly=True) as session:
        return session.scalar(select(Ticket).where(Ticket.number == number))


@pytest.mark.parametrize("zone", ["America/New_York", "UTC", "Asia/Shanghai"])
def test_deadlines_read_in_beijing_time_from_any_zone(open_as, live, zone):
    ticket = dispatched_emergency(live)
    unit = open_as("agency_staff", UNIT, timezone=zone)
    unit.goto(f"{unit.base}/console/tickets/{ticket.number}")
    countdowns = unit.locator(".countdown")
    unit.wait_for_function("document.querySelector('.countdown').textContent.includes('剩余')")
    assert countdowns.nth(0).inner_text().startswith(local_minute(ticket.sign_due_at))
    assert countdowns.nth(1).inner_text().startswith(local_minute(ticket.first_feedback_due_at))
    assert countdowns.nth(2).inner_text().startswith(local_minute(ticket.resolve_due_at))
    assert local_minute(ticket.received_at) in unit.inner_text("main")
    unit.goto(f"{unit.base}/console/inbox")
    unit.wait_for_function("document.querySelector('.countdown').textContent.includes('剩余')")
    assert unit.locator(".countdown").first.inner_text().startswith(local_minute(ticket.resolve_due_at))


def test_the_pages_own_styles_apply_under_the_csp(open_as, live):
    ticket = dispatched_emergency(live)
    desk = open_as("operator")
    desk.goto(f"{desk.base}/console/tickets/{ticket.number}")
    style = "([sel, prop]) => getComputedStyle(document.querySelector(sel)).getPropertyValue(prop)"
    assert desk.evaluate(style, [".main-column", "flex-grow"]) == "3"  # the two-column layout
    assert desk.evaluate(style, [".side-column", "flex-grow"]) == "2"
    assert desk.evaluate(style, ["td.prewrap", "white-space"]) == "pre-wrap"  # the caller's line breaks
    desk.goto(f"{desk.base}/console/new")
    assert desk.evaluate(style, [".main-column", "flex-grow"]) == "3"
