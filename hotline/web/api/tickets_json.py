"""A ticket as the API returns it; personal data exactly as the privacy policy decided."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.accounts.privacy import PersonalData
from hotline.scheduling.alerts import flags
from hotline.tickets import lifecycle
from hotline.tickets.actions import event_title
from hotline.tickets.models import Ticket
from hotline.timeutil import iso_local


def _iso(moment: datetime | None) -> str | None:
    return iso_local(moment) if moment else None


def ticket_json(ticket: Ticket, person: PersonalData, *, with_events: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": ticket.number,
        "external_id": ticket.external_id,
        "channel": ticket.channel,
        "status": ticket.status,
        "status_name": lifecycle.STATUS_NAMES_ZH[lifecycle.TicketStatus(ticket.status)],
        "text": ticket.text,
        "personal_data_masked": person.masked,
        "caller": {"name": person.caller_name, "phone": person.caller_phone},
        "child": {"name": person.child_name, "age": ticket.child_age, "gender": ticket.child_gender},
        "address": person.address,
        "received_at": _iso(ticket.received_at),
        "triage": {
            "mode": ticket.triage_mode,
            "needs_review": ticket.needs_review,
            "confidence": ticket.confidence,
            "predicted": ticket.predicted,
        },
        "category": ticket.category,
        "kind": ticket.kind,
        "urgency": ticket.urgency,
        "prefecture": ticket.prefecture,
        "county": ticket.county,
        "lead_unit": {"code": ticket.lead_unit.code, "name": ticket.lead_unit.name} if ticket.lead_unit else None,
        "co_units": [{"code": u.code, "name": u.name} for u in ticket.co_units],
        "deadlines": {
            "sign": _iso(ticket.sign_due_at),
            "first_feedback": _iso(ticket.first_feedback_due_at),
            "resolve": _iso(ticket.resolve_due_at),
            "return": _iso(ticket.return_due_at),
            "callback": _iso(ticket.callback_due_at),
        },
        "police_notified_at": _iso(ticket.police_notified_at),
        "dispatched_at": _iso(ticket.dispatched_at),
        "signed_at": _iso(ticket.signed_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "result": ticket.result,
        "satisfaction": ticket.satisfaction,
        "extension": {"state": ticket.extension_state, "days": ticket.extension_days},
        "supervision_count": ticket.supervision_count,
        #: what the deadline sweep flagged (reminded / overdue / escalated clocks, the unit escalated to)
        "flags": flags(ticket.alerts, ticket.escalated_unit),
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "version": ticket.version,
        "allowed_actions": sorted(lifecycle.allowed_actions(ticket.status)),
    }
    if with_events:
        body["events"] = [
            {
                "at": _iso(e.at),
                "action": e.action,
                "action_name": event_title(e.action),
                "from": e.from_status,
                "to": e.to_status,
                "actor": e.actor,
                "role": e.actor_role,
                "note": e.note,
                "data": e.data,
            }
            for e in ticket.events
        ]
    return body
