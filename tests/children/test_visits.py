"""Home visits (入户走访): the next task follows from the assessment at the visit — 较好 three months, 一般
one month, 重点关注 two weeks, from the visit date, clamped to the month's end — one open task per child,
none for a child who left the register; who may record a visit; the field page's task list and its form."""

import re
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from children_support import PASSWORD, add_child, get, guardian, person, places
from sqlalchemy import select

from hotline.children import register, visits
from hotline.children.models import ChildVersion, Visit, VisitTask
from hotline.children.privacy import view_child
from hotline.errors import Conflict, Forbidden, InputError, NotFound
from hotline.timeutil import SHANGHAI

COUNTY = "civil_affairs:长春市/农安县"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def values(day: str, **overrides) -> dict:
    out = {"visited_on": date.fromisoformat(day), "seen": "儿童本人、祖母", "findings": "孩子在家，祖母照看，按时上学。",
           "needs": None, "assessment": None}
    out.update(overrides)
    return out


def record(state, actor, task, day: str, *, now: str | None = None, **overrides) -> Visit:
    with state.db.transaction() as session:
        visit = visits.record_visit(session, actor, task, values(day, **overrides),
                                    now=at(now or f"{day}T18:00:00"))
        session.expunge(visit)
        return visit


def tasks_of(state, number: str) -> list[VisitTask]:
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        found = list(session.scalars(select(VisitTask).where(VisitTask.child_id == child.id).order_by(VisitTask.id)))
        session.expunge_all()
        return found


def open_tasks(state, number: str) -> list[VisitTask]:
    return [t for t in tasks_of(state, number) if t.status == "open"]


@pytest.fixture
def director(state):
    return person(state, "child_director", place_names=("陈家店村",))


@pytest.mark.parametrize(("assessment", "visit_day", "next_due"), [
    ("good", "2026-03-10", "2026-06-10"),
    ("fair", "2026-03-10", "2026-04-10"),
    ("concern", "2026-03-10", "2026-03-24"),
])
def test_the_next_visit_follows_the_assessment_from_the_visit_date(state, director, assessment, visit_day, next_due):
    number = add_child(state, director, assessment=assessment, now=at("2026-03-02T10:00:00"))
    [first] = open_tasks(state, number)
    assert first.due_date == visits.rules.next_visit_due(assessment, date(2026, 3, 2))  # from the registration
    visit = record(state, director, first.id, visit_day)
    assert visit.visitor == director.label and visit.assessment_before == visit.assessment_after == assessment
    done = next(t for t in tasks_of(state, number) if t.id == first.id)
    assert done.status == "done" and done.done_at == at(f"{visit_day}T18:00:00") and done.alert_at is None
    [following] = open_tasks(state, number)
    assert following.due_date == date.fromisoformat(next_due) and following.assessment == assessment
    assert following.due_at == at(f"{next_due}T00:00:00") + timedelta(days=1)  # late from the next midnight
    # the sweep first looks at it for the reminder: 08:00 three days before the due date
    assert following.alert_at == at(f"{next_due}T08:00:00") - timedelta(days=3)


