"""The unit's clocks on a dispatched ticket (签收, 首次反馈, 办结) and the one rule for "overdue".

A clock runs while the ticket is in the states listed for it and is missed once its deadline has
passed. The queue filter, the red rows, the ticket page and the dashboard all ask this module, in
Python (``missed``) or in SQL (``overdue_condition``), so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from hotline.scheduling.alerts import ClockRun, levels_above
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


#: every clock the sweep follows, by name: the unit's three and the desk's callback
CLOCK_TITLES = {c.name: c.title for c in CLOCKS} | {"callback": "回访"}
#: statuses in which the desk owes the caller a callback (the callback queue, 回访)
AWAITING_CALLBACK = frozenset({S.RESOLVED, S.ANSWERED})


def running_clocks(ticket: Ticket) -> list[ClockRun]:
    """The clocks the deadline sweep follows on this ticket now: the unit's, and the desk's callback."""
    levels = levels_above(ticket.lead_unit)
    runs = []
    if ticket.dispatched_at is not None:
        for clock in CLOCKS:
            due = clock.due_at(ticket)
            if ticket.status in clock.running_in and due is not None:
                runs.append(ClockRun(clock.name, ticket.dispatched_at, due, levels))
    if ticket.status in AWAITING_CALLBACK and ticket.callback_due_at is not None:
        start = ticket.resolved_at or ticket.callback_due_at
        runs.append(ClockRun("callback", start, ticket.callback_due_at, supervised=False))
    return runs


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
