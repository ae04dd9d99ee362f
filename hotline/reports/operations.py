"""Operational figures for monitoring (``/metrics``): queue lengths and overdue counts across the whole
installation. Counts only — no names, numbers or places — and each rule is the domain's own: overdue
tickets and leads use their modules' SQL conditions, waiting-for-dispatch the lifecycle table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.children.models import Child, MatchReview, VisitTask
from hotline.notifications.models import WebhookDelivery
from hotline.sentiment import leads
from hotline.sentiment.models import Lead, SentimentItem
from hotline.tickets.clocks import overdue_condition
from hotline.tickets.lifecycle import TRANSITIONS
from hotline.tickets.models import Ticket

#: the statuses a ticket waits in until a dispatcher sends it to a unit (triaged, returned, reopened)
DISPATCHABLE = frozenset(status for status, action in TRANSITIONS if action == "dispatch")


def queue_lengths(session: Session) -> dict[str, int]:
    """Work waiting for a process or a person: webhook deliveries not yet delivered, sentiment items stored
    but not yet grouped (``hotline worker``), tickets waiting for dispatch."""
    def count(stmt) -> int:  # noqa: ANN001
        return int(session.scalar(stmt) or 0)

    return {
        "notifications_pending_delivery": count(select(func.count()).select_from(WebhookDelivery)
                                                .where(WebhookDelivery.status == "pending")),
        "sentiment_items_pending": count(select(func.count()).select_from(SentimentItem)
                                         .where(SentimentItem.state == "pending")),
        "tickets_waiting_dispatch": count(select(func.count()).select_from(Ticket)
                                          .where(Ticket.status.in_(sorted(DISPATCHABLE)))),
    }


def overdue_counts(session: Session, now: datetime) -> dict[str, int]:
    """Items past a deadline at ``now``: tickets (any of the unit's clocks, ``tickets.clocks``), verification
    leads (``sentiment.leads``), open home-visit tasks of active children (``children.visits.task_state``:
    due_at reached) and open match reviews (``children.reviews.is_overdue``)."""
    def count(stmt) -> int:  # noqa: ANN001
        return int(session.scalar(stmt) or 0)

    return {
        "tickets": count(select(func.count()).select_from(Ticket).where(overdue_condition(now))),
        "leads": count(select(func.count()).select_from(Lead).where(leads.overdue_condition(now))),
        "visit_tasks": count(select(func.count()).select_from(VisitTask).join(Child, Child.id == VisitTask.child_id)
                             .where(VisitTask.status == "open", Child.status == "active", VisitTask.due_at <= now)),
        "reviews": count(select(func.count()).select_from(MatchReview)
                         .where(MatchReview.status == "open", MatchReview.due_at < now)),
    }
