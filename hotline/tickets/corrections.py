"""Label corrections: a person changed what the classifier predicted (a triage override, a re-dispatch to
another agency after 退单). They are recorded here and become training examples for
``hotline train --with-feedback``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.tickets.models import LabelCorrection, Ticket


def record_correction(
    session: Session, ticket: Ticket, actor: Actor, name: str, value: str | None, source: str, now: datetime
) -> bool:
    """Store a correction when a person's ``name`` label differs from the classifier's; True if stored."""
    suggestion = ticket.predicted or {}
    if not suggestion or suggestion.get("rules_only") or name not in suggestion:
        return False  # no model prediction to correct
    if suggestion[name] == value:
        return False
    session.add(LabelCorrection(ticket_id=ticket.id, at=now, actor=actor.label, field=name,
                                predicted=suggestion[name], corrected=value, source=source))
    return True


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
