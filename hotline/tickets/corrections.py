"""Operators' label corrections turned into training examples for `hotline train --with-feedback`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.tickets.models import LabelCorrection, Ticket

#: labels the classifier learns from (agency and place corrections are routing, kept for review)
LEARNED_FIELDS = ("category", "kind", "urgency")


def collect_feedback(session: Session) -> list[tuple[Any, dict[str, str]]]:
    """(classifier.Item, {label: corrected value}) per corrected ticket; the latest correction wins."""
    from classifier import Item

    rows = session.execute(
        select(LabelCorrection, Ticket.number, Ticket.text)
        .join(Ticket, Ticket.id == LabelCorrection.ticket_id)
        .where(LabelCorrection.field.in_(LEARNED_FIELDS), LabelCorrection.corrected.is_not(None))
        .order_by(LabelCorrection.id)
    ).all()
    by_ticket: dict[str, tuple[str, dict[str, str]]] = {}
    for correction, number, text in rows:
        by_ticket.setdefault(number, (text, {}))[1][correction.field] = correction.corrected
    return [(Item(id=f"ticket:{number}", text=text), labels) for number, (text, labels) in by_ticket.items()]
