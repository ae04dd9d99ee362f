"""The deadline sweep with time travel: reminders at 2/3 and 2 hours before, overdue at the deadline,
escalation (督办升级) one level up per further working day — across a weekend, the National Day holiday
and the 调休 make-up Saturday — each exactly once, nothing repeated after a crash mid-sweep, and the
escalated unit sees the ticket. Tickets are dispatched at chosen moments through the real services; the
sweep is the job itself (``run_due``) or ``hotline sweep --now``."""

from __future__ import annotations

import json
from datetime import datetime

from click.testing import CliRunner
from sqlalchemy import select
from sweep_support import at, sweep, sweep_directly

from hotline.accounts.actor import SYSTEM, Actor
from hotline.accounts.models import Role
from hotline.cli import given, main
from hotline.directory.units import get_unit
from hotline.notifications.models import Notification
from hotline.notifications.service import Notifier
from hotline.scheduling.runner import run_due
from hotline.sentiment.leads import open_lead
from hotline.sentiment.models import SentimentEvent
from hotline.sentiment.pipeline import ingest_batch
from hotline.tickets.actions import perform_action
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket

COUNTY = "civil_affairs:长春市/农安县"
PREFECTURE = "civil_affairs:长春市"
PROVINCE = "civil_affairs:吉林省"
PLACE = {"prefecture": "长春市", "county": "农安县"}




def dispatch(state, when: str, *, kind: str = "help", urgency: str = "normal", category: str = "guardianship") -> str:
    """A ticket received and dispatched to the county civil-affairs bureau at ``when`` (Beijing time)."""
    moment = at(when)
    with state.db.transaction() as session:
        ticket, _ = intake(session, IntakeRequest(channel="phone", text="孩子父母外出务工，孩子一个人在家，无人照看。"),
                           SYSTEM)
        payload = {"category": category, "kind": kind, "urgency": urgency, **PLACE, "unit": COUNTY}
        if urgency == "emergency":
            payload["police_notified"] = True
        perform_action(session, ticket.number, "dispatch", SYSTEM, payload, policy=state.policy,
                       taxonomy=state.taxonomy, now=moment)
        return ticket.number


def act(state, number: str, name: str, actor: Actor, when: str, **payload) -> None:
    with state.db.transaction() as session:
        perform_action(session, number, name, actor, payload, policy=state.policy, taxonomy=state.taxonomy,
                       now=at(when))






def timeline(state, number: str) -> list[tuple[str, str, str]]:
    """The sweep's events: (action, clock, stage)."""
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        return [(e.action, e.data["clock"], e.data["stage"]) for e in ticket.events
                if e.action in ("remind", "overdue", "escalate")]


def staff(state, unit_code: str) -> Actor:
    with state.db.transaction(readonly=True) as session:
        return Actor("user", "t", Role.AGENCY_STAFF, unit_id=get_unit(session, unit_code).id)


def test_reminders_overdue_and_escalation_across_a_weekend_each_exactly_once(state):
    # Friday 2026-11-27 10:00, a normal 求助: sign within 1 working day (Monday 10:00), resolve within 5
    number = dispatch(state, "2026-11-27T10:00:00")
    assert sweep(state, "2026-11-28T09:00:00")["reminded"] == 0  # Saturday: nothing is due yet
    # 2/3 of Friday 10:00 → Monday 10:00 is Sunday 10:00
    assert sweep(state, "2026-11-29T10:30:00")["reminded"] == 1
    assert run_due(state, at("2026-11-29T10:30:00"), only=("deadlines",))["jobs"] == {"deadlines": "not_due"}
    assert sweep_directly(state, "2026-11-29T10:30:00")["reminded"] == 0  # the same moment again: nothing
    assert sweep(state, "2026-11-29T18:00:00")["reminded"] == 0  # later the same day: nothing
    assert sweep(state, "2026-11-30T08:05:00")["reminded"] == 1  # 2 hours before Monday 10:00
    first = sweep(state, "2026-11-30T10:01:00")
    assert (first["overdue"], first["escalated"]) == (1, 0)
    assert sweep(state, "2026-11-30T23:00:00")["overdue"] == 0
    assert sweep(state, "2026-12-01T09:59:00")["escalated"] == 0  # not yet one more working day
    assert sweep(state, "2026-12-01T10:01:00")["escalated"] == 1  # Tuesday 10:00: to the prefecture
    assert sweep(state, "2026-12-02T10:01:00")["escalated"] == 1  # Wednesday 10:00: to the province
    assert sweep(state, "2026-12-03T10:01:00")["escalated"] == 0  # nothing above the province
    sign = [e for e in timeline(state, number) if e[1] == "sign"]
    assert sign == [("remind", "sign", "remind_2_3"), ("remind", "sign", "remind_2h"), ("overdue", "sign", "overdue"),
                    ("escalate", "sign", "escalate_1"), ("escalate", "sign", "escalate_2")]


