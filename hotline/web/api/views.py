"""/api/v1: ticket intake and lifecycle actions for integrations (bearer tokens). Views stay thin."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.privacy import UNMASKED_ROLES
from hotline.accounts.tokens import authenticate_token
from hotline.errors import Unauthorized
from hotline.tickets import actions, intake, queries
from hotline.web import runtime
from hotline.web.api import schemas
from hotline.web.api.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def api_view(*, readonly: bool = False) -> Callable:
    """Run the view in one transaction with the authenticated actor: commit on success."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("请在 Authorization 头中提供 Bearer 访问令牌", code="missing_token")
            with runtime().db.transaction(readonly=readonly) as session:
                actor = authenticate_token(session, token.strip())
                return view(session, actor, **kwargs)

        return wrapper

    return decorate


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


@bp.post("/tickets")
@api_view()
def create_ticket(session: Session, actor: Actor) -> Any:
    state = runtime()
    req = schemas.parse_intake(schemas.json_body(request), max_text=state.settings.max_text_length)
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 128:
        raise schemas.InputError("Idempotency-Key 不能超过 128 个字符", code="too_long")
    ticket, created = intake.intake(session, req, actor, idempotency_key=key, triage=state.triage)
    return jsonify(schemas.ticket_json(ticket, masked=False)), 201 if created else 200


@bp.get("/tickets")
@api_view(readonly=True)
def list_tickets(session: Session, actor: Actor) -> Any:
    flt = schemas.parse_filter(request.args.to_dict())
    items, total = queries.list_tickets(session, actor, flt)
    return jsonify(
        {
            "items": [schemas.ticket_json(t, masked=True) for t in items],
            "total": total,
            "page": flt.page,
            "per_page": flt.per_page,
        }
    )


@bp.get("/tickets/<number>")
@api_view(readonly=True)
def get_ticket(session: Session, actor: Actor, number: str) -> Any:
    ticket = queries.get_ticket(session, number, actor)
    return jsonify(schemas.ticket_json(ticket, masked=actor.role not in UNMASKED_ROLES, with_events=True))


@bp.post("/tickets/<number>/actions/<action>")
@api_view()
def ticket_action(session: Session, actor: Actor, number: str, action: str) -> Any:
    state = runtime()
    payload = schemas.json_body(request, required=False)
    ticket = actions.perform_action(
        session, number, action, actor, payload, policy=state.policy, taxonomy=state.taxonomy
    )
    return jsonify(schemas.ticket_json(ticket, masked=actor.role not in UNMASKED_ROLES, with_events=True))
