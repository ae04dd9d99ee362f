"""The sentiment desk (events, their items and leads), verification leads and feed administration."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.children import links as child_links
from hotline.errors import HotlineError
from hotline.sentiment import desk, leads
from hotline.sentiment.feeds import FEED_SPEC, feeds, register_feed, set_active
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.sessions import console_view

bp = Blueprint("sentiment", __name__, url_prefix="/console")
R = Role
DESK = (R.DISPATCHER, R.SUPERVISOR, R.ADMIN)


@bp.get("/sentiment")
@console_view(roles=DESK, readonly=True)
def events(db: Session, actor: Actor) -> Any:
    status = 200
    try:
        flt = desk.EventFilter.from_input(desk.EVENT_FILTER_SPEC.parse(request.args, source="text"))
    except HotlineError as exc:
        flash_error(exc)
        flt, status = desk.EventFilter(), exc.status
    found, total = desk.list_events(db, flt, utcnow())
    return render_template("sentiment/events.html", events=found, total=total, flt=flt, periods=desk.PERIODS), status


@bp.get("/sentiment/events/<int:event_id>")
@console_view(roles=DESK, readonly=True)
def event(db: Session, actor: Actor, event_id: int) -> Any:
    return _event_page(db, actor, desk.get_event(db, event_id))


def _event_page(db: Session, actor: Actor, found: Any, status: int = 200) -> Any:
    return render_template("sentiment/event.html", e=found, items=desk.event_items(db, found),
                           tickets=desk.related_tickets(db, actor, found),
                           open_form=leads.OPEN_SPEC if leads.can_open_lead(found, actor) else None), status


@bp.post("/sentiment/events/<int:event_id>/leads")
@console_view(roles=tuple(leads.PROVINCE_DESK))
def open_lead(db: Session, actor: Actor, event_id: int) -> Any:
    state = runtime()
    found = desk.get_event(db, event_id)
    try:
        with db.begin_nested():
            values = leads.OPEN_SPEC.parse(request.form, source="text")
            lead = leads.open_lead(db, found, actor, policy=state.policy, taxonomy=state.taxonomy,
                                   agency=values["agency"], unit_code=values["unit"],
                                   instructions=values["instructions"])
    except HotlineError as exc:
        flash_error(exc)
        return _event_page(db, actor, found, exc.status)
    return redirect(url_for("sentiment.lead", number=lead.number))


@bp.get("/leads/<number>")
@console_view(roles=(*DESK, R.AGENCY_STAFF), readonly=True)
def lead(db: Session, actor: Actor, number: str) -> Any:
    found = leads.get_lead(db, number, actor)
    return render_template("sentiment/lead.html", t=found, forms=leads.available_actions(found, actor),
                           items=desk.event_items(db, found.event, limit=20),
                           overdue=leads.is_overdue(found, utcnow()),
                           children=child_links.lead_panel(db, actor, found))


@bp.post("/leads/<number>/actions/<name>")
@console_view(roles=(*DESK, R.AGENCY_STAFF))
def lead_action(db: Session, actor: Actor, number: str, name: str) -> Any:
    try:
        with db.begin_nested():
            payload = leads.LEAD_ACTIONS.get(name).parse(request.form, "text")
            leads.perform_lead_action(db, number, name, actor, payload, policy=runtime().policy)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
    return redirect(url_for("sentiment.lead", number=number))


@bp.route("/sentiment/feeds", methods=["GET", "POST"])
@console_view(roles=(R.ADMIN,))
def feed_admin(db: Session, actor: Actor) -> Any:
    status = 200
    if request.method == "POST":
        try:
            with db.begin_nested():
                register_feed(db, FEED_SPEC.parse(request.form, source="text"))
            return redirect(url_for("sentiment.feed_admin"))
        except HotlineError as exc:
            flash_error(exc)
            status = exc.status
    return render_template("sentiment/feeds.html", feeds=feeds(db), spec=FEED_SPEC), status


@bp.post("/sentiment/feeds/<int:feed_id>/active")
@console_view(roles=(R.ADMIN,))
def feed_active(db: Session, actor: Actor, feed_id: int) -> Any:
    set_active(db, feed_id, request.form.get("active") == "true")
    return redirect(url_for("sentiment.feed_admin"))
