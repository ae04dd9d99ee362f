"""Retention of closed tickets' personal data (PI-5): ``HOTLINE_RETENTION_DAYS`` after a ticket was closed
(归档), the daily ``purge_tickets`` job removes what identifies the caller or the child and keeps a stub
for the statistics and the bulletins: number, channel, labels, agency, dates, deadlines and satisfaction.

Removed: the caller's name and phone and the address (sealed, digest and mask), the child's name, age and
gender, the narrative (诉求内容, replaced by a fixed note), the result text, the intake hash and the notes of
the ticket's timeline (free text that may name people). Audit rows are never touched: who saw the data,
and when, stays provable after the data itself is gone.

Idempotent: a purged ticket carries ``personal_data_purged_at`` and is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts.actor import SYSTEM
from hotline.accounts.audit import record_audit
from hotline.tickets.lifecycle import TicketStatus
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.personal import clear_personal_data

if TYPE_CHECKING:
    from hotline.scheduling.jobs import JobContext

#: what a purged ticket's narrative reads
PURGED_TEXT = "（已超过保存期限，个人信息已删除）"
BATCH = 500


def purge_due(session: Session, now: datetime, retention_days: int) -> dict[str, int]:
    """Purge the personal data of every ticket closed at least ``retention_days`` before ``now``."""
    cutoff = now - timedelta(days=retention_days)
    due = (select(Ticket).where(Ticket.status == TicketStatus.CLOSED, Ticket.closed_at.is_not(None),
                                Ticket.closed_at <= cutoff, Ticket.personal_data_purged_at.is_(None))
           .order_by(Ticket.id).limit(BATCH))
    purged = 0
    while True:
        tickets = list(session.scalars(due))
        if not tickets:
            break
        for ticket in tickets:
            clear_personal_data(ticket)
            ticket.text, ticket.result, ticket.intake_sha256 = PURGED_TEXT, None, None
            ticket.personal_data_purged_at = now
        ids = [t.id for t in tickets]
        session.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).values(note=None))
        session.flush()
        purged += len(tickets)
    if purged:
        record_audit(session, SYSTEM, "retention_purge", None, f"tickets={purged} days={retention_days}", None)
        session.flush()
    return {"tickets_personal_data_purged": purged}


def purge(ctx: JobContext) -> dict[str, int]:
    """The ``purge_tickets`` job (daily 03:10)."""
    assert ctx.session is not None
    return purge_due(ctx.session, ctx.now, ctx.runtime.settings.retention_days)
