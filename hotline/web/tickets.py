"""Tickets in the console: the ticket page with its actions and the audited reveal, the queue with saved
views, the agency inbox and the callback queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.accounts.privacy import REVEAL_REASONS, REVEAL_SPEC, disclose
from hotline.children import links as child_links
from hotline.errors import HotlineError
from hotline.sentiment.leads import open_leads_for_unit
from hotline.tickets import actions, calls, queries
from hotline.tickets.lifecycle import OPEN_AT_UNIT
from hotline.tickets.models import Ticket
from hotline.tickets.saved_views import VIEW_SPEC, save_view, saved_views
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.forms import queue_filter
from hotline.web.sessions import console_view
from hotline.web.units import write_after_read

bp = Blueprint("tickets", __name__, url_prefix="/console")
R = Role
DESK = (R.OPERATOR, R.DISPATCHER, R.ADMIN)


@bp.get("/tickets/<number>")
@console_view(readonly=True)  # a full view's audit row is committed after the read (web.units)
def ticket(db: Session, actor: Actor, number: str) -> Any:
    return _ticket_page(db, actor, queries.get_ticket(db, number, actor))


@bp.post("/tickets/<number>/reveal")
@console_view()
def reveal(db: Session, actor: Actor, number: str) -> Any:
    """Show masked personal data for a reason; every reveal is audited (who, when, why, which ticket, from where)."""
    found = queries.get_ticket(db, number, actor)
    try:
        reason = REVEAL_SPEC.parse(request.form, source="text")
        return _ticket_page(db, actor, found, reveal=reason)
    except HotlineError as exc:
        flash_error(exc)
        return _ticket_page(db, actor, found), exc.status


def _ticket_page(db: Session, actor: Actor, found: Ticket, *, reveal: dict | None = None) -> Any:
    person = disclose(db, actor, found, cipher=runtime().cipher, now=utcnow(), source_ip=request.remote_addr,
                      reveal=reveal, audit_later=write_after_read)
    history = calls.ticket_history(db, actor, found)
    children = child_links.ticket_panel(db, actor, found, cipher=runtime().cipher)
    return render_template("tickets/ticket.html", t=found, person=person, history=history,
                           co_units=queries.co_unit_names(db, found), forms=actions.available_actions(found, actor),
                           reveal_reasons=REVEAL_REASONS, children=children)


@bp.post("/tickets/<number>/actions/<name>")
@console_view()
def ticket_action(db: Session, actor: Actor, number: str, name: str) -> Any:
    state = runtime()
    try:
        with db.begin_nested():  # a refused action changes nothing
            payload = actions.TICKET_ACTIONS.get(name).parse(request.form, "text")
            actions.perform_action(db, number, name, actor, payload, policy=state.policy, taxonomy=state.taxonomy)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
    else:
        flash("操作已完成", "ok")
    return redirect(url_for("tickets.ticket", number=number))


def _list_page(db: Session, actor: Actor, title: str, flt: queries.TicketFilter, *, status: int = 200,
               **extra: Any) -> Any:
    found = queries.list_tickets(db, actor, replace(flt, brief=True))
    kept = {k: v for k, v in request.args.items() if k not in ("after", "page")}  # the same filters
    if found.next_after is not None:
        extra["next_url"] = "?" + urlencode({**kept, "after": found.next_after})
    if flt.after or flt.page > 1:
        extra["first_url"] = "?" + urlencode(kept)
    extra.setdefault("with_countdown", False)
    extra.setdefault("callback", False)
    extra.setdefault("filters", False)
    page = render_template("tickets/list.html", title=title, found=found, items=found.items, flt=flt, now=utcnow(),
                           **extra)
    return page, status


@bp.get("/queue")
@console_view(roles=(R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.ADMIN), readonly=True)
def queue(db: Session, actor: Actor) -> Any:
    status = 200
    try:
        flt = queue_filter(request.args)
    except HotlineError as exc:
        flash_error(exc)
        flt, status = queries.TicketFilter(), exc.status
    return _list_page(db, actor, "工单查询", flt, status=status, filters=True, saved=saved_views(db, actor))


@bp.post("/queue/views")
@console_view(roles=(R.DISPATCHER, R.SUPERVISOR, R.ADMIN))
def save_queue_view(db: Session, actor: Actor) -> Any:
    try:
        with db.begin_nested():
            values = VIEW_SPEC.parse(request.form, source="text")
            view = save_view(db, actor, values["name"], values["query"])
    except HotlineError as exc:
        flash_error(exc)
        return _list_page(db, actor, "工单查询", queries.TicketFilter(), status=exc.status, filters=True,
                          saved=saved_views(db, actor))
    flash("已保存查询视图", "ok")
    return redirect(url_for("tickets.queue") + ("?" + view.query if view.query else ""))


@bp.get("/inbox")
@console_view(roles=(R.AGENCY_STAFF,), readonly=True)
def inbox(db: Session, actor: Actor) -> Any:
    flt = queries.TicketFilter(statuses=tuple(OPEN_AT_UNIT), lead_only=True, order="deadline", per_page=200)
    return _list_page(db, actor, "本单位待办", flt, with_countdown=True, leads=open_leads_for_unit(db, actor))


@bp.get("/callbacks")
@console_view(roles=DESK, readonly=True)
def callbacks(db: Session, actor: Actor) -> Any:
    flt = queries.TicketFilter(statuses=("resolved", "answered"), order="callback", per_page=200)
    return _list_page(db, actor, "待回访", flt, with_countdown=True, callback=True)