def test_a_new_assessment_at_a_visit_changes_the_record_and_the_next_due_date(state, director):
    number = add_child(state, director, assessment="fair", now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(state, number)
    record(state, director, task.id, "2026-03-20", assessment="concern", needs="需要联系学校心理老师")
    [following] = open_tasks(state, number)
    assert following.due_date == date(2026, 4, 3) and following.assessment == "concern"  # two weeks, not a month
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        assert child.assessment == "concern"
        version = session.scalar(select(ChildVersion).where(ChildVersion.child_id == child.id)
                                 .order_by(ChildVersion.version.desc()))
        assert (version.reason, version.changes, version.actor) == ("visit", {"assessment": ["fair", "concern"]},
                                                                     director.label)
        visit = session.scalar(select(Visit).where(Visit.child_id == child.id))
        assert (visit.assessment_before, visit.assessment_after, visit.needs) == ("fair", "concern", "需要联系学校心理老师")
    # the same assessment again is no change: no version
    record(state, director, following.id, "2026-04-01", assessment="concern")
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        reasons = session.scalars(select(ChildVersion.reason).where(ChildVersion.child_id == child.id)).all()
        assert reasons == ["create", "visit"]
    assert open_tasks(state, number)[0].due_date == date(2026, 4, 15)


def test_month_end_clamping(state, director):
    number = add_child(state, director, assessment="fair", now=at("2027-01-05T10:00:00"))
    record(state, director, number, "2027-01-31")  # by the child's number: its open task
    assert open_tasks(state, number)[0].due_date == date(2027, 2, 28)
    leap = add_child(state, director, assessment="fair", now=at("2028-01-05T10:00:00"))
    record(state, director, leap, "2028-01-31")
    assert open_tasks(state, leap)[0].due_date == date(2028, 2, 29)
    quarter = add_child(state, director, assessment="good", now=at("2027-01-05T10:00:00"))
    record(state, director, quarter, "2027-11-30")
    assert open_tasks(state, quarter)[0].due_date == date(2028, 2, 29)


def test_one_open_task_per_child_and_none_after_exit(state, director):
    number = add_child(state, director, assessment="fair", now=at("2026-03-02T10:00:00"))
    for day in ("2026-03-10", "2026-04-08", "2026-05-09"):
        record(state, director, number, day)
    assert len(open_tasks(state, number)) == 1
    assert [t.status for t in tasks_of(state, number)] == ["done", "done", "done", "open"]
    # the record is changed to exited: the open task is cancelled and no new one planned
    with state.db.transaction() as session:
        village = places(session)["陈家店村"]
        child_values = {f.name: None for f in register.CHILD_SPEC.fields}
        child_values.update(name="李小梅", residence_place=village.id, category="left_behind", assessment="fair",
                            status="exited")
        register.update_child(session, director, number, child_values, [guardian()], cipher=state.cipher,
                              now=at("2026-05-20T09:00:00"))
    statuses = [t.status for t in tasks_of(state, number)]
    assert statuses == ["done", "done", "done", "cancelled"] and open_tasks(state, number) == []
    last = tasks_of(state, number)[-1]
    assert last.alert_at is None  # the sweep forgets it
    with pytest.raises(Conflict) as by_number:
        record(state, director, number, "2026-05-21")
    assert by_number.value.code == "no_open_visit_task"
    with pytest.raises(Conflict) as by_task:
        record(state, director, last.id, "2026-05-21")
    assert by_task.value.code == "visit_task_closed"
    assert open_tasks(state, number) == []


def test_a_task_done_cannot_be_recorded_twice(state, director):
    number = add_child(state, director, now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(state, number)
    record(state, director, task.id, "2026-03-10")
    with pytest.raises(Conflict):
        record(state, director, task.id, "2026-03-10")
    assert len(open_tasks(state, number)) == 1 and len(tasks_of(state, number)) == 2


def test_the_visit_date_is_checked(state, director):
    number = add_child(state, director, now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(state, number)
    cases = [("2026-03-11", "visit_in_future"), ("2026-03-01", "visit_before_registration")]
    for day, code in cases:
        with pytest.raises(InputError) as bad:
            record(state, director, task.id, day, now="2026-03-10T23:30:00")  # Beijing: still the 10th
        assert bad.value.code == code and bad.value.details == {"field": "visited_on"}
    record(state, director, task.id, "2026-03-02", now="2026-03-10T23:30:00")  # the registration day itself
    with pytest.raises(InputError) as earlier:
        record(state, director, number, "2026-03-01", now="2026-03-10T23:30:00")
    assert earlier.value.code in ("visit_before_registration", "visit_before_last")
    with pytest.raises(InputError) as spec:
        visits.VISIT_SPEC.parse({"visited_on": "2026-03-10", "seen": "儿童本人", "findings": " "}, source="text")
    assert spec.value.code == "missing_field" and spec.value.details == {"field": "findings"}
    with pytest.raises(InputError):
        visits.VISIT_SPEC.parse({"visited_on": "2026-03-10", "seen": "甲\n乙", "findings": "好"}, source="text")
    with pytest.raises(InputError):
        visits.VISIT_SPEC.parse({"visited_on": "2026-03-10", "seen": "x" * 201, "findings": "好"}, source="text")
    parsed = visits.VISIT_SPEC.parse({"visited_on": "2026-03-10", "seen": "儿童本人", "findings": "第一行\n第二行",
                                      "assessment": "good"}, source="text")
    assert parsed["findings"] == "第一行\n第二行" and parsed["assessment"] == "good" and parsed["needs"] is None


def test_who_may_record_a_visit(state, director):
    number = add_child(state, director, now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(state, number)
    other_village = person(state, "child_director", place_names=("合隆村",))
    for ref in (task.id, number):
        with pytest.raises(NotFound):  # outside their scope: as if it did not exist
            record(state, other_village, ref, "2026-03-10")
    with pytest.raises(NotFound):
        record(state, person(state, "agency_staff", unit="public_security:长春市/农安县"), task.id, "2026-03-10")
    for role in ("operator", "dispatcher", "supervisor", "admin"):
        with pytest.raises(Forbidden) as refused:  # province-wide roles see the register but do not visit
            record(state, person(state, role), task.id, "2026-03-10")
        assert "走访" in refused.value.message
    with pytest.raises(NotFound):
        record(state, director, 10**9, "2026-03-10")
    # the township's 督导员 and the county's civil-affairs staff may
    supervisor = person(state, "child_supervisor", place_names=("合隆镇",))
    visit = record(state, supervisor, task.id, "2026-03-10")
    assert visit.visitor == supervisor.label
    county = person(state, "agency_staff", unit=COUNTY)
    assert record(state, county, number, "2026-03-12").visitor == county.label


def test_the_task_list_is_ordered_and_grouped_by_state(state, director):
    now = at("2026-06-10T10:00:00")
    late = add_child(state, director, assessment="concern", name="王小明", now=at("2026-05-20T10:00:00"))  # due 06-03
    soon = add_child(state, director, assessment="concern", name="赵小红", now=at("2026-06-01T10:00:00"))  # due 06-15
    later = add_child(state, director, assessment="good", name="孙小刚", now=at("2026-06-01T10:00:00"))  # due 09-01
    elsewhere = add_child(state, person(state, "admin"), "合隆村", now=at("2026-05-01T10:00:00"))
    record(state, director, soon, "2026-06-01", now="2026-06-02T10:00:00")  # visited: due 06-15, last visit 06-01
    with state.db.transaction(readonly=True) as session:
        found = visits.tasks_for(session, director, now)
        rows = [(t.child.number, t.state, t.days, t.last_visit) for t in found]
        assert rows == [(late, "overdue", -7, None), (soon, "soon", 5, date(2026, 6, 1)), (later, "later", 83, None)]
        assert [t.name for t in found] == ["王小明", "赵小红", "孙小刚"]
        assert all(t.name == view_child(director, t.child).name for t in found)
        groups = visits.group_tasks(found)
        assert [len(groups[s]) for s in ("overdue", "soon", "later")] == [1, 1, 1]
        supervisor = person(state, "child_supervisor", place_names=("合隆镇",))
        assert {t.child.number for t in visits.tasks_for(session, supervisor, now)} == {late, soon, later, elsewhere}
        assert visits.tasks_for(session, person(state, "operator"), now) == []
        # a task due today is "soon", not overdue, until the day ends (Beijing time)
        due_today = visits.task_state(found[1].task, at("2026-06-15T23:59:00"))
        assert due_today == ("soon", 0)
        assert visits.task_state(found[1].task, at("2026-06-16T00:00:00"))[0] == "overdue"



def test_two_people_saving_the_same_visit_at_once_record_it_once(live):
    """The second waits for the first (a row lock on PostgreSQL, the write queue on SQLite), then finds the
    task done: one visit, one next task."""
    runtime = live.runtime
    director = person(runtime, "child_director", place_names=("陈家店村",))
    supervisor = person(runtime, "child_supervisor", place_names=("合隆镇",))
    number = add_child(runtime, director, now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(runtime, number)
    first_holds_it, outcomes = threading.Event(), {}

    def first() -> None:
        with runtime.db.transaction() as session:
            visits.record_visit(session, director, task.id, values("2026-03-10"), now=at("2026-03-10T18:00:00"))
            first_holds_it.set()
            time.sleep(0.5)  # still uncommitted while the second one tries
        outcomes["first"] = "ok"

    def second() -> None:
        first_holds_it.wait(10)
        try:
            with runtime.db.transaction() as session:
                visits.record_visit(session, supervisor, task.id, values("2026-03-10"), now=at("2026-03-10T18:00:01"))
            outcomes["second"] = "ok"
        except Conflict as exc:
            outcomes["second"] = exc.code

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == {"first": "ok", "second": "visit_task_closed"}
    assert [t.status for t in tasks_of(runtime, number)] == ["done", "open"]
    with runtime.db.transaction(readonly=True) as session:
        assert len(session.scalars(select(Visit).where(Visit.task_id == task.id)).all()) == 1

# --- the field page over HTTP (the browser test covers the phone layout) -------------------------------


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(app, actor):
    """A test client logged in through the login form as ``actor`` (made by ``person``)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    resp = client.post("/login", data={"username": actor.name, "password": PASSWORD, "csrf_token": csrf_of(page)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    client.csrf = csrf_of(client.get("/console/field/").get_data(as_text=True))  # the session's fresh token
    return client


def test_the_field_page_lists_tasks_and_records_a_visit(app, state, director):
    from hotline.timeutil import utcnow

    number = add_child(state, director, assessment="fair", name="李小梅", now=utcnow())
    [task] = open_tasks(state, number)
    browser = login(app, director)
    page = browser.get("/console/field/").get_data(as_text=True)
    assert f"/console/field/tasks/{task.id}" in page and "李小梅" in page and "7天内到期" in page and "field.css" in page
    form = browser.get(f"/console/field/tasks/{task.id}")
    html = form.get_data(as_text=True)
    today = visits.local_day(utcnow()).isoformat()
    assert form.status_code == 200 and f'value="{today}"' in html and "父亲 · 外出务工" in html
    bad = browser.post(f"/console/field/tasks/{task.id}", data={"csrf_token": browser.csrf, "visited_on": today,
                                                                 "seen": "儿童本人", "findings": ""})
    assert bad.status_code == 422 and "请填写走访情况" in bad.get_data(as_text=True)
    assert "儿童本人" in bad.get_data(as_text=True)  # what was typed is kept
    saved = browser.post(f"/console/field/tasks/{task.id}", data={
        "csrf_token": browser.csrf, "visited_on": today, "seen": "儿童本人、父亲（视频）", "findings": "孩子状况良好",
        "assessment": "concern"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/console/field/")
    [following] = open_tasks(state, number)
    listing = browser.get("/console/field/").get_data(as_text=True)
    assert f"已记录走访，下次走访：{following.due_date.isoformat()}" in listing
    assert following.due_date == visits.rules.next_visit_due("concern", visits.local_day(utcnow()))
    closed = browser.get(f"/console/field/tasks/{task.id}").get_data(as_text=True)
    assert "此走访任务已完成" in closed and "visit-form" not in closed and f"/console/field/tasks/{following.id}" in closed


def test_the_field_page_refuses_other_roles_and_other_villages(app, state, director):
    number = add_child(state, director, now=at("2026-03-02T10:00:00"))
    [task] = open_tasks(state, number)
    other = login(app, person(state, "child_director", place_names=("合隆村",)))
    assert other.get(f"/console/field/tasks/{task.id}").status_code == 404
    assert other.post(f"/console/field/tasks/{task.id}", data={
        "csrf_token": other.csrf, "visited_on": "2026-03-10", "seen": "儿童本人", "findings": "好"}).status_code == 404
    assert f"/console/field/tasks/{task.id}" not in other.get("/console/field/").get_data(as_text=True)
    operator = login(app, person(state, "operator"))
    assert operator.get("/console/field/").status_code == 403
    assert operator.get(f"/console/field/tasks/{task.id}").status_code == 403
    assert operator.post(f"/console/field/tasks/{task.id}", data={
        "csrf_token": operator.csrf, "visited_on": "2026-03-10", "seen": "儿童本人", "findings": "好"}).status_code == 403
    assert len(open_tasks(state, number)) == 1 and tasks_of(state, number)[0].status == "open"
