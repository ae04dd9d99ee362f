"""Verification leads (核查线索): provincial civil affairs hands an event to the responsible unit (the
county civil-affairs bureau, or the category's lead agency) with a deadline by risk; the unit signs,
reports what it verified (属实 / 部分属实 / 不属实) and did, and whether a public response is needed; the
province closes the lead or sends it back. The same action registry, timeline, deadlines, overdue rule
and unit isolation as tickets. Services flush, never commit.

    dispatched ─sign→ accepted ─report→ reported ─close→ closed
                                          └─send_back→ sent_back ─report→ reported
    supervise (督办): a flag, while the unit holds the lead
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.accounts.actor import Actor
from hotline.accounts.models import PLACE_ROLES, Role
from hotline.children.models import ChildLink
from hotline.children.scopes import linked_items
from hotline.directory.models import AgencyUnit
from hotline.directory.units import get_unit, route_to_unit
from hotline.errors import Conflict, InputError, InvalidTransition, NotFound
from hotline.inputs import Boolean, Choice, Spec, Text
from hotline.scheduling.alerts import SWEEP_TITLES, ClockRun, levels_above, next_alert
from hotline.sentiment.models import Lead, LeadCounter, LeadEvent, SentimentEvent
from hotline.taxonomy import Taxonomy
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.timeutil import SHANGHAI, utcnow
from hotline.workflow import Action, Registry, UnitRule

R = Role
PROVINCE_DESK = frozenset({R.DISPATCHER, R.ADMIN})
STATUS_NAMES_ZH = {"dispatched": "已下发", "accepted": "已签收", "reported": "已报告", "sent_back": "已退回补充",
                   "closed": "已办结"}
VERDICTS = {"true": "属实", "partly_true": "部分属实", "false": "不属实"}
TRANSITIONS = {
    ("dispatched", "sign"): "accepted",
    ("accepted", "report"): "reported",
    ("sent_back", "report"): "reported",
    ("reported", "close"): "closed",
    ("reported", "send_back"): "sent_back",
}
#: flag actions and the states they are allowed in
FLAGS = {"supervise": frozenset({"dispatched", "accepted", "sent_back"})}
#: while the unit holds the lead its clock runs (核查时限)
AT_UNIT = frozenset({"dispatched", "accepted", "sent_back"})
EVENT_TITLES = {"open": "下发核查线索", **SWEEP_TITLES}
MAX_NOTE = 5000
OPEN_SPEC = Spec([
    Choice(name="agency", label="承办机构", choices=lambda: {"civil_affairs": "县级民政部门", "category_lead": "该类事项的牵头部门"},
           help="缺省为事件所在县（市、区）的民政部门"),
    Text(name="unit", label="承办单位代码（填写则以此为准）", max_length=96, placeholder="如 civil_affairs:长春市/农安县"),
    Text(name="instructions", label="核查要求", multiline=True, max_length=MAX_NOTE),
])


@dataclass
class LeadContext:
    session: Session
    lead: Lead
    actor: Actor
    payload: Mapping[str, Any]
    now: datetime
    event_data: dict[str, Any] = field(default_factory=dict)


def _sign(ctx: LeadContext) -> str | None:
    ctx.lead.signed_at = ctx.now
    return ctx.payload.get("note")


def _report(ctx: LeadContext) -> str | None:
    lead, p = ctx.lead, ctx.payload
    lead.verdict, lead.actions_taken = p["verdict"], p["actions_taken"]
    lead.public_response_needed = bool(p.get("public_response_needed"))
    lead.reported_at = ctx.now
    ctx.event_data.update(verdict=lead.verdict, public_response_needed=lead.public_response_needed)
    return lead.actions_taken


def _close(ctx: LeadContext) -> str | None:
    ctx.lead.closed_at = ctx.now
    return ctx.payload.get("note")


def _send_back(ctx: LeadContext) -> str | None:
    return ctx.payload["reason"]


def _supervise(ctx: LeadContext) -> str | None:
    ctx.lead.supervision_count += 1
    return ctx.payload["note"]


def _unit_may(lead: Lead, actor: Actor, rule: UnitRule) -> bool:
    return lead.unit_id == actor.unit_id


def _note(label: str, *, required: bool = False) -> Text:
    return Text(name="note", label=label, required=required, multiline=True, max_length=MAX_NOTE)


LEAD_ACTIONS: Registry[Lead, LeadContext] = Registry(
    [
        Action(name="sign", title="签收", roles=frozenset({R.AGENCY_STAFF}), handler=_sign,
               fields=(_note("备注"),)),
        Action(name="report", title="报告核查结果", roles=frozenset({R.AGENCY_STAFF}), handler=_report,
               fields=(Choice(name="verdict", label="核查结论", choices=VERDICTS, required=True),
                       Text(name="actions_taken", label="核查情况与处置措施", required=True, multiline=True,
                            max_length=MAX_NOTE),
                       Boolean(name="public_response_needed", label="需要公开回应")),
               summary="核查结论（属实 / 部分属实 / 不属实）、处置措施、是否需要公开回应"),
        Action(name="close", title="审核办结", roles=PROVINCE_DESK, handler=_close, fields=(_note("审核意见"),)),
        Action(name="send_back", title="退回补充", roles=PROVINCE_DESK, handler=_send_back,
               fields=(Text(name="reason", label="退回理由", required=True, multiline=True, max_length=MAX_NOTE),)),
        Action(name="supervise", title="督办", roles=frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN}),
               handler=_supervise, fields=(_note("督办意见（承办单位可见）", required=True),)),
    ],
    unit_check=_unit_may,
)


def allowed_actions(status: str) -> set[str]:
    return {a for (s, a) in TRANSITIONS if s == status} | {a for a, states in FLAGS.items() if status in states}


def available_actions(lead: Lead, actor: Actor) -> list[Action[Lead, LeadContext]]:
    return LEAD_ACTIONS.available(allowed_actions(lead.status), lead, actor)


def event_title(action: str) -> str:
    return LEAD_ACTIONS.get(action).title if action in LEAD_ACTIONS else EVENT_TITLES.get(action, action)


def visible_leads(actor: Actor) -> Select[tuple[Lead]]:
    """Every lead query starts here: agency staff see their unit's leads only."""
    stmt = select(Lead)
    if actor.role is Role.AGENCY_STAFF:  # and the unit above, once the lead was escalated to it (督办)
        stmt = stmt.where(or_(Lead.unit_id == actor.unit_id, Lead.escalated_unit_id == actor.unit_id))
    elif actor.role in PLACE_ROLES:  # 儿童主任 / 督导员: the leads about their children
        stmt = stmt.where(Lead.id.in_(linked_items(actor, ChildLink.lead_id)))
    return stmt


