"""The operators', dispatchers' and agencies' console (Chinese UI). Views parse, call one service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.accounts.privacy import audit, sees_personal_data
from hotline.errors import HotlineError
from hotline.tickets import actions, calls, queries
from hotline.tickets.assist import assist_call
from hotline.tickets.lifecycle import OPEN_AT_UNIT
from hotline.tickets.models import Ticket
from hotline.timeutil import iso_local, utcnow
from hotline.web import runtime
from hotline.web.console import forms
from hotline.web.session_auth import console_view

bp = Blueprint("console", __name__, url_prefix="/console")
R = Role
DESK = (R.OPERATOR, R.DISPATCHER, R.ADMIN)
HOME = {
    R.OPERATOR: "console.new_call",
    R.DISPATCHER: "console.queue",
    R.AGENCY_STAFF: "console.inbox",
    R.SUPERVISOR: "console.dashboard",
    R.ADMIN: "console.queue",
}


@bp.get("/")
@console_view(readonly=True)
def home(db: Session, actor: Actor) -> Any:
    return redirect(url_for(HOME[actor.role]))


@bp.get("/new")
@console_view(roles=DESK, readonly=True)
def new_call(db: Session, actor: Actor) -> Any:
    return render_template("console/new_call.html", form={})


@bp.post("/new")
@console_view(roles=DESK)
def submit_call(db: Session, actor: Actor) -> Any:
    state = runtime()
    try:
        with db.begin_nested():  # a refused form must leave nothing behind
            req, outcome = forms.parse_call(request.form, max_text=state.settings.max_text_length)
            ticket = calls.take_call(db, req, outcome, actor, triage=state.triage, policy=state.policy,
                                     taxonomy=state.taxonomy)
    except HotlineError as exc:
        flash(exc.message, "error")
        return render_template("console/new_call.html", form=request.form), exc.status
    flash(f"工单 {ticket.number} 已{'派单' if ticket.lead_unit else '登记'}", "ok")
    return redirect(url_for("console.ticket", number=ticket.number))


@bp.post("/triage")
@console_view(roles=DESK, readonly=True)
def live_triage(db: Session, actor: Actor) -> Any:
    """Suggestion, deadlines and history while the operator types (JSON for the page's script)."""
    state = runtime()
    body = request.get_json(silent=True) or {}
    text = str(body.get("text") or "")[: state.settings.max_text_length]
    return jsonify(assist_call(db, actor, text, triage=state.triage, policy=state.policy, taxonomy=state.taxonomy,
                               knowledge=state.knowledge, phone=_str(body.get("phone")),
                               child_name=_str(body.get("child_name")), address=_str(body.get("address"))))


def _str(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) else None


@bp.get("/deadlines")
@console_view(roles=DESK, readonly=True)
def deadlines_preview(db: Session, actor: Actor) -> Any:
    state = runtime()
    urgency, kind = request.args.get("urgency", ""), request.args.get("kind", "")
    if not state.policy.knows(urgency, kind):
        return jsonify({"code": "unknown_code", "message": "请先选择紧急程度和诉求类型"}), 422
    return jsonify(state.policy.for_dispatch(utcnow(), urgency, kind).as_contract())


@bp.get("/tickets/<number>")
@console_view(readonly=True)
def ticket(db: Session, actor: Actor, number: str) -> Any:
    found = queries.get_ticket(db, number, actor)
    return _ticket_page(db, actor, found, unmasked=sees_personal_data(actor, found))


@bp.post("/tickets/<number>/reveal")
@console_view()
def reveal(db: Session, actor: Actor, number: str) -> Any:
    """Show masked personal data once; every reveal is audited (who, when, which ticket, from where)."""
    found = queries.get_ticket(db, number, actor)
    audit(db, actor, "reveal", f"ticket:{number}", "caller,child,address", request.remote_addr)
    return _ticket_page(db, actor, found, unmasked=True)


def _ticket_page(db: Session, actor: Actor, found: Ticket, *, unmasked: bool) -> Any:
    history = calls.related_history(db, actor, phone=found.caller_phone, child_name=found.child_name,
                                    county=found.county, address=found.address, exclude=found.number)
    buttons = actions.buttons_for(found, actor)
    return render_template("console/ticket.html", t=found, unmasked=unmasked, history=history, buttons=buttons)


@bp.post("/tickets/<number>/actions/<action>")
@console_view()
def ticket_action(db: Session, actor: Actor, number: str, action: str) -> Any:
    state = runtime()
    try:
        with db.begin_nested():
            actions.perform_action(db, number, action, actor, forms.parse_action(request.form),
                                   policy=state.policy, taxonomy=state.taxonomy)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("操作已完成", "ok")
    return redirect(url_for("console.ticket", number=number))


def _list_page(db: Session, actor: Actor, title: str, flt: queries.TicketFilter, **extra: Any) -> Any:
    items, total = queries.list_tickets(db, actor, flt)
    extra.setdefault("with_countdown", False)
    extra.setdefault("callback", False)
    extra.setdefault("filters", False)
    return render_template("console/list.html", title=title, items=items, total=total, flt=flt,
                           now=utcnow(), **extra)


@bp.get("/queue")
@console_view(roles=(R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.ADMIN), readonly=True)
def queue(db: Session, actor: Actor) -> Any:
    try:
        flt = forms.parse_queue(request.args)
    except HotlineError as exc:
        flash(exc.message, "error")
        flt = queries.TicketFilter()
    from hotline.tickets.saved_views import saved_views

    return _list_page(db, actor, "工单查询", flt, filters=True, saved=saved_views(db, actor))


@bp.post("/queue/views")
@console_view(roles=(R.DISPATCHER, R.SUPERVISOR, R.ADMIN))
def save_view(db: Session, actor: Actor) -> Any:
    from hotline.tickets.saved_views import save_view as save

    try:
        save(db, actor, request.form.get("name", ""), request.form.get("query", ""))
        flash("已保存查询视图", "ok")
    except HotlineError as exc:
        flash(exc.message, "error")
    return redirect(url_for("console.queue") + "?" + request.form.get("query", ""))


@bp.get("/inbox")
@console_view(roles=(R.AGENCY_STAFF,), readonly=True)
def inbox(db: Session, actor: Actor) -> Any:
    flt = queries.TicketFilter(statuses=tuple(OPEN_AT_UNIT), lead_only=True, order="deadline", per_page=200)
    return _list_page(db, actor, "本单位待办", flt, with_countdown=True)


@bp.get("/callbacks")
@console_view(roles=DESK, readonly=True)
def callbacks(db: Session, actor: Actor) -> Any:
    flt = queries.TicketFilter(statuses=("resolved", "answered"), order="callback", per_page=200)
    return _list_page(db, actor, "待回访", flt, with_countdown=True, callback=True)


REPORT_ROLES = (R.DISPATCHER, R.SUPERVISOR, R.ADMIN)


@bp.get("/dashboard")
@console_view(roles=REPORT_ROLES, readonly=True)
def dashboard(db: Session, actor: Actor) -> Any:
    from hotline.reports.dashboard import dashboard as figures

    days = request.args.get("days", "30")
    data = figures(db, actor, days=int(days) if days in ("7", "30", "90", "365") else 30)
    return render_template("console/dashboard.html", data=data, now=utcnow())


@bp.get("/export.<fmt>")
@console_view(roles=REPORT_ROLES)
def export(db: Session, actor: Actor, fmt: str) -> Any:
    from hotline.reports import exports

    if fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        flt = forms.parse_queue(request.args)
        rows = exports.export_rows(db, actor, flt, runtime().taxonomy, source_ip=request.remote_addr)
    except HotlineError as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.queue"))
    body = exports.to_csv(rows) if fmt == "csv" else exports.to_xlsx(rows)
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"tickets-{utcnow():%Y%m%d-%H%M}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


def nav_items(role: Role) -> list[tuple[str, str]]:
    items = {
        R.OPERATOR: [("console.new_call", "新建工单"), ("console.callbacks", "回访"), ("console.queue", "工单查询")],
        R.DISPATCHER: [("console.queue", "工单队列"), ("console.new_call", "新建工单"), ("console.callbacks", "回访"),
                       ("console.dashboard", "统计")],
        R.AGENCY_STAFF: [("console.inbox", "本单位待办")],
        R.SUPERVISOR: [("console.dashboard", "统计"), ("console.queue", "工单查询"), ("kb.review", "知识复审")],
        R.ADMIN: [("console.queue", "工单查询"), ("console.new_call", "新建工单"), ("console.dashboard", "统计"),
                  ("kb.review", "知识复审")],
    }[role]
    return [*items, ("kb.search", "知识库")]


def local_time(moment: datetime | None) -> str:
    return iso_local(moment)[:16].replace("T", " ") if moment else "—"
