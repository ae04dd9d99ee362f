"""Notifications end to end in Chromium: the unit's inbox is open; a ticket is dispatched to the unit and a
notification written for it; without a reload the header's count changes and the new ticket appears in the
list (the page polls); the notification is then read from the list and the count goes away."""

from datetime import UTC, datetime, timedelta

import pytest
from e2e_support import dispatch_over_api, shot
from sqlalchemy import func, or_, select

from hotline.accounts.models import Role
from hotline.directory.units import get_unit
from hotline.notifications.models import Notification
from hotline.notifications.service import notify

pytestmark = pytest.mark.e2e
UNIT = "civil_affairs:长春市/农安县"
LABELS = {"category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}


def dispatch_ticket(live) -> str:
    return dispatch_over_api(live, "邻居家孩子父母外出务工，孩子常一个人在家，希望有人关心。", LABELS)


def test_the_header_count_and_the_inbox_change_without_a_reload(open_as, live):
    page = open_as("agency_staff", UNIT)
    # the page's timers run on a paused clock that only the test moves: no waiting out the 20 s poll, and the
    # seconds the test spends below (dispatching, notifying) do not count
    page.clock.install()
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=5))
    page.goto(f"{page.base}/console/inbox")
    assert page.locator("#notify-count").is_hidden()
    page.evaluate("window.notStale = 'same page'")  # gone if the page reloaded

    number = dispatch_ticket(live)
    with live.runtime.db.transaction() as session:
        unit = get_unit(session, UNIT)
        notify(session, kind="remind", title=f"工单 {number} 待签收", ref=f"ticket:{number}",
               link=f"/console/tickets/{number}", unit=unit)
        expected = session.scalar(select(func.count(Notification.id)).where(
            or_(Notification.unit_id == unit.id, Notification.audience == Role.AGENCY_STAFF.value)))

    page.clock.run_for(19_000)  # not yet: the poll runs every 20 s
    assert page.locator("#notify-count").is_hidden()
    page.clock.run_for(1_000)
    page.wait_for_function(
        "n => { const b = document.getElementById('notify-count'); return !b.hidden && b.textContent === String(n); }",
        arg=expected, timeout=10000)
    page.wait_for_function("n => document.getElementById('ticket-list').textContent.includes(n)", arg=number,
                           timeout=10000)
    assert page.evaluate("window.notStale") == "same page"
    assert "未读" in page.get_attribute("#notify-bell", "title")
    shot(page, "30-notification-badge")

    page.click("#notify-bell")
    page.wait_for_url(f"{page.base}/console/notifications")
    row = page.locator("tr.unread", has_text=f"工单 {number} 待签收")
    assert row.locator(f"a[href='/console/tickets/{number}']").count() == 1
    shot(page, "31-notification-list")
    page.click("text=全部标为已读")
    page.wait_for_load_state()
    assert page.locator("#notify-count").is_hidden() and page.locator("tr.unread").count() == 0
