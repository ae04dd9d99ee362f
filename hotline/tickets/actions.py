"""Every action on a ticket, declared once (see ``hotline.workflow``), and the one function that performs
them: load the ticket for update, check version, role, unit and precondition, apply the lifecycle
transition, run the handler and write one timeline event per step. An action that is not allowed
raises and changes nothing. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline import taxonomy as tx
from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.directory.models import AgencyUnit
from hotline.directory.units import get_unit, route_to_unit
from hotline.errors import Conflict, Forbidden, InputError, InvalidTransition
from hotline.inputs import Boolean, Choice, DateTime, Integer, Text, TextList
from hotline.scheduling.alerts import next_alert
from hotline.taxonomy import Taxonomy
from hotline.tickets import lifecycle
from hotline.tickets.clocks import running_clocks
from hotline.tickets.corrections import record_correction
from hotline.tickets.deadlines import DeadlinePolicy, PolicyError
from hotline.tickets.events import EVENT_TITLES, add_event
from hotline.tickets.lifecycle import SATISFACTION_NAMES_ZH, STATUS_NAMES_ZH, TicketStatus, TransitionRefused
from hotline.tickets.models import Ticket
from hotline.tickets.queries import get_ticket
from hotline.timeutil import utcnow
from hotline.workflow import Action, Registry, UnitRule

R = Role
DESK = frozenset({R.OPERATOR, R.DISPATCHER, R.ADMIN})
UNIT = frozenset({R.AGENCY_STAFF})
MAX_NOTE = 5000
#: a police notification time may run this far ahead of the server clock (clock skew), no further
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class TicketContext:
    """What a handler works with: the locked ticket, the validated payload and the deadline policy."""

    session: Session
    ticket: Ticket
    actor: Actor
    payload: Mapping[str, Any]
    policy: DeadlinePolicy
    taxonomy: Taxonomy
    now: datetime
    event_data: dict[str, Any] = field(default_factory=dict)


# --- payload fields ------------------------------------------------------------------------------


def _never(_: Ticket) -> bool:
    return False  # API only: the console does not show the field


def _note(label: str, *, required: bool = False, multiline: bool = True) -> Text:
    return Text(name="note", label=label, required=required, multiline=multiline, max_length=MAX_NOTE)


def _text(name: str, label: str) -> Text:
    """A required free text (answer, reason, result)."""
    return Text(name=name, label=label, required=True, multiline=True, max_length=MAX_NOTE)


LABELS = (
    Choice(name="category", label="业务分类", choices=tx.category_names, initial=lambda t: t.category),
    Choice(name="kind", label="诉求类型", choices=tx.kind_names, initial=lambda t: t.kind),
    Choice(name="urgency", label="紧急程度", choices=tx.urgency_names, initial=lambda t: t.urgency),
    Choice(name="prefecture", label="市（州）", choices=tx.prefectures, initial=lambda t: t.prefecture),
    Choice(name="county", label="县（市、区）", choices=tx.counties, group_of=tx.prefecture_of,
           initial=lambda t: t.county),
)
LABEL_NAMES = tuple(f.name for f in LABELS)
def _police_pending(ticket: Ticket) -> bool:
    return ticket.urgency == "emergency" and ticket.police_notified_at is None


POLICE = (
    Boolean(name="police_notified", label="已通知公安机关（强制报告，特急事项必填）", show=_police_pending),
    DateTime(name="police_notified_at", label="通知公安的时间", help="缺省为提交时间", show=_police_pending),
    Text(name="police_note", label="通知情况（接警单位、接警人、警情号）", max_length=200, show=_police_pending),
)


# --- preconditions (besides the lifecycle table) ----------------------------------------------------


def _redispatch_by_dispatcher(ticket: Ticket, actor: Actor) -> None:
    if ticket.status == TicketStatus.RETURNED and actor.role is Role.OPERATOR:
        raise Forbidden("退单工单由调度员重新派单", code="role_not_allowed")


def _no_extension_yet(ticket: Ticket, actor: Actor) -> None:
    if ticket.extension_state is not None:
        raise Conflict("每张工单只能申请一次延期", code="extension_used")


def _extension_requested(ticket: Ticket, actor: Actor) -> None:
    if ticket.extension_state != "requested":
        raise Conflict("没有待审批的延期申请", code="no_extension_request")


def _police_not_yet_notified(ticket: Ticket, actor: Actor) -> None:
    if ticket.police_notified_at is not None:
        raise Conflict("已记录通知公安，无需重复", code="police_already_notified")


# --- handlers: change the ticket, return the event note ------------------------------------------------


def _apply_labels(ctx: TicketContext) -> None:
    """Label overrides from the payload; a change of what the classifier predicted is a correction."""
    tax, t, p = ctx.taxonomy, ctx.ticket, ctx.payload
    changed: dict[str, str] = {}
    for name in ("category", "kind", "urgency"):
        if p.get(name) is not None and getattr(t, name) != p[name]:
            changed[name] = p[name]
            setattr(t, name, p[name])
    if p.get("prefecture") or p.get("county"):
        pref, county = p.get("prefecture"), p.get("county")
        if county and not pref:
            pref = tax.prefecture_of(county)
        if pref is not None and not tax.is_place(pref, county):
            raise InputError(f"地区“{pref}{county or ''}”不在吉林省行政区划中", code="unknown_place")
        if (pref, county) != (t.prefecture, t.county):
            t.prefecture, t.county = pref, county
            changed["place"] = f"{pref or ''}{county or ''}"
    if t.category == "other" and t.urgency and t.urgency != "normal":
        raise InputError("“其他”类事项的紧急程度只能是一般", code="bad_urgency")
    if changed:
        t.triage_mode = "manual"
        ctx.event_data["changed"] = changed
        corrected = [name for name in ("category", "kind", "urgency", "prefecture", "county")
                     if record_correction(ctx.session, t, ctx.actor, name, getattr(t, name), "triage", ctx.now)]
        if corrected:
            ctx.event_data["corrections"] = corrected


def _triage(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    missing = [n for n in ("category", "kind", "urgency") if not getattr(t, n)]
    if missing:
        raise InputError(f"分类未完成，缺少：{', '.join(missing)}", code="missing_field", details={"fields": missing})
    t.needs_review = False
    return ctx.payload.get("note")


def _answer(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    t.result = ctx.payload["answer"]
    t.callback_wanted = bool(ctx.payload.get("callback_wanted"))
    # a wanted callback has a deadline like any other: the callback queue shows it due (回访)
    t.callback_due_at = ctx.policy.callback_due(ctx.now) if t.callback_wanted else None
    if ctx.payload.get("article_id"):
        ctx.event_data["article_id"] = ctx.payload["article_id"]
    return t.result


def _close(ctx: TicketContext) -> str | None:
    ctx.ticket.closed_at = ctx.now
    return ctx.payload.get("note")


def _police_told(ctx: TicketContext, at: datetime | None) -> datetime:
    """强制报告: record when public security was told (default: now; never in the future)."""
    at = at or ctx.now
    if at > ctx.now + CLOCK_SKEW:
        raise InputError("通知公安的时间不能晚于当前时间", code="bad_datetime", details={"field": "police_notified_at"})
    ctx.ticket.police_notified_at = at
    return at


def _co_units(ctx: TicketContext, lead: AgencyUnit) -> list[AgencyUnit]:
    t, tax = ctx.ticket, ctx.taxonomy
    codes = ctx.payload.get("co_units")
    if codes is not None:
        units = [get_unit(ctx.session, c) for c in codes]
    else:
        agencies = list(tax.categories[t.category].co) if t.category else []
        if t.urgency == "emergency" and "public_security" not in agencies:
            agencies.append("public_security")  # every emergency also goes to the police (强制报告)
        units = [route_to_unit(ctx.session, a, t.prefecture, t.county) for a in agencies]
    return [u for i, u in enumerate(units) if u.id != lead.id and u not in units[:i]]


def _dispatch(ctx: TicketContext) -> str | None:
    t, p = ctx.ticket, ctx.payload
    if not (t.category and t.kind and t.urgency):
        raise InputError("派单前须完成分类（category、kind、urgency）", code="not_triaged")
    if t.urgency == "emergency" and t.police_notified_at is None:
        # a child in danger: the police are told before anyone else is (强制报告), wherever the dispatch comes from
        if not (p.get("police_notified") or p.get("police_notified_at")):
            raise InputError("特急事项须先通知公安机关（强制报告），并记录通知时间（police_notified_at）",
                             code="police_not_notified", details={"field": "police_notified_at"})
        at = _police_told(ctx, p.get("police_notified_at"))
        add_event(ctx.session, t, "notify_police", ctx.actor, from_status=t.status, note=p.get("police_note"),
                  at=ctx.now, data={"notified_at": at.isoformat()})
    if p.get("unit"):
        lead = get_unit(ctx.session, p["unit"])
    elif t.status == TicketStatus.REOPENED and t.lead_unit is not None:
        lead = t.lead_unit  # 不满意 reopens to the same unit
    elif t.status == TicketStatus.RETURNED:
        raise InputError("退单后重新派单须指定新的承办单位（unit）", code="missing_field", details={"field": "unit"})
    else:
        lead = route_to_unit(ctx.session, ctx.taxonomy.categories[t.category].lead, t.prefecture, t.county)
    if t.status == TicketStatus.RETURNED and t.lead_unit is not None and lead.agency != t.lead_unit.agency:
        record_correction(ctx.session, t, ctx.actor, "agency", lead.agency, "redispatch", ctx.now)  # misrouted
    t.lead_unit = lead
    t.co_units = _co_units(ctx, lead)
    deadlines = ctx.policy.for_dispatch(ctx.now, t.urgency, t.kind)
    t.dispatched_at = ctx.now
    t.sign_due_at, t.first_feedback_due_at = deadlines.sign, deadlines.first_feedback
    t.resolve_due_at, t.return_due_at = deadlines.resolve, deadlines.return_by
    t.signed_at = t.first_feedback_at = t.resolved_at = None
    ctx.event_data.update(unit=lead.code, co_units=[u.code for u in t.co_units], deadlines=deadlines.as_contract())
    return p.get("note")


def _sign(ctx: TicketContext) -> str | None:
    ctx.ticket.signed_at = ctx.now
    return ctx.payload.get("note")


def _progress(ctx: TicketContext) -> str | None:
    if ctx.ticket.first_feedback_at is None:
        ctx.ticket.first_feedback_at = ctx.now
    return ctx.payload["note"]


def _return(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    if t.return_due_at is not None and ctx.now > t.return_due_at:
        raise Conflict("已超过退单时限（派单后 1 个工作日），请联系调度员", code="return_window_passed")
    ctx.event_data["unit"] = t.lead_unit.code if t.lead_unit else None
    return ctx.payload["reason"]


def _resolve(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    t.result = ctx.payload["result"]
    t.resolved_at = ctx.now
    t.callback_due_at = ctx.policy.callback_due(ctx.now)
    return t.result


def _callback(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    satisfaction = ctx.payload.get("satisfaction")
    if satisfaction is None and t.status == TicketStatus.RESOLVED:
        raise InputError("请选择满意度：satisfied（满意）/ basically_satisfied（基本满意）/ unsatisfied（不满意）",
                         code="missing_field", details={"field": "satisfaction"})
    t.satisfaction = satisfaction
    ctx.event_data["satisfaction"] = satisfaction
    if satisfaction != lifecycle.UNSATISFIED:
        t.closed_at = ctx.now
    return ctx.payload.get("note")


def _request_extension(ctx: TicketContext) -> str | None:
    if ctx.payload["days"] > ctx.policy.extension_max_days:
        raise InputError(f"延期天数须为 1-{ctx.policy.extension_max_days} 个工作日", code="bad_days",
                         details={"field": "days"})
    ctx.ticket.extension_days = ctx.payload["days"]
    ctx.ticket.extension_state = "requested"
    ctx.event_data["days"] = ctx.ticket.extension_days
    return ctx.payload["reason"]


def _approve_extension(ctx: TicketContext) -> str | None:
    t = ctx.ticket
    old = t.resolve_due_at
    try:
        t.resolve_due_at = ctx.policy.extend(old, t.extension_days or 0)
    except PolicyError as exc:
        raise InputError(str(exc), code="bad_days") from None
    ctx.event_data.update(days=t.extension_days, resolve_due_before=old.isoformat())
    t.extension_state = "approved"
    return ctx.payload.get("note")


def _refuse_extension(ctx: TicketContext) -> str | None:
    ctx.ticket.extension_state = "refused"
    return ctx.payload["reason"]


def _supervise(ctx: TicketContext) -> str | None:
    ctx.ticket.supervision_count += 1
    return ctx.payload["note"]


def _merge(ctx: TicketContext) -> str | None:
    into = ctx.payload["into"]
    if into == ctx.ticket.number:
        raise InputError("请指定要合并到的另一张工单编号（into）", code="missing_field", details={"field": "into"})
    target = get_ticket(ctx.session, into, ctx.actor)
    if target.merged_into_id is not None:
        raise Conflict(f"工单 {into} 本身已是重复件", code="merge_target_merged")
    ctx.ticket.merged_into = target
    ctx.event_data["into"] = into
    return ctx.payload.get("note")


def _notify_police(ctx: TicketContext) -> str | None:
    ctx.event_data["notified_at"] = _police_told(ctx, ctx.payload.get("police_notified_at")).isoformat()
    return ctx.payload.get("note")


def _co_input(ctx: TicketContext) -> str | None:
    ctx.event_data["unit"] = next(u.code for u in ctx.ticket.co_units if u.id == ctx.actor.unit_id)
    return ctx.payload["note"]


def _unit_may(ticket: Ticket, actor: Actor, rule: UnitRule) -> bool:
    if rule is UnitRule.CO:
        return any(u.id == actor.unit_id for u in ticket.co_units)
    return ticket.lead_unit_id == actor.unit_id


def _action(name: str, title: str, roles: frozenset[Role], handler: Any, *fields: Any,
            **kw: Any) -> Action[Ticket, TicketContext]:
    return Action(name=name, title=title, roles=roles, handler=handler, fields=fields, **kw)


TICKET_ACTIONS: Registry[Ticket, TicketContext] = Registry(
    [
        _action("triage", "分类", DESK, _triage, *LABELS, _note("备注", multiline=False),
                summary="分类或修正分类（与模型预测不同的标签记为人工修正）"),
        _action("answer", "直接答复", DESK, _answer, *LABELS, _text("answer", "答复内容"),
                Boolean(name="callback_wanted", label="需要回访"),
                Text(name="article_id", label="引用的知识条目", max_length=128, show=_never),
                summary="直接答复；不需要回访的随即归档，需要回访的进入回访队列（回访时限 2 个工作日）"),
        _action("close", "归档", DESK, _close, _note("备注", multiline=False)),
        _action("dispatch", "派单", DESK, _dispatch, *LABELS,
                Text(name="unit", label="承办单位代码（留空按分类和地区自动确定）", max_length=96,
                     placeholder="如 civil_affairs:长春市/朝阳区"),
                TextList(name="co_units", label="协办单位代码", item=Text(name="co_unit", label="协办单位代码",
                                                                           max_length=96), show=_never),
                *POLICE, _note("派单说明", multiline=False),
                precondition=_redispatch_by_dispatcher,
                summary="派单；特急工单须已通知公安（或随派单提交 police_notified_at / police_note）"),
        _action("sign", "签收", UNIT, _sign, _note("备注", multiline=False)),
        _action("progress", "反馈进展", UNIT, _progress, _note("进展情况", required=True)),
        _action("return", "退单", UNIT, _return, _text("reason", "退单理由"), summary="派单后 1 个工作日内可退单"),
        _action("resolve", "办结", UNIT, _resolve, _text("result", "办理结果")),
        _action("callback", "回访", DESK, _callback,
                Choice(name="satisfaction", label="满意度",
                       choices={**SATISFACTION_NAMES_ZH, lifecycle.UNSATISFIED: "不满意（重启工单）"}),
                _note("回访情况", multiline=False)),
        _action("request_extension", "申请延期", UNIT, _request_extension,
                Integer(name="days", label="延期工作日", required=True, minimum=1, maximum=30, code="bad_days",
                        help="不超过时限政策规定的上限（默认 5 个工作日）"),
                _text("reason", "延期理由"), precondition=_no_extension_yet),
        _action("approve_extension", "批准延期", frozenset({R.DISPATCHER, R.ADMIN}), _approve_extension,
                _note("审批意见", multiline=False), precondition=_extension_requested),
        _action("refuse_extension", "驳回延期", frozenset({R.DISPATCHER, R.ADMIN}), _refuse_extension,
                _text("reason", "驳回理由"), precondition=_extension_requested),
        _action("supervise", "督办", frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN}), _supervise,
                _note("督办意见（承办单位可见）", required=True)),
        _action("merge", "合并重复件", DESK, _merge, Text(name="into", label="原工单编号", required=True, max_length=24),
                _note("备注", multiline=False)),
        _action("notify_police", "通知公安（强制报告）", DESK, _notify_police,
                DateTime(name="police_notified_at", label="通知时间", help="缺省为提交时间"),
                _note("通知情况（接警单位、警号等）", multiline=False),
                precondition=_police_not_yet_notified, style="danger"),
        _action("co_input", "协办意见", UNIT, _co_input, _note("协办意见", required=True), unit_rule=UnitRule.CO),
    ],
    unit_check=_unit_may,
)
assert set(TICKET_ACTIONS.names()) == lifecycle.ACTIONS
#: actions that carry label overrides, applied before the action's own checks
LABELLED = frozenset({"triage", "answer", "dispatch"})


def perform_action(
    session: Session,
    number: str,
    name: str,
    actor: Actor,
    payload: Mapping[str, Any],
    *,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
    now: datetime | None = None,
) -> Ticket:
    """Run one action with a payload its spec has validated; raises HotlineError, flushes, never commits."""
    action = TICKET_ACTIONS.get(name)
    ticket = get_ticket(session, number, actor, for_update=True)
    expected = payload.get("version")
    if expected is not None and expected != ticket.version:
        raise Conflict(f"工单已被他人修改（当前版本 {ticket.version}），请刷新后重试", code="stale_version")
    TICKET_ACTIONS.authorize(action, ticket, actor)
    ctx = TicketContext(session, ticket, actor, payload, policy, taxonomy, now or utcnow())
    steps = [name]
    if ticket.status == TicketStatus.RECEIVED and name in ("dispatch", "answer"):
        steps.insert(0, "triage")  # labels given with the dispatch or answer complete the triage first
    if name == "answer" and not payload.get("callback_wanted"):
        steps.append("close")  # 直接答复 with no callback wanted is closed at once
    for step in steps:
        before = TicketStatus(ticket.status)
        current = TICKET_ACTIONS.get(step)
        try:
            target = lifecycle.next_status(before, step, satisfaction=payload.get("satisfaction"))
        except TransitionRefused:
            raise InvalidTransition(f"工单当前状态为“{STATUS_NAMES_ZH[before]}”，不能执行“{current.title}”",
                                    details={"status": before.value, "action": step}) from None
        ctx.event_data = {}
        current.require(payload)
        if step in LABELLED:
            _apply_labels(ctx)
        note = current.handler(ctx)
        ticket.status = target
        add_event(session, ticket, step, actor, from_status=before, note=note, data=ctx.event_data or None, at=ctx.now)
    ticket.alert_at = next_alert(running_clocks(ticket), ticket.alerts, policy)  # when the deadline sweep looks next
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("工单已被他人同时修改，请刷新后重试", code="concurrent_update") from None
    return ticket


def available_actions(ticket: Ticket, actor: Actor) -> list[Action[Ticket, TicketContext]]:
    """The actions this actor can take on this ticket now (the ticket page's buttons and forms)."""
    return TICKET_ACTIONS.available(lifecycle.allowed_actions(ticket.status), ticket, actor)


def event_title(name: str) -> str:
    """How a timeline row's action reads: the action's title, or the name of a non-action event (受理)."""
    return TICKET_ACTIONS.get(name).title if name in TICKET_ACTIONS else EVENT_TITLES.get(name, name)
