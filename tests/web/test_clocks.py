"""Every clock of a dispatched ticket counts: a missed 30-minute sign clock is overdue in the queue filter,
the red rows, the ticket page and the dashboard, not only a missed resolve deadline; and a direct
answer with a wanted callback is due in the callback queue."""

from datetime import timedelta

from sqlalchemy import select, update

from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow

UNIT = "civil_affairs:长春市/农安县"
LABELS = {"category": "guardianship", "kind": "report", "urgency": "emergency", "prefecture": "长春市", "county": "农安县"}
CALL = {"channel": "phone", "text": "来电人说孩子一个人在家，大人两天没回来。"}


def emergency(api) -> str:
    number = api.post("/tickets", json=CALL).get_json()["number"]
    body = api.act(number, "dispatch", police_notified_at="2026-12-03T09:00:00+08:00", **LABELS).get_json()
    assert body["status"] == "dispatched"
    return number


def run_late(state, number, **clocks) -> None:
    """As if the given deadlines (sign_due_at …) had passed a minute ago."""
    past = utcnow() - timedelta(minutes=1)
    with state.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(**dict.fromkeys(clocks, past)))


def overdue_numbers(api) -> list[str]:
    return [t["number"] for t in api.get("/tickets", overdue="true").get_json()["items"]]


def test_a_missed_sign_clock_is_overdue_in_every_view(api_as, login, state):
    desk = api_as("operator")
    number = emergency(desk)
    assert overdue_numbers(desk) == []
    run_late(state, number, sign_due_at=True)
    assert overdue_numbers(desk) == [number]
    dispatcher = login("dispatcher")
    queue = dispatcher.get("/console/queue?overdue=true").get_data(as_text=True)
    assert number in queue and 'class="overdue"' in queue and "签收超时" in queue
    assert "签收超时" in dispatcher.get(f"/console/tickets/{number}").get_data(as_text=True)
    dashboard = dispatcher.get("/console/dashboard").get_data(as_text=True)
    assert number in dashboard.split("超期清单")[1]
    api_as("agency_staff", UNIT).act(number, "sign")
    assert overdue_numbers(desk) == []  # signed: the sign clock stopped


def test_a_missed_first_feedback_clock_is_overdue_until_progress_is_reported(api_as, state):
    desk, unit = api_as("operator"), api_as("agency_staff", UNIT)
    number = emergency(desk)
    unit.act(number, "sign")
    run_late(state, number, first_feedback_due_at=True)
    assert overdue_numbers(desk) == [number]
    unit.act(number, "progress", note="已联系派出所上门")
    assert overdue_numbers(desk) == []


def test_a_direct_answer_with_a_callback_is_due_in_the_callback_queue(api_as, login, state):
    desk = api_as("operator")
    number = desk.post("/tickets", json=CALL).get_json()["number"]
    labels = {**LABELS, "urgency": "normal", "kind": "consult"}
    body = desk.act(number, "answer", answer="已告知申请流程", callback_wanted=True, **labels).get_json()
    assert body["status"] == "answered" and body["deadlines"]["callback"]
    page = login("operator").get("/console/callbacks").get_data(as_text=True)
    assert number in page and "data-due" in page
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert timedelta(0) < ticket.callback_due_at - ticket.updated_at <= timedelta(days=5)
