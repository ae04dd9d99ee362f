"""Lifecycle actions on a ticket. Each checks role and unit, applies the transition table,
updates the ticket and writes one timeline event; an illegal action raises and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.directory.models import AgencyUnit
from hotline.directory.units import get_unit, route_to_unit
from hotline.errors import Conflict, Forbidden, InputError, InvalidTransition, NotFound
from hotline.taxonomy import Taxonomy
from hotline.tickets import lifecycle
from hotline.tickets.deadlines import DeadlinePolicy, PolicyError
from hotline.tickets.events import add_event
from hotline.tickets.lifecycle import TicketStatus, TransitionRefused
from hotline.tickets.models import LabelCorrection, Ticket
from hotline.tickets.queries import get_ticket
from hotline.timeutil import utcnow

R = Role
_DESK = frozenset({R.OPERATOR, R.DISPATCHER, R.ADMIN})
#: who may perform each action (the unit check for agency staff comes on top)
ACTION_ROLES: dict[str, frozenset[Role]] = {
    "triage": _DESK,
    "answer": _DESK,
    "close": _DESK,
    "dispatch": _DESK,
    "callback": _DESK,
    "merge": _DESK,
    "notify_police": _DESK,
    "sign": frozenset({R.AGENCY_STAFF}),
    "progress": frozenset({R.AGENCY_STAFF}),
    "return": frozenset({R.AGENCY_STAFF}),
    "resolve": frozenset({R.AGENCY_STAFF}),
    "request_extension": frozenset({R.AGENCY_STAFF}),
    "co_input": frozenset({R.AGENCY_STAFF}),
    "approve_extension": frozenset({R.DISPATCHER, R.ADMIN}),
    "refuse_extension": frozenset({R.DISPATCHER, R.ADMIN}),
    "supervise": frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN}),
}
MAX_NOTE = 5000


@dataclass
class ActionContext:
    session: Session
    ticket: Ticket
    actor: Actor
    payload: dict[str, Any]
    policy: DeadlinePolicy
    taxonomy: Taxonomy
    now: datetime
    event_data: dict[str, Any] = field(default_factory=dict)

    def text(self, name: str, label: str, *, required: bool = True) -> str | None:
        value = self.payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise InputError(f"请填写{label}（{name}）", code="missing_field", details={"field": name})
            return None
        if not isinstance(value, str):
            raise InputError(f"{label}（{name}）必须是文本", code="wrong_type", details={"field": name})
        if len(value) > MAX_NOTE:
            raise InputError(f"{label}不能超过 {MAX_NOTE} 字", code="too_long", details={"field": name})
        return value.strip()


def perform_action(
    session: Session,
    number: str,
    action: str,
    actor: Actor,
    payload: dict[str, Any],
    *,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
    now: datetime | None = None,
) -> Ticket:
    """Run one lifecycle action; raises HotlineError subclasses, flushes, never commits."""
    if action not in ACTION_HANDLERS:
        raise NotFound(f"未知操作“{action}”", code="unknown_action")
    ticket = get_ticket(session, number, actor, for_update=True)
    expected = payload.get("version")
    if expected is not None and expected != ticket.version:
        raise Conflict(f"工单已被他人修改（当前版本 {ticket.version}），请刷新后重试", code="stale_version")
    if actor.role not in ACTION_ROLES[action]:
        raise Forbidden(f"当前角色不能执行“{lifecycle.ACTION_NAMES_ZH[action]}”", code="role_not_allowed")
    if actor.role is Role.AGENCY_STAFF and not _unit_may(ticket, actor, action):
        raise Forbidden(
            "协办意见由协办单位填写" if action == "co_input" else "只有主办单位可以执行此操作", code="not_lead_unit"
        )
    ctx = ActionContext(session, ticket, actor, payload, policy, taxonomy, now or utcnow())
    steps = [action]
    if ticket.status == TicketStatus.RECEIVED and action in ("dispatch", "answer"):
        steps.insert(0, "triage")  # labels given with the dispatch/answer complete the triage first
    if action == "answer" and not payload.get("callback_wanted"):
        steps.append("close")  # 直接答复 with no callback wanted is closed at once
    for step in steps:
        before = TicketStatus(ticket.status)
        try:
            target = lifecycle.next_status(before, step, satisfaction=payload.get("satisfaction"))
        except TransitionRefused as exc:
            raise InvalidTransition(str(exc), details={"status": before.value, "action": step}) from None
        ctx.event_data = {}
        note = ACTION_HANDLERS[step](ctx)
        ticket.status = target
        add_event(session, ticket, step, actor, from_status=before, note=note, data=ctx.event_data or None, at=ctx.now)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("工单已被他人同时修改，请刷新后重试", code="concurrent_update") from None
    return ticket


# --- handlers: validate the payload, change the ticket, return the event note ---------------------


def _labels(ctx: ActionContext) -> None:
    """Apply label overrides from the payload (category/kind/urgency/prefecture/county)."""
    tax, t, p = ctx.taxonomy, ctx.ticket, ctx.payload
    checks = {"category": tax.categories, "kind": tax.kinds, "urgency": tax.urgency}
    changed = {}
    for name, allowed in checks.items():
        if name in p and p[name] is not None:
            if p[name] not in allowed:
                raise InputError(f"{name} 取值“{p[name]}”不在分类体系中", code="unknown_code", details={"field": name})
            if getattr(t, name) != p[name]:
                changed[name] = p[name]
                setattr(t, name, p[name])
    if "prefecture" in p or "county" in p:
        pref, county = p.get("prefecture"), p.get("county")
        if county and not pref:
            pref = tax.prefecture_of(county)
        if pref is not None and not tax.is_place(pref, county):
            raise InputError(f"地区“{pref}{county or ''}”不在吉林省行政区划中", code="unknown_place")
        t.prefecture, t.county = pref, county
        changed["place"] = f"{pref or ''}{county or ''}"
    if t.category == "other" and t.urgency and t.urgency != "normal":
        raise InputError("“其他”类事项的紧急程度只能是一般", code="bad_urgency")
    if changed:
        t.triage_mode = "manual"
        ctx.event_data["changed"] = changed
        for name in ("category", "kind", "urgency", "prefecture", "county"):
            _record_correction(ctx, name, getattr(t, name), "triage")


def _record_correction(ctx: ActionContext, name: str, value: str | None, source: str) -> None:
    """Store a correction when a person's label differs from what the classifier predicted."""
    suggestion = ctx.ticket.predicted or {}
    if not suggestion or suggestion.get("rules_only"):
        return  # no model prediction to correct
    predicted = suggestion.get(name, _NOT_PREDICTED)
    if predicted is _NOT_PREDICTED or predicted == value:
        return
    ctx.session.add(
        LabelCorrection(
            ticket_id=ctx.ticket.id,
            at=ctx.now,
            actor=ctx.actor.label,
            field=name,
            predicted=predicted,
            corrected=value,
            source=source,
        )
    )
    ctx.event_data.setdefault("corrections", []).append(name)


