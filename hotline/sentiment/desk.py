"""The sentiment desk's queries: events by risk, place and time; one event with its items, leads and the
tickets about the same place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from hotline import taxonomy as tx
from hotline.accounts.actor import Actor
from hotline.errors import NotFound
from hotline.inputs import Boolean, Choice, Integer, Spec
from hotline.sentiment.models import SentimentEvent, SentimentItem
from hotline.tickets.models import Ticket
from hotline.tickets.queries import visible_tickets

RISK_NAMES = {"high": "高", "medium": "中", "low": "低"}
PERIODS = {"1": "近 24 小时", "3": "近 3 天", "7": "近 7 天", "30": "近 30 天"}
EVENT_FILTER_SPEC = Spec(
    [
        Choice(name="risk", label="风险", choices=RISK_NAMES),
        Choice(name="prefecture", label="市（州）", choices=tx.prefectures),
        Choice(name="days", label="时间", choices=PERIODS),
        Boolean(name="all", label="含无关条目"),
        Integer(name="page", label="页码", minimum=1, maximum=100_000),
    ],
    code="bad_parameter",
)
_RISK_ORDER = case({"high": 0, "medium": 1, "low": 2}, value=SentimentEvent.risk, else_=3)


@dataclass(frozen=True)
class EventFilter:
    risk: str | None = None
    prefecture: str | None = None
    days: int = 7
    include_irrelevant: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_input(cls, values: dict[str, Any]) -> EventFilter:
        return cls(risk=values["risk"], prefecture=values["prefecture"], days=int(values["days"] or 7),
                   include_irrelevant=bool(values["all"]), page=values["page"] or 1)


def list_events(session: Session, flt: EventFilter, now: datetime) -> tuple[list[SentimentEvent], int]:
    """A page of events, the riskiest and most recent first."""
    stmt = select(SentimentEvent).where(SentimentEvent.last_seen >= now - timedelta(days=flt.days))
    if not flt.include_irrelevant:
        stmt = stmt.where(SentimentEvent.relevant.is_(True))
    if flt.risk:
        stmt = stmt.where(SentimentEvent.risk == flt.risk)
    if flt.prefecture:
        stmt = stmt.where(SentimentEvent.prefecture == flt.prefecture)
    total = session.scalar(stmt.with_only_columns(func.count(SentimentEvent.id)).order_by(None)) or 0
    page = session.scalars(stmt.order_by(_RISK_ORDER, SentimentEvent.last_seen.desc())
                           .limit(flt.per_page).offset((flt.page - 1) * flt.per_page)).all()
    return list(page), total


def get_event(session: Session, event_id: int) -> SentimentEvent:
    event = session.get(SentimentEvent, event_id)
    if event is None:
        raise NotFound(f"舆情事件 {event_id} 不存在", code="event_not_found")
    return event


def event_items(session: Session, event: SentimentEvent, limit: int = 200) -> list[SentimentItem]:
    """The event's first items (the story as it began), never the whole of a viral event."""
    stmt = (select(SentimentItem).where(SentimentItem.event_id == event.id)
            .order_by(SentimentItem.published_at, SentimentItem.id).limit(limit))
    return list(session.scalars(stmt))


def related_tickets(session: Session, actor: Actor, event: SentimentEvent, limit: int = 10) -> list[Ticket]:
    """Tickets about the same place around the event's time (the same category first): what the hotline
    already heard of it."""
    if not (event.county or event.prefecture):
        return []
    place = Ticket.county == event.county if event.county else Ticket.prefecture == event.prefecture
    window = (event.first_seen - timedelta(days=30), event.last_seen + timedelta(days=7))
    same_category = case((Ticket.category == event.category, 0), else_=1)
    stmt = visible_tickets(actor).where(place, Ticket.received_at.between(*window))
    if event.category:
        stmt = stmt.where(or_(Ticket.category == event.category, Ticket.urgency == "emergency"))
    return list(session.scalars(stmt.order_by(same_category, Ticket.received_at.desc()).limit(limit)))
