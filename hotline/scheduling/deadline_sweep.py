"""The deadline sweep (every minute): reminders, overdue flags and 督办 escalation on tickets,
verification leads and home-visit tasks, and callbacks falling due. It reads only what is due
(``alert_at <= now``, through an index), writes the timeline events ``remind`` / ``overdue`` / ``escalate``
(the clock in ``data``) and the notifications, and leaves each item's next ``alert_at``. Runs in the job's
one transaction; flushes.

Who is told (tickets and leads, held by a unit): a reminder goes to the unit; overdue to the unit and the
unit above it (its 上级, or the dispatchers when the unit is provincial); an escalation to the unit, the
unit it is escalated to and the dispatchers; a callback falling due to the operators (回访队列).

Match reviews (数据比对复核) are held by the county's civil-affairs bureau and swept like leads (their
reminders, overdue and 督办 counted with the tickets' and leads').

Home-visit tasks (入户走访, held by people of a place): a reminder three days before the due date to the
儿童主任; overdue to the 儿童主任 and the township's 儿童督导员; one working day later 督办 by the 督导员
(``escalation`` 1), another working day later by the county's civil-affairs bureau (``escalation`` 2) —
see ``visits.Responsible``. They are counted apart: ``visits_reminded``, ``visits_overdue``,
``visits_escalated`` (the tickets' and leads' keys keep their meaning).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.children import reviews, visits
from hotline.children.models import MatchReview, VisitTask
from hotline.directory.models import AgencyUnit
from hotline.directory.units import parent_unit
from hotline.notifications.service import Notifier
from hotline.scheduling.alerts import ClockRun, Firing, plan
from hotline.scheduling.jobs import JobContext
from hotline.sentiment import leads as lead_rules
from hotline.sentiment.models import Lead, LeadEvent
from hotline.tickets import clocks
from hotline.tickets.events import add_event
from hotline.tickets.models import Ticket
from hotline.timeutil import iso_local, local_minute

#: the timeline's actor for the sweep's events
SCHEDULER = Actor("system", "scheduler", Role.ADMIN)
#: at most this many items of each kind per sweep; the rest wait a minute (reported as ``more``)
BATCH = 5000


@dataclass(frozen=True)
class Swept:
    """A kind of item with deadlines the sweep follows; a new kind is one more entry in ``SWEPT``. Its model
    has ``alert_at`` and ``alerts``. A kind held by a unit (tickets, leads) has ``number``,
    ``escalated_unit`` and ``supervision_count`` and gives ``unit`` and ``record``: the unit rule says who is
    told. A kind held by people (visit tasks) gives ``tell`` instead: what each firing does and who is told."""

    model: Any
    #: how it is named in notifications, references and console links
    noun: str
    ref: str
    link: str
    running_clocks: Callable[[Any], list[ClockRun]]
    #: the unit that holds it (does the work)
    unit: Callable[[Any], AgencyUnit | None] | None = None
    #: writes one timeline row: (session, item, action, note, data, at)
    record: Callable[[Session, Any, str, str, dict[str, Any], datetime], None] | None = None
    #: (sweep, kind, item, firing): in place of the unit rule, for a kind no unit holds
    tell: Callable[[_Sweep, Swept, Any, Firing], None] | None = None
    #: counted under keys of its own (``visits_overdue`` …), not in ``reminded`` / ``overdue`` / ``escalated``
    counted_apart: bool = False


def _ticket_event(session: Session, ticket: Ticket, action: str, note: str, data: dict[str, Any],
                  at: datetime) -> None:
    add_event(session, ticket, action, SCHEDULER, from_status=ticket.status, note=note, data=data, at=at)


def _lead_event(session: Session, lead: Lead, action: str, note: str, data: dict[str, Any], at: datetime) -> None:
    session.add(LeadEvent(lead=lead, at=at, action=action, from_status=lead.status, to_status=lead.status,
                          actor=SCHEDULER.label, actor_role=SCHEDULER.role.value, note=note, data=data))


def _no_timeline(session: Session, item: Any, action: str, note: str, data: dict[str, Any], at: datetime) -> None:
    """A match review keeps no timeline: its ``alerts`` and the notifications say what the sweep did."""


def _tell_visit(sweep: _Sweep, kind: Swept, task: VisitTask, firing: Firing) -> None:
    """A home-visit task's firing: ``escalation`` raised to the level reached, and whoever
    ``visits.Responsible`` names for the stage told of the child's 档案号 and village (never a name)."""
    child = task.child
    if firing.action == "escalate":
        task.escalation = max(task.escalation or 0, firing.level)
    recipients = sweep.responsible.for_firing(child, firing.action, firing.level)
    what = f"儿童档案 {child.number}（{visits.place_label(child)}）"
    due = f"应走访日期 {task.due_date.isoformat()}"
    if firing.action == "remind":
        title = f"入户走访即将到期：{what}，{due}"
    elif firing.action == "overdue":
        title = f"入户走访已逾期：{what}，{due}"
    else:
        to = "儿童督导员" if firing.level < 2 else next((r.unit.name for r in recipients if r.unit), "县级民政部门")
        title = f"入户走访逾期督办：{what}，{due}，已升级至{to}督办"
    ref = f"{kind.ref}:{task.id}"
    key = f"{firing.action}:{ref}:{firing.clock}:{firing.due.isoformat()}:{firing.stage}"
    for who in recipients:
        # the dispatchers cannot open the field page: they get the child's page
        link = f"/console/children/{child.number}" if who.audience else kind.link.format(id=task.id)
        sweep.notifier.send(kind=firing.action, title=title, body=f"{title}。请登录系统处理。", ref=ref, link=link,
                            dedupe_key=f"{key}:{who.key}", **who.send_to())