def get_lead(session: Session, number: str, actor: Actor, *, for_update: bool = False) -> Lead:
    stmt = visible_leads(actor).where(Lead.number == number)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Lead)
    lead = session.scalar(stmt)
    if lead is None:  # the same answer whether it does not exist or belongs to another unit
        raise NotFound(f"核查线索 {number} 不存在", code="lead_not_found")
    return lead


def running_clocks(lead: Lead) -> list[ClockRun]:
    """The deadline sweep's clock on a lead: the unit's report (核查时限), called ``resolve`` on timelines."""
    if lead.status not in AT_UNIT:
        return []
    return [ClockRun("resolve", lead.opened_at, lead.due_at, levels_above(lead.unit))]


def overdue_condition(now: datetime):  # noqa: ANN201
    """SQL for "the unit's report is late"."""
    return and_(Lead.status.in_(AT_UNIT), Lead.due_at < now)


def is_overdue(lead: Lead, now: datetime) -> bool:
    return lead.status in AT_UNIT and lead.due_at < now


def _add_event(session: Session, lead: Lead, action: str, actor: Actor, *, from_status: str | None,
               note: str | None, data: dict | None, at: datetime) -> None:
    session.add(LeadEvent(lead=lead, at=at, action=action, from_status=from_status, to_status=lead.status,
                          actor=actor.label, actor_role=actor.role.value, note=note, data=data))