def test_a_holiday_and_a_make_up_saturday_move_overdue_and_escalation(state):
    # Wednesday 2026-09-30 15:00, a 咨询: sign within 1 working day — after the National Day holiday
    # (1-7 October) that is Thursday 8 October 15:00; one more working day is Friday 9 October, and the
    # next is Saturday 10 October, a 调休 make-up working day
    number = dispatch(state, "2026-09-30T15:00:00", kind="consult")
    assert sweep(state, "2026-10-05T12:00:00")["overdue"] == 0  # the holiday: not late
    assert sweep(state, "2026-10-08T14:59:00")["overdue"] == 0
    assert sweep(state, "2026-10-08T15:01:00")["overdue"] == 1  # sign clock ran out
    sweep(state, "2026-10-09T15:01:00")
    assert [e for e in timeline(state, number) if e[1] == "sign"][-1] == ("escalate", "sign", "escalate_1")
    sweep(state, "2026-10-10T15:01:00")  # the make-up Saturday counts as a working day
    assert [e for e in timeline(state, number) if e[1] == "sign"][-1] == ("escalate", "sign", "escalate_2")
    # the resolve clock (2 working days: Friday 9 October 15:00) was escalated on the make-up Saturday too
    assert ("escalate", "resolve", "escalate_1") in timeline(state, number)
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        overdue = next(e for e in ticket.events if e.action == "overdue")
        assert overdue.data == {"clock": "sign", "due": "2026-10-08T15:00:00+08:00", "stage": "overdue"}
        assert ticket.escalated_unit.code == PROVINCE and ticket.supervision_count == 3  # sign twice, resolve once


def test_a_sweep_that_reaches_an_item_late_collapses_the_stages(state):
    number = dispatch(state, "2026-11-27T10:00:00")
    # the scheduler was down all week: one overdue and one escalation (to the highest level due), no
    # stale reminders for a deadline already passed
    assert sweep(state, "2026-12-03T12:00:00")["overdue"] == 1
    assert [e for e in timeline(state, number) if e[1] == "sign"] == [("overdue", "sign", "overdue"),
                                                                      ("escalate", "sign", "escalate_2")]


def test_escalation_makes_the_ticket_visible_one_level_up_and_the_api_shows_the_flags(state, api_as):
    number = dispatch(state, "2026-11-27T10:00:00")
    prefecture = api_as("agency_staff", PREFECTURE)
    assert prefecture.get(f"/tickets/{number}").status_code == 404
    sweep(state, "2026-11-30T10:01:00")
    assert prefecture.get(f"/tickets/{number}").status_code == 404  # overdue, not yet escalated
    sweep(state, "2026-12-01T10:01:00")
    body = prefecture.get(f"/tickets/{number}").get_json()
    assert body["flags"]["overdue"] == ["sign"] and body["flags"]["escalated"] == ["sign"]
    assert body["flags"]["escalated_to"] == PREFECTURE
    escalate = [e for e in api_as("dispatcher").get(f"/tickets/{number}", events="1").get_json().get("events", [])
                if e["action"] == "escalate"]
    if escalate:  # the events list is part of the full ticket JSON
        assert escalate[0]["data"]["to"] == PREFECTURE and "督办" in escalate[0]["note"]
    # the prefecture sees, but the ticket is still the county's to sign
    assert prefecture.act(number, "sign").status_code == 403
    assert api_as("agency_staff", COUNTY).act(number, "sign").status_code == 200


