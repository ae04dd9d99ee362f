"""The unit's clocks on a dispatched ticket (签收, 首次反馈, 办结) and the one rule for "overdue".

A clock runs while the ticket is in the states listed for it and is missed once its deadline has
passed. The queue filter, the red rows, the ticket page and the dashboard all ask this module, in
Python (``missed``) or in SQL (``overdue_condition``), so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from hotline.tickets.lifecycle import OPEN_AT_UNIT, TicketStatus
from hotline.tickets.models import Ticket

S = TicketStatus


@dataclass(frozen=True)
class Clock:
    #: the name timelines and the scheduler use: sign, first_feedback, resolve
    name: str
    title: str
    #: the Ticket attribute holding the deadline
    due: str
    running_in: frozenset[TicketStatus]

    def due_at(self, ticket: Ticket) -> datetime | None:
        return getattr(ticket, self.due)


CLOCKS: tuple[Clock, ...] = (
    Clock("sign", "签收", "sign_due_at", frozenset({S.DISPATCHED})),
    # progress (反馈进展) moves the ticket to in_progress and records the first feedback
    Clock("first_feedback", "首次反馈", "first_feedback_due_at", frozenset({S.DISPATCHED, S.ACCEPTED})),
    Clock("resolve", "办结", "resolve_due_at", OPEN_AT_UNIT),
)


def missed(ticket: Ticket, now: datetime) -> list[Clock]:
    """The clocks this ticket has run out of at ``now`` (empty: not overdue)."""
    out = []
    for clock in CLOCKS:
        due = clock.due_at(ticket)
        if ticket.status in clock.running_in and due is not None and due < now:
            out.append(clock)
    return out


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return bool(missed(ticket, now))


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL for :func:`is_overdue`."""
    return or_(*(and_(Ticket.status.in_(c.running_in), getattr(Ticket, c.due) < now) for c in CLOCKS))