_NOT_PREDICTED = object()


def _triage(ctx: ActionContext) -> str | None:
    _labels(ctx)
    t = ctx.ticket
    missing = [n for n in ("category", "kind", "urgency") if not getattr(t, n)]
    if missing:
        raise InputError(f"分类未完成，缺少：{', '.join(missing)}", code="missing_field", details={"fields": missing})
    t.needs_review = False
    return ctx.text("note", "备注", required=False)


def _answer(ctx: ActionContext) -> str | None:
    ctx.ticket.result = ctx.text("answer", "答复内容")
    ctx.ticket.callback_wanted = bool(ctx.payload.get("callback_wanted", False))
    if ctx.payload.get("article_id"):
        ctx.event_data["article_id"] = str(ctx.payload["article_id"])
    return ctx.ticket.result


def _close(ctx: ActionContext) -> str | None:
    ctx.ticket.closed_at = ctx.now
    return ctx.text("note", "备注", required=False)


def _units(ctx: ActionContext, lead: AgencyUnit) -> list[AgencyUnit]:
    t, tax = ctx.ticket, ctx.taxonomy
    codes = ctx.payload.get("co_units")
    if codes is not None:
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InputError("co_units 必须是单位代码列表", code="wrong_type", details={"field": "co_units"})
        units = [get_unit(ctx.session, c) for c in codes]
    else:
        agencies = list(tax.categories[t.category].co) if t.category else []
        if t.urgency == "emergency" and "public_security" not in agencies:
            agencies.append("public_security")  # every emergency also goes to the police (强制报告)
        units = [route_to_unit(ctx.session, a, t.prefecture, t.county) for a in agencies]
    return [u for i, u in enumerate(units) if u.id != lead.id and u not in units[:i]]


