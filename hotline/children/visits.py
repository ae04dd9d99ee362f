"""Home visits (入户走访, plan item 8): the next visit task follows from the guardianship assessment —
every three months where it is 较好, every month where 一般, every two weeks for 重点关注 — counted from
the last visit (or the registration).

The 儿童主任 records a visit (date, who was seen, findings, needs, perhaps a new assessment); the task is
done and the next one is planned from the visit date at the interval of the (new) assessment. Tasks not
visited in time are swept like overdue tickets (:mod:`hotline.scheduling.deadline_sweep`): a reminder to
the 儿童主任 three days before, overdue to the 儿童主任 and the township's 儿童督导员, then 督办 by the
督导员 and, a working day later, by the county's civil-affairs bureau.

Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role, User
from hotline.children import privacy, rules, scopes
from hotline.children.models import Child, Visit, VisitTask, user_places
from hotline.directory.models import AgencyUnit
from hotline.errors import Conflict, Forbidden, InputError, NotFound
from hotline.inputs import Choice, Day, Spec, Text
from hotline.scheduling.alerts import ClockRun, first_moment
from hotline.timeutil import SHANGHAI

#: who records visits: the people of the place and the civil-affairs staff of the area (province-wide
#: roles see the register but do not visit)
VISITORS = frozenset({Role.CHILD_DIRECTOR, Role.CHILD_SUPERVISOR, Role.AGENCY_STAFF})
#: the visit clock's one reminder: 08:00 three days before the due date (the deadline is the midnight
#: after the due date, so 3 days and 16 hours before it)
REMIND_STAGE = ("remind_3d", timedelta(days=3, hours=16))
#: how far a missed visit is escalated: the township's 儿童督导员, then the county's civil-affairs bureau
ESCALATION_LEVELS = 2
#: the field page's "due soon": within this many days
SOON_DAYS = 7
#: the field page lists at most this many tasks (a province-wide civil-affairs account sees the province)
MAX_TASKS = 500
TASK_STATES = {"overdue": "已逾期", "soon": f"{SOON_DAYS}天内到期", "later": "以后"}

VISIT_SPEC = Spec([
    Day(name="visited_on", label="走访日期", required=True),
    Text(name="seen", label="见到的人", max_length=200, required=True,
         placeholder="如：儿童本人、祖母"),
    Text(name="findings", label="走访情况", max_length=2000, multiline=True, required=True),
    Text(name="needs", label="需求", max_length=2000, multiline=True),
    Choice(name="assessment", label="监护状况评估（如有变化）", choices=rules.ASSESSMENT_NAMES,
           help="改变评估会改变下次走访的时间"),
])


def local_day(moment: datetime | date) -> date:
    return moment.astimezone(SHANGHAI).date() if isinstance(moment, datetime) else moment


def end_of_day(day: date) -> datetime:
    """A visit due on ``day`` is late from the next midnight, Beijing time."""
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def last_visit_day(session: Session, child: Child) -> date | None:
    return session.scalar(select(func.max(Visit.visited_on)).where(Visit.child_id == child.id))


def last_visit(session: Session, child: Child) -> Visit | None:
    return session.scalar(select(Visit).where(Visit.child_id == child.id)
                          .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(1))


def open_task(session: Session, child: Child) -> VisitTask | None:
    return session.scalar(select(VisitTask).where(VisitTask.child_id == child.id, VisitTask.status == "open"))


def next_task(session: Session, visit: Visit) -> VisitTask | None:
    """The task planned after ``visit`` (the child's open task)."""
    return session.scalar(select(VisitTask).where(VisitTask.child_id == visit.child_id, VisitTask.status == "open"))


def visit_clock(task: VisitTask) -> ClockRun:
    """The task's deadline as the sweep's stage logic sees it (:mod:`hotline.scheduling.alerts`)."""
    return ClockRun("visit", task.created_at, task.due_at, levels_above=ESCALATION_LEVELS, reminders=(REMIND_STAGE,))


def running_clocks(task: VisitTask) -> list[ClockRun]:
    """What the sweep follows on a task: its clock while it is open and the child on the register."""
    if task.status != "open" or task.child.status != "active":
        return []
    return [visit_clock(task)]


def schedule_next(session: Session, child: Child, *, since: datetime | date, now: datetime) -> VisitTask | None:
    """Replace the child's open task by one due at the assessment's interval after ``since``; a child who
    left the register gets none."""
    session.execute(update(VisitTask).where(VisitTask.child_id == child.id, VisitTask.status == "open")
                    .values(status="cancelled", alert_at=None))
    if child.status != "active":
        return None
    due = rules.next_visit_due(child.assessment, local_day(since))
    task = VisitTask(child_id=child.id, assessment=child.assessment, due_date=due, due_at=end_of_day(due),
                     status="open", created_at=now, alerts={}, escalation=0)
    task.alert_at = first_moment(visit_clock(task))
    session.add(task)
    session.flush()
    return task


# --- recording a visit --------------------------------------------------------------------------------


def _may_visit(actor: Actor) -> None:
    if actor.role not in VISITORS:
        raise Forbidden("只有儿童主任、儿童督导员和民政部门工作人员可以记录入户走访", code="forbidden")


def _task_not_found(task_id: Any) -> NotFound:
    return NotFound(f"走访任务 {task_id} 不存在", code="visit_task_not_found")


def _visible_task(session: Session, actor: Actor, task_id: int, *, lock: bool = False) -> VisitTask:
    """The task if its child is in ``actor``'s scope; otherwise the same NotFound as a wrong id."""
    stmt = select(VisitTask).where(VisitTask.id == task_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        # two people saving the same visit at once: the second waits, then finds the task done
        stmt = stmt.with_for_update(of=VisitTask).execution_options(populate_existing=True)
    task = session.scalar(stmt)
    if task is None:
        raise _task_not_found(task_id)
    try:
        scopes.get_child(session, task.child.number, actor)
    except NotFound:
        raise _task_not_found(task_id) from None
    return task


def record_visit(session: Session, actor: Actor, task: int | str, values: dict[str, Any], *,
                 now: datetime) -> Visit:
    """Record a home visit (``values`` parsed by ``VISIT_SPEC``) on a task — by its id, or by the child's
    档案号 for the child's open task. The task is done, a new assessment is written to the child's record
    (a version with reason ``visit``) and the next task is planned from the visit date at the interval of
    the (new) assessment. Returns the visit (the next task: ``next_task(session, visit)``)."""
    _may_visit(actor)
    if isinstance(task, str):
        child = scopes.get_child(session, task, actor)
        found = open_task(session, child)
        if found is None or child.status != "active":
            raise Conflict(f"儿童档案 {child.number} 没有待走访任务（已退出登记的儿童不再走访）",
                           code="no_open_visit_task")
        found = _visible_task(session, actor, found.id, lock=True)
    else:
        found = _visible_task(session, actor, task, lock=True)
        child = found.child
    if found.status != "open" or child.status != "active":
        raise Conflict("该走访任务已完成或已取消，请刷新后查看当前任务" if child.status == "active"
                       else f"儿童档案 {child.number} 已退出登记，不再走访", code="visit_task_closed")
    day: date = values["visited_on"]
    today, registered, last = local_day(now), local_day(child.created_at), last_visit_day(session, child)
    if day > today:
        raise InputError("走访日期不能晚于今天", code="visit_in_future", details={"field": "visited_on"})
    if day < registered:
        raise InputError(f"走访日期不能早于儿童登记日期（{registered.isoformat()}）", code="visit_before_registration",
                         details={"field": "visited_on"})
    if last is not None and day < last:
        raise InputError(f"走访日期不能早于上次走访（{last.isoformat()}）", code="visit_before_last",
                         details={"field": "visited_on"})
    before = child.assessment
    after = values.get("assessment") or before
    visit = Visit(child_id=child.id, task_id=found.id, visited_on=day, visitor=actor.label, seen=values["seen"],
                  findings=values["findings"], needs=values.get("needs"), assessment_before=before,
                  assessment_after=after, created_at=now)
    session.add(visit)
    found.status, found.done_at, found.alert_at = "done", now, None
    if after != before:
        from hotline.children import register  # register plans visits: imported here, not at the top

        child.assessment = after
        register.record_version(session, child, actor, "visit", {"assessment": [before, after]}, now)
    session.flush()
    schedule_next(session, child, since=day, now=now)
    return visit


# --- the field page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldTask:
    """One open task as the field page lists it."""

    task: VisitTask
    child: Child
    #: the child's name as ``actor`` may see it (``privacy.view_child``)
    name: str = field(repr=False)
    #: overdue | soon | later
    state: str
    #: days until the due date (negative: days overdue)
    days: int
    last_visit: date | None


def task_state(task: VisitTask, now: datetime) -> tuple[str, int]:
    days = (task.due_date - local_day(now)).days
    if task.due_at <= now:
        return "overdue", days
    return ("soon" if days <= SOON_DAYS else "later"), days


def tasks_for(session: Session, actor: Actor, now: datetime, *, limit: int = MAX_TASKS) -> list[FieldTask]:
    """The open visit tasks of the children ``actor`` may see, by due date (none for roles that do not
    visit); nothing is decrypted."""
    if actor.role not in VISITORS:
        return []
    stmt = (select(VisitTask).join(VisitTask.child).options(contains_eager(VisitTask.child))
            .where(VisitTask.status == "open", Child.status == "active", scopes.child_condition(session, actor))
            .order_by(VisitTask.due_date, VisitTask.id).limit(limit))
    tasks = list(session.scalars(stmt).unique())
    last = dict(session.execute(select(Visit.child_id, func.max(Visit.visited_on))
                                .where(Visit.child_id.in_([t.child_id for t in tasks])).group_by(Visit.child_id)).all()
                ) if tasks else {}
    out = []
    for task in tasks:
        state, days = task_state(task, now)
        out.append(FieldTask(task, task.child, privacy.view_child(actor, task.child).name, state, days,
                             last.get(task.child_id)))
    return out


def group_tasks(tasks: Iterable[FieldTask]) -> dict[str, list[FieldTask]]:
    """已逾期 / 7天内到期 / 以后, in that order (every group present, perhaps empty)."""
    groups: dict[str, list[FieldTask]] = {state: [] for state in TASK_STATES}
    for item in tasks:
        groups[item.state].append(item)
    return groups


@dataclass(frozen=True)
class TaskPage:
    """What the field page shows of one task: the child's summary (masked as the actor may see it), the
    last visit, and whether a visit can be recorded on it."""

    task: VisitTask
    child: Child
    shown: privacy.ChildView = field(repr=False)
    last_visit: Visit | None
    state: str
    days: int
    today: date
    #: the task is open and the child on the register: a visit can be recorded on it
    can_record: bool
    #: the child's current open task when this one is closed
    current: VisitTask | None


def task_page(session: Session, actor: Actor, task_id: int, now: datetime) -> TaskPage:
    _may_visit(actor)
    task = _visible_task(session, actor, task_id)
    child = task.child
    state, days = task_state(task, now)
    is_open = task.status == "open" and child.status == "active"
    return TaskPage(task, child, privacy.view_child(actor, child), last_visit(session, child), state, days,
                    local_day(now), is_open, None if is_open else open_task(session, child))


# --- who is told of a missed visit (the deadline sweep) --------------------------------------------------


@dataclass(frozen=True)
class Addressee:
    """One recipient of a sweep notification: a user, a unit or (nobody else left) the dispatchers."""

    #: for dedupe keys: "user:12", "unit:5", "desk"
    key: str
    user_id: int | None = None
    unit: AgencyUnit | None = None
    audience: Role | None = None

    def send_to(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "unit": self.unit, "audience": self.audience}


class Responsible:
    """Who answers for a child's visits, looked up once per place in one sweep.

    - tier 0, the 儿童主任: the child's director (an active user), or else every active 儿童主任 of the village;
    - tier 1, the township's 儿童督导员 (every active one);
    - tier 2, the county's civil-affairs bureau (a unit: its staff and webhooks), or the dispatchers when the
      county has none.

    A reminder goes to tier 0; overdue to tiers 0 and 1; escalation level 1 to tier 1 and level 2 to tier 2.
    A tier with nobody in it passes its message to the next one up: a missed visit is never told to nobody.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[tuple[str, int], list[int]] = {}
        self._county: dict[int, AgencyUnit | None] = {}
        self._director_ok: dict[int, bool] = {}

    def _users(self, role: Role, place_id: int) -> list[int]:
        key = (role.value, place_id)
        if key not in self._people:
            self._people[key] = list(self.session.scalars(
                select(User.id).join(user_places, user_places.c.user_id == User.id)
                .where(user_places.c.place_id == place_id, User.role == role.value, User.active.is_(True))
                .order_by(User.id)))
        return self._people[key]

    def directors(self, child: Child) -> list[int]:
        if child.director_id is not None:
            if child.director_id not in self._director_ok:
                user = self.session.get(User, child.director_id)
                self._director_ok[child.director_id] = (user is not None and user.active
                                                        and user.role == Role.CHILD_DIRECTOR.value)
            if self._director_ok[child.director_id]:
                return [child.director_id]
        return self._users(Role.CHILD_DIRECTOR, child.village_id)

    def supervisors(self, child: Child) -> list[int]:
        return self._users(Role.CHILD_SUPERVISOR, child.township_id)

    def county_bureau(self, child: Child) -> AgencyUnit | None:
        if child.county_id not in self._county:
            self._county[child.county_id] = self.session.scalar(select(AgencyUnit).where(
                AgencyUnit.agency == "civil_affairs", AgencyUnit.region_id == child.county_id))
        return self._county[child.county_id]

    def tier(self, child: Child, level: int) -> list[Addressee]:
        """The people of one tier; an empty tier passes to the next one up."""
        if level == 0:
            found = [Addressee(f"user:{i}", user_id=i) for i in self.directors(child)]
        elif level == 1:
            found = [Addressee(f"user:{i}", user_id=i) for i in self.supervisors(child)]
        else:
            bureau = self.county_bureau(child)
            return [Addressee(f"unit:{bureau.id}", unit=bureau) if bureau is not None
                    else Addressee("desk", audience=Role.DISPATCHER)]
        return found or self.tier(child, level + 1)

    def for_firing(self, child: Child, action: str, level: int = 0) -> list[Addressee]:
        """Who is told of one stage of a missed visit (``action``: remind | overdue | escalate)."""
        if action == "remind":
            tiers = (0,)
        elif action == "overdue":
            tiers = (0, 1)
        else:
            tiers = (min(level, ESCALATION_LEVELS),)
        out: dict[str, Addressee] = {}
        for level_ in tiers:
            for who in self.tier(child, level_):
                out.setdefault(who.key, who)
        return list(out.values())


def place_label(child: Child) -> str:
    """合隆镇陈家店村 (no personal data: what notifications may say of where the child lives)."""
    village = child.village
    return f"{village.parent.name if village.parent else ''}{village.name}"
