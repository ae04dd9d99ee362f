"""The operator's desk: the new-ticket screen, live triage while typing, the deadline preview."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import HotlineError, InputError
from hotline.tickets import calls
from hotline.tickets.actions import LABELS
from hotline.tickets.assist import assist_call
from hotline.tickets.triage import safe_suggest
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.api.body import json_body
from hotline.web.errors import flash_error
from hotline.web.forms import call_outcome, call_request
from hotline.web.sessions import console_view

bp = Blueprint("desk", __name__, url_prefix="/console")
DESK = (Role.OPERATOR, Role.DISPATCHER, Role.ADMIN)


@bp.get("/new")
@console_view(roles=DESK, readonly=True)
def new_call(db: Session, actor: Actor) -> Any:
    return render_template("desk/new_call.html", form={}, label_fields=LABELS)


@bp.post("/new")
@console_view(roles=DESK, own_transaction=True)
def submit_call(actor: Actor) -> Any:
    state = runtime()
    try:
        req, outcome = call_request(request.form, max_text=state.settings.max_text_length), call_outcome(request.form)
        suggestion = safe_suggest(state.triage, req.text)  # before the write transaction, never inside it
        with state.db.transaction() as db:  # a refused form leaves nothing behind
            ticket = calls.take_call(db, req, outcome, actor, suggestion=suggestion, policy=state.policy,
                                     taxonomy=state.taxonomy, cipher=state.cipher)
            number, dispatched = ticket.number, ticket.lead_unit is not None
    except HotlineError as exc:
        flash_error(exc)
        return render_template("desk/new_call.html", form=request.form, label_fields=LABELS), exc.status
    flash(f"工单 {number} 已{'派单' if dispatched else '登记'}", "ok")
    return redirect(url_for("tickets.ticket", number=number))


@bp.post("/triage")
@console_view(roles=DESK, readonly=True)
def live_triage(db: Session, actor: Actor) -> Any:
    """Suggestion, deadlines, knowledge and history while the operator types (JSON for the page's script)."""
    state = runtime()
    body = json_body(request)
    text = _text(body.get("text"))[: state.settings.max_text_length]
    return jsonify(assist_call(db, actor, text, triage=state.triage, policy=state.policy, taxonomy=state.taxonomy,
                               knowledge=state.knowledge, cipher=state.cipher, phone=_text(body.get("phone"))[:200],
                               child_name=_text(body.get("child_name"))[:200], address=_text(body.get("address"))[:200]))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@bp.get("/deadlines")
@console_view(roles=DESK, readonly=True)
def deadlines_preview(db: Session, actor: Actor) -> Any:
    policy = runtime().policy
    urgency, kind = request.args.get("urgency", ""), request.args.get("kind", "")
    if not policy.knows(urgency, kind):
        raise InputError("请先选择紧急程度和诉求类型", code="unknown_code")
    return jsonify(policy.for_dispatch(utcnow(), urgency, kind).as_contract())