def _dispatch(ctx: ActionContext) -> str | None:
    t, p = ctx.ticket, ctx.payload
    if t.status == TicketStatus.RETURNED and ctx.actor.role is Role.OPERATOR:
        raise Forbidden("退单工单由调度员重新派单", code="role_not_allowed")
    if any(k in p for k in ("category", "kind", "urgency", "prefecture", "county")):
        _labels(ctx)
    if not (t.category and t.kind and t.urgency):
        raise InputError("派单前须完成分类（category、kind、urgency）", code="not_triaged")
    if p.get("unit"):
        lead = get_unit(ctx.session, str(p["unit"]))
    elif t.status == TicketStatus.REOPENED and t.lead_unit is not None:
        lead = t.lead_unit  # 不满意 reopens to the same unit
    elif t.status == TicketStatus.RETURNED:
        raise InputError("退单后重新派单须指定新的承办单位（unit）", code="missing_field", details={"field": "unit"})
    else:
        lead = route_to_unit(ctx.session, ctx.taxonomy.categories[t.category].lead, t.prefecture, t.county)
    if t.status == TicketStatus.RETURNED and t.lead_unit is not None and lead.agency != t.lead_unit.agency:
        _record_correction(ctx, "agency", lead.agency, "redispatch")  # misrouted: the agency was wrong
    t.lead_unit = lead
    t.co_units = _units(ctx, lead)
    deadlines = ctx.policy.for_dispatch(ctx.now, t.urgency, t.kind)
    t.dispatched_at = ctx.now
    t.sign_due_at, t.first_feedback_due_at = deadlines.sign, deadlines.first_feedback
    t.resolve_due_at, t.return_due_at = deadlines.resolve, deadlines.return_by
    t.signed_at = t.first_feedback_at = t.resolved_at = None
    ctx.event_data.update(unit=lead.code, co_units=[u.code for u in t.co_units], deadlines=deadlines.as_contract())
    return ctx.text("note", "派单说明", required=False)


def _sign(ctx: ActionContext) -> str | None:
    ctx.ticket.signed_at = ctx.now
    return ctx.text("note", "备注", required=False)


def _progress(ctx: ActionContext) -> str | None:
    if ctx.ticket.first_feedback_at is None:
        ctx.ticket.first_feedback_at = ctx.now
    return ctx.text("note", "进展情况")


def _return(ctx: ActionContext) -> str | None:
    reason = ctx.text("reason", "退单理由")
    t = ctx.ticket
    if t.return_due_at is not None and ctx.now > t.return_due_at:
        raise Conflict("已超过退单时限（派单后 1 个工作日），请联系调度员", code="return_window_passed")
    ctx.event_data["unit"] = t.lead_unit.code if t.lead_unit else None
    return reason


def _resolve(ctx: ActionContext) -> str | None:
    t = ctx.ticket
    t.result = ctx.text("result", "办理结果")
    t.resolved_at = ctx.now
    t.callback_due_at = ctx.policy.callback_due(ctx.now)
    return t.result


def _callback(ctx: ActionContext) -> str | None:
    t = ctx.ticket
    satisfaction = ctx.payload.get("satisfaction")
    if satisfaction not in lifecycle.SATISFACTION_NAMES_ZH:
        if t.status == TicketStatus.RESOLVED or satisfaction is not None:
            raise InputError(
                "请选择满意度：satisfied（满意）/ basically_satisfied（基本满意）/ unsatisfied（不满意）",
                code="missing_field",
                details={"field": "satisfaction"},
            )
    t.satisfaction = satisfaction
    ctx.event_data["satisfaction"] = satisfaction
    if satisfaction != lifecycle.UNSATISFIED:
        t.closed_at = ctx.now
    return ctx.text("note", "回访情况", required=False)


def _days(ctx: ActionContext) -> int:
    days = ctx.payload.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= ctx.policy.extension_max_days:
        raise InputError(f"延期天数须为 1-{ctx.policy.extension_max_days} 个工作日", code="bad_days")
    return days