def _next_number(session: Session, now: datetime) -> str:
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    bump = update(LeadCounter).where(LeadCounter.day == day).values(last=LeadCounter.last + 1)
    last = session.execute(bump.returning(LeadCounter.last)).scalar()
    if last is None:
        try:
            with session.begin_nested():
                session.add(LeadCounter(day=day, last=1))
                last = 1
        except IntegrityError:  # another lead opened the day's counter at the same moment
            last = session.execute(bump.returning(LeadCounter.last)).scalar()
    return f"XS-{day}-{last:05d}"


def _may_open_as(actor: Actor) -> bool:
    return actor.role in PROVINCE_DESK or actor.kind == "system"


def _has_open_lead(event: SentimentEvent) -> bool:
    return any(lead.status != "closed" for lead in event.leads)


def can_open_lead(event: SentimentEvent, actor: Actor) -> bool:
    """Whether ACTOR may turn EVENT into a lead now (what ``open_lead`` checks; the event page's form)."""
    return _may_open_as(actor) and not _has_open_lead(event)


def target_unit(session: Session, event: SentimentEvent, taxonomy: Taxonomy, *, agency: str | None,
                unit_code: str | None) -> AgencyUnit:
    """The unit a lead goes to: a unit code given, else the event place's civil-affairs bureau (the most
    local that exists) or the lead agency of the event's category."""
    if unit_code:
        return get_unit(session, unit_code)
    code = "civil_affairs"
    if agency == "category_lead" and event.category in taxonomy.categories:
        code = taxonomy.categories[event.category].lead
    return route_to_unit(session, code, event.prefecture, event.county)


def open_lead(
    session: Session,
    event: SentimentEvent,
    actor: Actor,
    *,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
    agency: str | None = None,
    unit_code: str | None = None,
    instructions: str | None = None,
    now: datetime | None = None,
) -> Lead:
    """Turn an event into a lead (one open lead per event), due by the event's risk."""
    if not _may_open_as(actor):
        raise InputError("只有调度员可以下发核查线索", code="role_not_allowed")
    if _has_open_lead(event):
        raise Conflict("该事件已有未办结的核查线索", code="lead_already_open")
    now = now or utcnow()
    unit = target_unit(session, event, taxonomy, agency=agency, unit_code=unit_code)
    lead = Lead(number=_next_number(session, now), event=event, status="dispatched", risk=event.risk, unit=unit,
                opened_at=now, due_at=policy.lead_due(now, event.risk), opened_by=actor.label,
                instructions=instructions)
    lead.alert_at = next_alert(running_clocks(lead), None, policy)
    session.add(lead)
    _add_event(session, lead, "open", actor, from_status=None, note=instructions, at=now,
               data={"unit": unit.code, "risk": event.risk, "due": lead.due_at.isoformat()})
    session.flush()
    return lead


def perform_lead_action(
    session: Session, number: str, name: str, actor: Actor, payload: Mapping[str, Any], *, policy: DeadlinePolicy,
    now: datetime | None = None,
) -> Lead:
    """Run one action on a lead with a payload its spec validated; raises HotlineError, flushes, never commits."""
    action = LEAD_ACTIONS.get(name)
    lead = get_lead(session, number, actor, for_update=True)
    if payload.get("version") is not None and payload["version"] != lead.version:
        raise Conflict(f"线索已被他人修改（当前版本 {lead.version}），请刷新后重试", code="stale_version")
    LEAD_ACTIONS.authorize(action, lead, actor)
    before = lead.status
    target = before if before in FLAGS.get(name, ()) else TRANSITIONS.get((before, name))  # a flag keeps the state
    if target is None:
        raise InvalidTransition(f"线索当前状态为“{STATUS_NAMES_ZH[before]}”，不能执行“{action.title}”")
    action.require(payload)
    ctx = LeadContext(session, lead, actor, payload, now or utcnow())
    note = action.handler(ctx)
    lead.status = target
    lead.alert_at = next_alert(running_clocks(lead), lead.alerts, policy)
    _add_event(session, lead, name, actor, from_status=before, note=note, data=ctx.event_data or None, at=ctx.now)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("线索已被他人同时修改，请刷新后重试", code="concurrent_update") from None
    return lead


