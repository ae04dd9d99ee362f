"""The operator's new-ticket screen as one unit of work: record the call, apply the operator's labels
(overrides of the suggestion are corrections), record the police notification for an emergency,
then answer directly or dispatch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.errors import InputError
from hotline.taxonomy import Taxonomy
from hotline.tickets import actions
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.tickets.queries import visible_tickets
from hotline.tickets.triage import Triage
from hotline.timeutil import utcnow

HISTORY_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class CallOutcome:
    """What the operator decided: ``answer`` (直接答复) or ``dispatch``, with the labels in force."""

    decision: str
    labels: dict[str, str | None]
    answer: str | None = field(default=None, repr=False)
    article_id: str | None = None
    callback_wanted: bool = False
    unit: str | None = None
    police_notified: bool = False
    police_note: str | None = None
    merge_into: str | None = None


def take_call(
    session: Session,
    request: IntakeRequest,
    outcome: CallOutcome,
    actor: Actor,
    *,
    triage: Triage | None,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
) -> Ticket:
    if outcome.decision not in ("answer", "dispatch", "save"):
        raise InputError("请选择“直接答复”或“派单”", code="bad_decision")
    ticket, _ = intake(session, request, actor, triage=triage)
    kw = {"policy": policy, "taxonomy": taxonomy}
    labels = {k: v for k, v in outcome.labels.items() if v not in (None, "")}
    if labels.get("urgency") == "emergency":
        if not outcome.police_notified:
            raise InputError("特急事项须先通知公安机关（强制报告），并勾选“已通知公安”", code="police_not_notified")
    if outcome.police_notified:
        actions.perform_action(session, ticket.number, "notify_police", actor, {"note": outcome.police_note}, **kw)
    if outcome.merge_into:
        actions.perform_action(session, ticket.number, "merge", actor, {"into": outcome.merge_into}, **kw)
    if outcome.decision == "answer":
        payload = {**labels, "answer": outcome.answer, "callback_wanted": outcome.callback_wanted,
                   "article_id": outcome.article_id}
        return actions.perform_action(session, ticket.number, "answer", actor, payload, **kw)
    if outcome.decision == "dispatch":
        payload = {**labels, **({"unit": outcome.unit} if outcome.unit else {})}
        return actions.perform_action(session, ticket.number, "dispatch", actor, payload, **kw)
    if labels:
        return actions.perform_action(session, ticket.number, "triage", actor, labels, **kw)
    return ticket


def related_history(
    session: Session,
    actor: Actor,
    *,
    phone: str | None = None,
    child_name: str | None = None,
    county: str | None = None,
    address: str | None = None,
    exclude: str | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> list[Ticket]:
    """Tickets of the last 90 days about the same phone, the same child in the same county, or the
    same address: possible duplicates (重复件) and the history the operator should see."""
    conditions = []
    if phone and len(phone) >= 7:
        conditions.append(Ticket.caller_phone == phone)
    if child_name and county:
        conditions.append((Ticket.child_name == child_name) & (Ticket.county == county))
    if address and len(address) >= 6:
        conditions.append(Ticket.address == address)
    if not conditions:
        return []
    since = (now or utcnow()) - HISTORY_WINDOW
    stmt = visible_tickets(actor).where(or_(*conditions), Ticket.received_at >= since)
    if exclude:
        stmt = stmt.where(Ticket.number != exclude)
    return list(session.scalars(stmt.order_by(Ticket.received_at.desc()).limit(limit)))


__all__ = ["CallOutcome", "related_history", "take_call"]