def _request_extension(ctx: ActionContext) -> str | None:
    if ctx.ticket.extension_state is not None:
        raise Conflict("每张工单只能申请一次延期", code="extension_used")
    ctx.ticket.extension_days = _days(ctx)
    ctx.ticket.extension_state = "requested"
    ctx.event_data["days"] = ctx.ticket.extension_days
    return ctx.text("reason", "延期理由")


def _decide_extension(approve: bool) -> Callable[[ActionContext], str | None]:
    def handler(ctx: ActionContext) -> str | None:
        t = ctx.ticket
        if t.extension_state != "requested":
            raise Conflict("没有待审批的延期申请", code="no_extension_request")
        if approve:
            old = t.resolve_due_at
            try:
                t.resolve_due_at = ctx.policy.extend(old, t.extension_days or 0)
            except PolicyError as exc:
                raise InputError(str(exc), code="bad_days") from None
            ctx.event_data.update(days=t.extension_days, resolve_due_before=old.isoformat())
        t.extension_state = "approved" if approve else "refused"
        return ctx.text("note" if approve else "reason", "审批意见" if approve else "驳回理由", required=not approve)

    return handler


def _supervise(ctx: ActionContext) -> str | None:
    ctx.ticket.supervision_count += 1
    return ctx.text("note", "督办意见")


def _merge(ctx: ActionContext) -> str | None:
    into = ctx.payload.get("into")
    if not isinstance(into, str) or into == ctx.ticket.number:
        raise InputError("请指定要合并到的另一张工单编号（into）", code="missing_field", details={"field": "into"})
    target = get_ticket(ctx.session, into, ctx.actor)
    if target.merged_into_id is not None:
        raise Conflict(f"工单 {into} 本身已是重复件", code="merge_target_merged")
    ctx.ticket.merged_into = target
    ctx.event_data["into"] = into
    return ctx.text("note", "备注", required=False)


def _notify_police(ctx: ActionContext) -> str | None:
    if ctx.ticket.police_notified_at is not None:
        raise Conflict("已记录通知公安，无需重复", code="police_already_notified")
    ctx.ticket.police_notified_at = ctx.now
    return ctx.text("note", "通知情况（接警单位、警号等）", required=False)


def _co_input(ctx: ActionContext) -> str | None:
    ctx.event_data["unit"] = next(u.code for u in ctx.ticket.co_units if u.id == ctx.actor.unit_id)
    return ctx.text("note", "协办意见")


ACTION_HANDLERS: dict[str, Callable[[ActionContext], str | None]] = {
    "triage": _triage,
    "answer": _answer,
    "close": _close,
    "dispatch": _dispatch,
    "sign": _sign,
    "progress": _progress,
    "return": _return,
    "resolve": _resolve,
    "callback": _callback,
    "request_extension": _request_extension,
    "approve_extension": _decide_extension(True),
    "refuse_extension": _decide_extension(False),
    "supervise": _supervise,
    "merge": _merge,
    "notify_police": _notify_police,
    "co_input": _co_input,
}
assert set(ACTION_HANDLERS) == lifecycle.ACTIONS == set(ACTION_ROLES)


def _unit_may(ticket: Ticket, actor: Actor, action: str) -> bool:
    """Lead-unit actions for the lead unit; the co-unit input for co-units only."""
    if action == "co_input":
        return any(u.id == actor.unit_id for u in ticket.co_units)
    return ticket.lead_unit_id == actor.unit_id


def buttons_for(ticket: Ticket, actor: Actor) -> list[str]:
    """The actions this actor can take on this ticket now (the ticket page's buttons)."""
    out = []
    for action in lifecycle.allowed_actions(ticket.status):
        if actor.role not in ACTION_ROLES[action]:
            continue
        if actor.role is Role.AGENCY_STAFF and not _unit_may(ticket, actor, action):
            continue
        if action == "dispatch" and ticket.status == TicketStatus.RETURNED and actor.role is Role.OPERATOR:
            continue
        if action in ("approve_extension", "refuse_extension") and ticket.extension_state != "requested":
            continue
        if action == "request_extension" and ticket.extension_state is not None:
            continue
        if action == "notify_police" and ticket.police_notified_at is not None:
            continue
        out.append(action)
    return out