def test_who_is_notified(state):
    number = dispatch(state, "2026-11-27T10:00:00")
    for moment in ("2026-11-29T10:30:00", "2026-11-30T10:01:00", "2026-12-01T10:01:00"):
        sweep(state, moment)
    with state.db.transaction(readonly=True) as session:
        notes = session.scalars(select(Notification).where(Notification.ref == f"ticket:{number}")
                                .order_by(Notification.id)).all()
        got = [(n.kind, n.unit.code if n.unit else n.audience) for n in notes if "签收" in n.title]
        texts = [f"{n.title} {n.body}" for n in notes]
    assert got == [("remind", COUNTY), ("overdue", COUNTY), ("overdue", PREFECTURE), ("escalate", COUNTY),
                   ("escalate", PREFECTURE), ("escalate", "dispatcher")]
    assert all(number in t and "孩子" not in t for t in texts)  # the number, never what the caller said


def test_signing_stops_the_clock_and_a_new_deadline_starts_a_fresh_record(state):
    number = dispatch(state, "2026-11-23T10:00:00", kind="help")  # Monday: resolve in 5 wd = Monday 30th 10:00
    unit = staff(state, COUNTY)
    act(state, number, "sign", unit, "2026-11-23T11:00:00")
    assert sweep(state, "2026-11-30T10:01:00")["overdue"] == 1  # the resolve clock only
    act(state, number, "request_extension", unit, "2026-11-30T11:00:00", days=2, reason="需要协调学校")
    act(state, number, "approve_extension", SYSTEM, "2026-11-30T11:30:00")
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.alert_at is not None
    # the new deadline (Wednesday 2 December 10:00) gets its own reminder and overdue
    later = sweep(state, "2026-12-02T08:30:00")
    assert later["reminded"] == 1 and later["overdue"] == 0
    assert sweep(state, "2026-12-02T10:01:00")["overdue"] == 1
    assert [e[0] for e in timeline(state, number)].count("overdue") == 2


def test_a_crash_mid_sweep_repeats_nothing(state, monkeypatch):
    numbers = [dispatch(state, "2026-11-27T10:00:00") for _ in range(3)]
    real = Notifier.send
    calls = {"n": 0}

    def failing(self, **kwargs):  # noqa: ANN001, ANN003
        calls["n"] += 1
        if calls["n"] == 4:  # the process dies half-way through the sweep
            raise RuntimeError("killed")
        return real(self, **kwargs)

    monkeypatch.setattr(Notifier, "send", failing)
    summary = run_due(state, at("2026-11-30T10:01:00"), only=("deadlines",))
    assert summary["jobs"] == {"deadlines": "error"} and summary["overdue"] == 0
    assert all(timeline(state, n) == [] for n in numbers)  # the job's one transaction was rolled back
    monkeypatch.setattr(Notifier, "send", real)
    assert sweep(state, "2026-11-30T10:01:00")["overdue"] == 3
    assert sweep_directly(state, "2026-11-30T10:01:00")["overdue"] == 0
    for n in numbers:
        assert [e[0] for e in timeline(state, n)] == ["overdue"]


def test_an_emergency_sign_clock_reminds_at_20_minutes_and_is_overdue_at_30(state):
    number = dispatch(state, "2026-12-01T09:00:00", urgency="emergency", kind="report")
    assert sweep(state, "2026-12-01T09:19:00")["reminded"] == 0
    assert sweep(state, "2026-12-01T09:20:30")["reminded"] == 1  # 2/3 of 30 minutes; "2 hours before" is before dispatch
    assert sweep(state, "2026-12-01T09:31:00")["overdue"] == 1
    assert ("overdue", "sign", "overdue") in timeline(state, number)


def open_lead_at(state, moment: datetime) -> str:
    """A high-risk story in 农安县 and its lead, opened to the county's civil-affairs bureau at ``moment``."""
    text = "农安县合隆镇一名7岁女孩被继父用皮带抽打，浑身是伤，邻居听到哭喊声，孩子现在还在家里，快救救孩子！"
    ingest_batch(state, [{"source": "douyin", "external_id": "dy-sweep", "text": text}])
    with state.db.transaction() as session:
        event = session.scalars(select(SentimentEvent)).one()
        event.risk = "high"
        return open_lead(session, event, SYSTEM, policy=state.policy, taxonomy=state.taxonomy, unit_code=COUNTY,
                         now=moment).number


