"""Missed home visits swept like overdue tickets, with time travel: a reminder to the 儿童主任 three days
before the due date, overdue to the 儿童主任 and the township's 儿童督导员, one working day later 督办 by the
督导员, another working day later by the county's civil-affairs bureau — each exactly once, none after the
visit is recorded, never a child's name in a notification. The sweep is the job itself (``run_due``) or
``hotline sweep --now``; tickets keep their own counts."""

from __future__ import annotations

import json
from datetime import date

from children_support import add_child, get, person
from click.testing import CliRunner
from sqlalchemy import select, update
from sweep_support import at, sweep, sweep_directly

from hotline.accounts.actor import SYSTEM
from hotline.accounts.models import User
from hotline.children import visits
from hotline.children.models import VisitTask
from hotline.cli import given, main
from hotline.directory.units import get_unit
from hotline.notifications.models import Notification
from hotline.tickets.actions import perform_action
from hotline.tickets.intake import IntakeRequest, intake

COUNTY = "civil_affairs:长春市/农安县"
CHILD_NAME = "李小梅"
GUARDIAN_NAME = "李建国"








def visit_counts(summary: dict) -> tuple[int, int, int]:
    return summary["visits_reminded"], summary["visits_overdue"], summary["visits_escalated"]


def the_task(state, number: str) -> VisitTask:
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        task = session.scalar(select(VisitTask).where(VisitTask.child_id == child.id, VisitTask.status == "open"))
        session.expunge(task)
        return task


def told(state, task_id: int) -> list[tuple[str, str]]:
    """(kind, addressee) of the task's notifications, in order: addressee a username, a unit code or a role."""
    with state.db.transaction(readonly=True) as session:
        notes = session.scalars(select(Notification).where(Notification.ref == f"visit:{task_id}")
                                .order_by(Notification.id)).all()
        out = []
        for n in notes:
            if n.user_id is not None:
                out.append((n.kind, session.get(User, n.user_id).username))
            else:
                out.append((n.kind, n.unit.code if n.unit else n.audience))
        return out


def texts(state, task_id: int) -> list[str]:
    with state.db.transaction(readonly=True) as session:
        return [f"{n.title} {n.body} {n.link}" for n in session.scalars(
            select(Notification).where(Notification.ref == f"visit:{task_id}"))]


def township(state):
    """The people of 合隆镇: the 儿童主任 of 陈家店村 (and a second one), a 督导员, and others not concerned."""
    return {
        "director": person(state, "child_director", place_names=("陈家店村",)),
        "second": person(state, "child_director", place_names=("陈家店村",)),
        "next_village": person(state, "child_director", place_names=("合隆村",)),
        "supervisor": person(state, "child_supervisor", place_names=("合隆镇",)),
        "other_township": person(state, "child_supervisor", place_names=("哈拉海镇",)),
    }


def register_concern_child(state, director_name: str | None) -> str:
    """A 重点关注 child registered Monday 2 November 2026: visit due Monday 16 November (late from Tuesday
    00:00); reminder Friday 13 November 08:00; 督办 Wednesday 18 (督导员) and Thursday 19 (county) 00:00."""
    return add_child(state, person(state, "admin"), assessment="concern", name=CHILD_NAME, director=director_name,
                     now=at("2026-11-02T10:00:00"))


def test_reminder_overdue_and_escalation_each_told_to_the_right_people_once(state):
    people = township(state)
    number = register_concern_child(state, people["director"].name)
    task = the_task(state, number)
    assert task.due_date == date(2026, 11, 16) and task.alert_at == at("2026-11-13T08:00:00")
    director, supervisor = people["director"].name, people["supervisor"].name

    assert visit_counts(sweep(state, "2026-11-13T07:59:00")) == (0, 0, 0)
    first = sweep(state, "2026-11-13T08:01:00")
    assert visit_counts(first) == (1, 0, 0) and first["visits_swept"] == 1
    assert (first["reminded"], first["overdue"], first["escalated"]) == (0, 0, 0)  # tickets' counts untouched
    assert told(state, task.id) == [("remind", director)]  # the assigned 儿童主任 only, not the second one
    assert visit_counts(sweep_directly(state, "2026-11-13T08:01:00")) == (0, 0, 0)  # the same moment again
    assert visit_counts(sweep(state, "2026-11-16T23:59:00")) == (0, 0, 0)  # the due day itself is not late

    assert visit_counts(sweep(state, "2026-11-17T00:01:00")) == (0, 1, 0)
    assert told(state, task.id)[1:] == [("overdue", director), ("overdue", supervisor)]
    assert visit_counts(sweep(state, "2026-11-17T15:00:00")) == (0, 0, 0)
    assert the_task(state, number).escalation == 0

    assert visit_counts(sweep(state, "2026-11-18T00:01:00")) == (0, 0, 1)  # one working day overdue
    assert the_task(state, number).escalation == 1
    assert told(state, task.id)[3:] == [("escalate", supervisor)]

    assert visit_counts(sweep(state, "2026-11-19T00:01:00")) == (0, 0, 1)  # another: the county
    after = the_task(state, number)
    assert after.escalation == 2 and after.alert_at is None  # nothing further to do
    assert told(state, task.id)[4:] == [("escalate", COUNTY)]
    assert visit_counts(sweep(state, "2026-11-20T00:01:00")) == (0, 0, 0)
    assert visit_counts(sweep_directly(state, "2026-11-19T00:01:00")) == (0, 0, 0)
    assert len(told(state, task.id)) == 5

    # what they say: the 档案号 and the village, a link to the field page; never a name
    notes = texts(state, task.id)
    assert all(number in t and "合隆镇陈家店村" in t for t in notes)
    assert all(CHILD_NAME not in t and GUARDIAN_NAME not in t for t in notes)
    assert all(f"/console/field/tasks/{task.id}" in t for t in notes)
    assert any(t.startswith(f"入户走访已逾期：儿童档案 {number}（合隆镇陈家店村）") for t in notes)
    with state.db.transaction(readonly=True) as session:
        county_note = session.scalar(select(Notification).where(Notification.ref == f"visit:{task.id}",
                                                                Notification.unit_id.is_not(None)))
        assert county_note.unit_id == get_unit(session, COUNTY).id and "农安县民政局" in county_note.title