#: the summary's names of a kind counted apart: ``visits_reminded`` …
COUNT_KEYS = {"remind": "reminded", "overdue": "overdue", "escalate": "escalated"}

SWEPT: tuple[Swept, ...] = (
    Swept(Ticket, "工单", "ticket", "/console/tickets/{number}", clocks.running_clocks, lambda t: t.lead_unit,
          _ticket_event),
    Swept(Lead, "核查线索", "lead", "/console/leads/{number}", lead_rules.running_clocks, lambda lead: lead.unit,
          _lead_event),
    Swept(VisitTask, "入户走访", "visit", "/console/field/tasks/{id}", visits.running_clocks, tell=_tell_visit,
          counted_apart=True),
    Swept(MatchReview, "比对复核", "review", "/console/matching/reviews/{number}", reviews.running_clocks,
          lambda review: review.unit, _no_timeline),
)


# --- the job -------------------------------------------------------------------------------------------


def _due(session: Session, model: Any, now: datetime) -> list[Any]:
    stmt = select(model).where(model.alert_at <= now).order_by(model.alert_at).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        # an item a person is changing right now is swept next minute, never overwritten
        stmt = stmt.with_for_update(of=model, skip_locked=True)
    return list(session.scalars(stmt))


def sweep_deadlines(ctx: JobContext) -> dict[str, int]:
    """The job: every item of every swept kind with work due at ``ctx.now``."""
    assert ctx.session is not None
    session, now, policy = ctx.session, ctx.now, ctx.runtime.policy
    sweep = _Sweep(session, now)
    swept: dict[str, int] = {}
    more = 0
    for kind in SWEPT:
        items = _due(session, kind.model, now)
        with session.no_autoflush:  # one flush at the end, not one per query
            for item in items:
                item.alerts, fired, item.alert_at = plan(kind.running_clocks(item), item.alerts, now, policy)
                for firing in fired:
                    sweep.fire(kind, item, firing)
        swept[f"{kind.ref}s_swept"] = len(items)
        if len(items) == BATCH:
            session.flush()
            more += session.scalar(select(func.count()).select_from(kind.model).where(kind.model.alert_at <= now)) or 0
    session.flush()
    counts = sweep.counts
    apart = {f"{kind.ref}s_{name}": counts[f"{kind.ref}s_{name}"] for kind in SWEPT if kind.counted_apart
             for name in COUNT_KEYS.values()}
    return {"reminded": counts["remind"], "overdue": counts["overdue"], "escalated": counts["escalate"],
            "callbacks_due": counts["due"], **apart, **swept, "more": more}


#: higher is further up
RANK = {"county": 0, "prefecture": 1, "province": 2}