def open_leads_for_unit(session: Session, actor: Actor) -> list[Lead]:
    """A unit's leads still to handle, the most urgent first (the inbox)."""
    stmt = visible_leads(actor).where(Lead.status.in_(AT_UNIT)).order_by(Lead.due_at)
    return list(session.scalars(stmt))


#: the dashboard's overdue leads: the most overdue this many (as its overdue tickets), and the count of all
OVERDUE_LISTED = 20


def lead_figures(session: Session, actor: Actor, since: datetime, now: datetime, *,
                 until: datetime | None = None, listed: int = OVERDUE_LISTED) -> dict[str, Any]:
    """For the dashboard and bulletins: leads opened since SINCE (and before UNTIL, for a closed period such
    as a bulletin's month) by status, how many the unit reported on time and with which verdict, and the
    overdue leads (the ids of the ``listed`` most overdue, and how many there are), as plain JSON values (the
    dashboard's snapshot stores them as they are)."""
    opened = visible_leads(actor).where(Lead.opened_at >= since)
    if until is not None:
        opened = opened.where(Lead.opened_at < until)
    # one grouped read: per (status, verdict) the leads, those reported and those reported on time
    is_reported = Lead.reported_at.is_not(None)
    groups = session.execute(opened.with_only_columns(
        Lead.status, Lead.verdict, func.count(), func.sum(case((is_reported, 1), else_=0)),
        func.sum(case((and_(is_reported, Lead.reported_at <= Lead.due_at), 1), else_=0)),
    ).group_by(Lead.status, Lead.verdict)).all()
    counts: dict[str, int] = {}
    verdicts: dict[str | None, int] = {}
    reported = on_time = 0
    for status, verdict, n, n_reported, n_on_time in groups:
        counts[status] = counts.get(status, 0) + n
        verdicts[verdict] = verdicts.get(verdict, 0) + int(n_reported or 0)
        reported += int(n_reported or 0)
        on_time += int(n_on_time or 0)
    late = visible_leads(actor).where(overdue_condition(now))
    overdue = (list(session.scalars(late.with_only_columns(Lead.id).order_by(Lead.due_at).limit(listed)))
               if listed else [])
    return {"by_status": {s: counts.get(s, 0) for s in STATUS_NAMES_ZH}, "total": sum(counts.values()),
            "reported": reported, "on_time": on_time,
            "by_verdict": {v: verdicts.get(v, 0) for v in VERDICTS}, "overdue_ids": overdue,
            "overdue_count": len(overdue) if len(overdue) < listed
            else session.scalar(late.with_only_columns(func.count()))}


def still_overdue(session: Session, actor: Actor, ids: list[int], now: datetime) -> list[Lead]:
    """The leads of IDS that are overdue as of NOW, the most overdue first: a lead listed by figures taken
    earlier and reported since is left out."""
    if not ids:
        return []
    stmt = visible_leads(actor).where(Lead.id.in_(ids), overdue_condition(now)).order_by(Lead.due_at)
    return list(session.scalars(stmt))  # each with its unit (joined: Lead.unit)


def needs_lead(event: SentimentEvent) -> bool:
    """A high-risk event in a known county with no lead yet: what auto-open acts on."""
    return event.risk == "high" and event.county is not None and event.relevant and not event.leads