def test_without_an_assigned_director_every_director_of_the_village_is_told(state):
    people = township(state)
    gone = person(state, "child_director", place_names=("陈家店村",))  # a third one, who has left
    with state.db.transaction() as session:
        session.execute(update(User).where(User.id == gone.id).values(active=False))
    number = register_concern_child(state, None)
    task = the_task(state, number)
    sweep(state, "2026-11-13T08:01:00")
    sweep(state, "2026-11-17T00:01:00")
    assert told(state, task.id) == [("remind", people["director"].name), ("remind", people["second"].name),
                                    ("overdue", people["director"].name), ("overdue", people["second"].name),
                                    ("overdue", people["supervisor"].name)]


def test_a_township_without_a_supervisor_passes_to_the_county(state):
    director = person(state, "child_director", place_names=("哈拉海村",))
    number = add_child(state, person(state, "admin"), "哈拉海村", assessment="concern", now=at("2026-11-02T10:00:00"))
    task = the_task(state, number)
    sweep(state, "2026-11-17T00:01:00")  # the reminder's moment passed unswept: no stale reminder
    sweep(state, "2026-11-18T00:01:00")
    assert told(state, task.id) == [("overdue", director.name), ("overdue", COUNTY), ("escalate", COUNTY)]


def test_a_visit_recorded_stops_the_alerts_and_the_next_task_starts_fresh(state):
    people = township(state)
    number = register_concern_child(state, people["director"].name)
    task = the_task(state, number)
    sweep(state, "2026-11-13T08:01:00")
    sweep(state, "2026-11-17T00:01:00")
    with state.db.transaction() as session:
        visits.record_visit(session, people["director"], task.id, {
            "visited_on": date(2026, 11, 17), "seen": "儿童本人、祖母", "findings": "已入户，孩子状况良好", "needs": None,
            "assessment": "fair"}, now=at("2026-11-17T10:00:00"))
    assert visit_counts(sweep(state, "2026-11-18T00:01:00")) == (0, 0, 0)
    assert visit_counts(sweep(state, "2026-11-20T00:01:00")) == (0, 0, 0)
    assert [kind for kind, _ in told(state, task.id)] == ["remind", "overdue", "overdue"]
    following = the_task(state, number)
    assert following.due_date == date(2026, 12, 17) and following.alerts == {} and following.escalation == 0
    assert visit_counts(sweep(state, "2026-12-14T08:01:00")) == (1, 0, 0)
    assert told(state, following.id) == [("remind", people["director"].name)]


def test_a_sweep_that_comes_late_collapses_the_stages(state):
    people = township(state)
    number = register_concern_child(state, people["director"].name)
    task = the_task(state, number)
    # the scheduler was down for a week: one overdue and the highest escalation, no stale reminder
    assert visit_counts(sweep(state, "2026-11-24T12:00:00")) == (0, 1, 1)
    assert the_task(state, number).escalation == 2
    assert told(state, task.id) == [("overdue", people["director"].name), ("overdue", people["supervisor"].name),
                                    ("escalate", COUNTY)]


def test_an_exited_child_is_not_swept(state):
    people = township(state)
    number = register_concern_child(state, people["director"].name)
    task = the_task(state, number)
    with state.db.transaction() as session:  # left the register some other way than the form
        child = get(session, number)
        child.status = "exited"
    summary = sweep(state, "2026-11-17T00:01:00")
    assert visit_counts(summary) == (0, 0, 0) and summary["visits_swept"] == 1
    assert told(state, task.id) == []
    with state.db.transaction(readonly=True) as session:
        assert session.get(VisitTask, task.id).alert_at is None


def test_hotline_sweep_counts_visits_apart_from_tickets(state):
    people = township(state)
    register_concern_child(state, people["director"].name)
    with state.db.transaction() as session:  # a ticket dispatched on Friday: sign by Monday 16th 10:00
        ticket, _ = intake(session, IntakeRequest(channel="phone", text="孩子父母外出务工，孩子一个人在家，无人照看。"),
                           SYSTEM)
        perform_action(session, ticket.number, "dispatch", SYSTEM, {
            "category": "guardianship", "kind": "help", "urgency": "normal", "prefecture": "长春市", "county": "农安县",
            "unit": COUNTY}, policy=state.policy, taxonomy=state.taxonomy, now=at("2026-11-13T10:00:00"))
    result = CliRunner().invoke(main, ["sweep", "--now", "2026-11-17T00:01:00+08:00", "--job", "deadlines"],
                                obj=given(state))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["overdue"] == 1  # the ticket, as before
    assert (summary["visits_overdue"], summary["visits_reminded"], summary["visits_escalated"]) == (1, 0, 0)
    assert {"reminded", "overdue", "escalated", "callbacks_due", "tickets_swept", "leads_swept", "visits_swept"} <= set(summary)
