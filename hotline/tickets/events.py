"""The ticket timeline: every change is one event row (who, when, from which state to which)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.scheduling.alerts import SWEEP_TITLES
from hotline.tickets.models import Ticket, TicketEvent
from hotline.timeutil import utcnow

#: timeline events that are not actions of the registry (those read as the action's title)
EVENT_TITLES = {"create": "受理", "link_child": "关联儿童档案", "unlink_child": "取消关联儿童档案", **SWEEP_TITLES}


def add_event(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    *,
    from_status: str | None,
    note: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        at=at or utcnow(),
        action=action,
        from_status=from_status,
        to_status=ticket.status,
        actor=actor.label,
        actor_role=actor.role.value,
        note=note,
        data=data,
    )
    session.add(event)
    return event