def test_verification_leads_are_swept_too(state, api_as):
    number = open_lead_at(state, at("2026-11-30T09:00:00"))  # high risk: due in 24 hours
    assert sweep(state, "2026-11-30T20:00:00")["reminded"] == 0
    assert sweep(state, "2026-12-01T01:30:00")["reminded"] == 1  # 2/3 of 24 h after 09:00 is 01:00
    assert sweep(state, "2026-12-01T09:01:00")["overdue"] == 1
    assert api_as("agency_staff", PREFECTURE).get(f"/leads/{number}").status_code == 404
    assert sweep(state, "2026-12-02T09:01:00")["escalated"] == 1
    body = api_as("agency_staff", PREFECTURE).get(f"/leads/{number}").get_json()
    assert body["flags"]["overdue"] == ["resolve"] and body["flags"]["escalated_to"] == PREFECTURE
    assert [e["action"] for e in body["events"]][-3:] == ["remind", "overdue", "escalate"]  # 2 h before: skipped
    assert body["events"][-1]["data"]["clock"] == "resolve"


def test_a_callback_falling_due_goes_to_the_operators_once(state):
    number = dispatch(state, "2026-11-23T10:00:00")
    unit = staff(state, COUNTY)
    act(state, number, "sign", unit, "2026-11-23T10:10:00")
    act(state, number, "resolve", unit, "2026-11-24T10:00:00", result="已上门核实并落实监护人")
    # callback within 2 working days of resolution: Thursday 26 November 10:00
    assert sweep(state, "2026-11-26T09:59:00")["callbacks_due"] == 0
    assert sweep(state, "2026-11-26T10:01:00")["callbacks_due"] == 1
    assert sweep(state, "2026-11-26T10:05:00")["callbacks_due"] == 0
    assert sweep_directly(state, "2026-11-26T10:05:00")["callbacks_due"] == 0
    with state.db.transaction(readonly=True) as session:
        notes = session.scalars(select(Notification).where(Notification.kind == "callback_due",
                                                           Notification.ref == f"ticket:{number}")).all()
        assert [n.audience for n in notes] == ["operator"]


def test_hotline_sweep_prints_the_summary_and_refuses_bad_input(state):
    dispatch(state, "2026-11-27T10:00:00")
    runner = CliRunner()
    result = runner.invoke(main, ["sweep", "--now", "2026-11-30T10:01:00+08:00", "--job", "deadlines"],
                           obj=given(state))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["overdue"] == 1 and summary["now"] == "2026-11-30T10:01:00+08:00"
    assert {"reminded", "overdue", "escalated", "callbacks_due"} <= set(summary)
    bad = runner.invoke(main, ["sweep", "--now", "yesterday"], obj=given(state))
    assert bad.exit_code == 2 and "时间格式无效" in bad.output
    unknown = runner.invoke(main, ["sweep", "--job", "nope"], obj=given(state))
    assert unknown.exit_code == 2 and "未知任务" in unknown.output


def test_the_sweep_reads_only_what_is_due(state):
    """Nothing due → no item touched: a ticket whose next moment is later is not loaded or changed."""
    number = dispatch(state, "2026-11-27T10:00:00", kind="suggestion")  # resolve in 10 wd
    with state.db.transaction(readonly=True) as session:
        version = session.scalar(select(Ticket.version).where(Ticket.number == number))
    summary = sweep(state, "2026-11-27T10:05:00")
    assert summary["tickets_swept"] == 0
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(Ticket.version).where(Ticket.number == number)) == version


def test_time_travel_through_the_api_and_the_default_clock(state, api_as):
    """The wall clock itself moved (time-machine): a ticket dispatched through the API on a Friday, and
    ``hotline sweep`` without --now, at the moments the deadlines pass."""
    import time_machine

    desk = api_as("operator")
    with time_machine.travel(at("2026-11-27T10:00:00"), tick=False):
        number = desk.post("/tickets", json={"channel": "phone", "text": "孩子父母外出务工，孩子独自在家。"}).get_json()["number"]
        body = desk.act(number, "dispatch", category="guardianship", kind="help", urgency="normal", unit=COUNTY,
                        **PLACE).get_json()
        assert body["deadlines"]["sign"] == "2026-11-30T10:00:00+08:00"
    runner = CliRunner()
    for moment, expected in (("2026-11-30T09:59:00", 0), ("2026-11-30T10:00:30", 1), ("2026-11-30T10:02:00", 0)):
        with time_machine.travel(at(moment), tick=False):
            result = runner.invoke(main, ["sweep", "--job", "deadlines"], obj=given(state))
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["overdue"] == expected, moment
    flagged = desk.get(f"/tickets/{number}").get_json()["flags"]
    assert flagged["overdue"] == ["sign"] and flagged["reminded"] == ["sign"] and flagged["escalated_to"] is None