def _raise_to(current: AgencyUnit | None, target: AgencyUnit | None) -> AgencyUnit | None:
    """The unit the item is escalated to: escalation only ever goes up (another clock may reach a lower
    level later)."""
    if target is None or (current is not None and RANK[current.level] >= RANK[target.level]):
        return current
    return target


def _say(firing: Firing, what: str, target: AgencyUnit | None) -> tuple[str, str]:
    """The timeline note and the notification title of a firing."""
    clock = clocks.CLOCK_TITLES[firing.clock]
    due = local_minute(firing.due)
    if firing.action == "remind":
        return f"{clock}时限将至（{due}）", f"【时限提醒】{what}{clock}时限 {due}"
    if firing.action == "overdue":
        return f"{clock}已超期（时限 {due}）", f"【超期】{what}{clock}已超期（时限 {due}）"
    if firing.action == "escalate":
        where = target.name if target else "上级单位"
        note = f"{clock}超期一个工作日仍未办理，已升级至{where}督办（时限 {due}）"
        return note, f"【督办升级】{what}{clock}超期，已升级至{where}"
    return f"回访到期（{due}）", f"【回访到期】{what}请于今日回访（时限 {due}）"


def _data(firing: Firing, target: AgencyUnit | None) -> dict[str, Any]:
    data: dict[str, Any] = {"clock": firing.clock, "due": iso_local(firing.due), "stage": firing.stage}
    if target is not None:
        data.update(level=firing.level, to=target.code)
    return data


class _Sweep:
    """What one run does with each firing: the timeline event, 督办 one level up, the notifications (units
    above are looked up once per run)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.counts: Counter[str] = Counter()
        self.notifier = Notifier(session, now)
        self._above: dict[int, AgencyUnit | None] = {}
        #: who answers for children's visits, looked up once per place
        self.responsible = visits.Responsible(session)

    def above(self, unit: AgencyUnit) -> AgencyUnit | None:
        if unit.id not in self._above:
            self._above[unit.id] = parent_unit(self.session, unit)
        return self._above[unit.id]

    def escalate_to(self, unit: AgencyUnit, level: int) -> AgencyUnit | None:
        target = unit
        for _ in range(level):
            up = self.above(target)
            if up is None:
                break
            target = up
        return target if target.id != unit.id else None

    def fire(self, kind: Swept, item: Any, firing: Firing) -> None:
        action = firing.action
        self.counts[f"{kind.ref}s_{COUNT_KEYS.get(action, action)}" if kind.counted_apart else action] += 1
        if kind.tell is not None:
            kind.tell(self, kind, item, firing)
            return
        assert kind.unit is not None and kind.record is not None
        unit, target = kind.unit(item), None
        if firing.action == "escalate" and unit is not None:
            target = self.escalate_to(unit, firing.level)
            item.escalated_unit = _raise_to(item.escalated_unit, target)
            item.supervision_count += 1
        note, title = _say(firing, f"{kind.noun} {item.number} ", target)
        if firing.action != "due":  # the callback clock is the desk's, not a unit's: no timeline event
            kind.record(self.session, item, firing.action, note, _data(firing, target), self.now)
        self.notify(firing, title, f"{kind.ref}:{item.number}", kind.link.format(number=item.number), unit, target)

    def notify(self, firing: Firing, title: str, ref: str, link: str, unit: AgencyUnit | None,
               target: AgencyUnit | None) -> None:
        recipients: list[tuple[str, AgencyUnit | None, Role | None]] = []
        if firing.action == "due":
            recipients.append(("desk", None, Role.OPERATOR))
        elif unit is not None:
            recipients.append(("unit", unit, None))
            if firing.action == "overdue":
                up = self.above(unit)
                recipients.append(("above", up, None) if up else ("desk", None, Role.DISPATCHER))
            elif firing.action == "escalate":
                if target is not None:
                    recipients.append(("above", target, None))
                recipients.append(("desk", None, Role.DISPATCHER))
        key = f"{firing.action}:{ref}:{firing.clock}:{firing.due.isoformat()}:{firing.stage}"
        kind = "callback_due" if firing.action == "due" else firing.action
        for who, to_unit, role in recipients:
            self.notifier.send(kind=kind, title=title, body=f"{title}。请登录系统处理。", ref=ref, link=link,
                               unit=to_unit, audience=role, dedupe_key=f"{key}:{who}")
