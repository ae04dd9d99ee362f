"""/api/v1 for the sentiment desk: batches of items from crawlers and monitoring platforms, and the
verification leads (核查线索) an agency's system works through (the same actions as the console)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import Forbidden
from hotline.scheduling.alerts import flags
from hotline.sentiment import desk, leads
from hotline.sentiment.ingest import check_batch
from hotline.sentiment.models import Lead, SentimentItem
from hotline.sentiment.pipeline import ingest_batch
from hotline.timeutil import iso_local, utcnow
from hotline.web import runtime
from hotline.web.api.body import json_body, json_value
from hotline.web.api.views import api_view

bp = Blueprint("api_sentiment", __name__, url_prefix="/api/v1")

#: who may feed items in: provincial civil affairs' integrations (a dispatcher or admin token)
INGEST_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})
EXCERPT = 200


@bp.post("/sentiment/items")
@api_view(own_transaction=True)
def post_items(actor: Actor) -> Any:
    """Up to 1,000 items; one result per item, in order: accepted, duplicate or rejected (with the reason)."""
    if actor.role not in INGEST_ROLES:
        raise Forbidden("当前角色不能提交舆情条目", code="role_not_allowed")
    request.max_content_length = runtime().settings.max_batch_bytes
    outcomes = ingest_batch(runtime(), check_batch(json_value(request)))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("accepted", "duplicate", "rejected")}
    return jsonify({**counts, "results": [o.as_dict() for o in outcomes]})


def lead_json(lead: Lead, sample: list[SentimentItem] | None = None) -> dict[str, Any]:
    """A lead as the API returns it; with ``sample`` (the event's first items) also its timeline."""
    event = lead.event
    body: dict[str, Any] = {
        "number": lead.number,
        "status": lead.status,
        "status_name": leads.STATUS_NAMES_ZH[lead.status],
        "risk": lead.risk,
        "unit": lead.unit.code,
        "opened_at": iso_local(lead.opened_at),
        "due_at": iso_local(lead.due_at),
        "overdue": leads.is_overdue(lead, utcnow()),
        "instructions": lead.instructions,
        "verdict": lead.verdict,
        "actions_taken": lead.actions_taken,
        "public_response_needed": lead.public_response_needed,
        "supervision_count": lead.supervision_count,
        "flags": flags(lead.alerts, lead.escalated_unit),
        "version": lead.version,
        "event": {"id": event.id, "title": event.title, "prefecture": event.prefecture, "county": event.county,
                  "category": event.category, "items": event.item_count},
    }
    if sample is not None:
        body["event"]["sample"] = [
            {"source": item.source, "url": item.url, "title": item.title, "excerpt": item.text[:EXCERPT],
             "published_at": iso_local(item.published_at)} for item in sample]
        body["events"] = [{"at": iso_local(e.at), "action": e.action, "title": leads.event_title(e.action),
                           "actor": e.actor, "from_status": e.from_status, "to_status": e.to_status,
                           "note": e.note, "data": e.data} for e in lead.events]
    return body


@bp.get("/leads")
@api_view(readonly=True)
def list_leads(session: Session, actor: Actor) -> Any:
    """The leads the token's unit still has to handle (agency staff), or every open lead (the province)."""
    return jsonify({"items": [lead_json(lead) for lead in leads.open_leads_for_unit(session, actor)]})


@bp.get("/leads/<number>")
@api_view(readonly=True)
def get_lead(session: Session, actor: Actor, number: str) -> Any:
    return _full(session, leads.get_lead(session, number, actor))


@bp.post("/leads/<number>/actions/<name>")
@api_view()
def lead_action(session: Session, actor: Actor, number: str, name: str) -> Any:
    payload = leads.LEAD_ACTIONS.get(name).parse(json_body(request, required=False), "json")
    return _full(session, leads.perform_lead_action(session, number, name, actor, payload,
                                                      policy=runtime().policy))


def _full(session: Session, lead: Lead) -> Any:
    return jsonify(lead_json(lead, desk.event_items(session, lead.event, limit=20)))
