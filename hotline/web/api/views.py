"""/api/v1: ticket intake, queries and lifecycle actions for integrations (bearer tokens). Views parse
input, call one service and shape the answer; personal data passes through the privacy policy."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from hotline.accounts import tokens
from hotline.accounts.actor import Actor
from hotline.accounts.privacy import REVEAL_SPEC, PersonalData, disclose
from hotline.accounts.signing import SignedRequest, verify
from hotline.db import retrying
from hotline.errors import InputError, Unauthorized
from hotline.tickets import actions, intake, queries
from hotline.tickets.models import Ticket
from hotline.tickets.triage import safe_suggest
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.api.body import json_body
from hotline.web.api.openapi import openapi_document
from hotline.web.api.tickets_json import ticket_json
from hotline.web.forms import queue_filter
from hotline.web.units import unit_of_work, write_after_read

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _bearer() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请在 Authorization 头中提供 Bearer 访问令牌", code="missing_token")
    return token.strip()


def _authenticate() -> Actor:
    """The request's token checked in a short read (401: unknown, revoked, expired; a signed token's
    signature, timestamp and nonce), then — only when there is something to write: a signed request's nonce,
    ``last_used_at`` once a minute — a short write of its own, committed whatever the view then does (a
    refused or failed request still used up its nonce)."""
    token, state, now = _bearer(), runtime(), utcnow()
    with state.db.transaction(readonly=True) as session:
        check = tokens.check_token(session, token, now, state.cipher)
    signed = None
    if check.secrets:
        signed = SignedRequest.from_headers(request.headers)
        verify(check.secrets, signed, request.get_data(cache=True), now)
    if signed is not None or check.touch_due(now):
        with state.db.transaction() as session:
            tokens.record_use(session, check, now, request.remote_addr, signed.nonce if signed else None)
    return check.actor


def api_view(*, readonly: bool = False, own_transaction: bool = False) -> Callable:
    """One unit of work around the view, called as ``view(session, actor, **kwargs)``; with
    ``own_transaction`` the view, called as ``view(actor, ...)``, opens its own. The token is checked
    before either (``_authenticate``)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            actor = _authenticate()
            if own_transaction:
                return retrying(lambda: view(actor, **kwargs))

            def attempt() -> Any:
                return unit_of_work(lambda session: view(session, actor, **kwargs), readonly=readonly)

            return retrying(attempt)  # a deadlock victim runs again from the start

        return wrapper

    return decorate


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document(runtime().settings.max_text_length))


@bp.post("/tickets")
@api_view(own_transaction=True)
def create_ticket(actor: Actor) -> Any:
    state = runtime()
    req = intake.IntakeRequest.from_input(
        intake.intake_spec(state.settings.max_text_length).parse(json_body(request), source="json"))
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 128:
        raise InputError("Idempotency-Key 不能超过 128 个字符", code="too_long")
    suggestion = safe_suggest(state.triage, req.text)  # before the write transaction, never inside it
    with state.db.transaction() as session:
        ticket, created = intake.intake(session, req, actor, idempotency_key=key, suggestion=suggestion,
                                         cipher=state.cipher)
        # the answer carries no more personal data than the request did, whoever sent it
        sent = PersonalData(req.caller_name, req.caller_phone, req.child_name, req.address, masked=False)
        if created:
            return jsonify(ticket_json(ticket, sent)), 201
        return jsonify(ticket_json(ticket, sent)), 200, {"Idempotent-Replayed": "true"}


@bp.get("/tickets")
@api_view(readonly=True)
def list_tickets(session: Session, actor: Actor) -> Any:
    flt = queue_filter(request.args)
    found = queries.list_tickets(session, actor, flt)
    return jsonify({
        "items": [ticket_json(t, PersonalData.hidden(t)) for t in found.items],
        "total": found.total,
        "total_capped": found.more,
        "next_after": found.next_after,
        "page": flt.page,
        "per_page": flt.per_page,
    })


def _shown(session: Session, actor: Actor, ticket: Ticket, reveal: dict | None = None) -> Any:
    person = disclose(session, actor, ticket, cipher=runtime().cipher, now=utcnow(), source_ip=request.remote_addr,
                      reveal=reveal, audit_later=write_after_read)
    return jsonify(ticket_json(ticket, person, with_events=True))


@bp.get("/tickets/<number>")
@api_view(readonly=True)  # a full view's audit row is committed after the read (web.units)
def get_ticket(session: Session, actor: Actor, number: str) -> Any:
    return _shown(session, actor, queries.get_ticket(session, number, actor))


@bp.post("/tickets/<number>/reveal")
@api_view()
def reveal(session: Session, actor: Actor, number: str) -> Any:
    """Full personal data for a reason, audited (the console's "显示完整个人信息")."""
    reason = REVEAL_SPEC.parse(json_body(request), source="json")
    return _shown(session, actor, queries.get_ticket(session, number, actor), reveal=reason)


@bp.post("/tickets/<number>/actions/<name>")
@api_view()
def ticket_action(session: Session, actor: Actor, number: str, name: str) -> Any:
    state = runtime()
    payload = actions.TICKET_ACTIONS.get(name).parse(json_body(request, required=False), "json")
    ticket = actions.perform_action(session, number, name, actor, payload, policy=state.policy,
                                    taxonomy=state.taxonomy)
    return _shown(session, actor, ticket)
