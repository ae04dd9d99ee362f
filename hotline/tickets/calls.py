"""The operator's new-ticket screen as one unit of work: record the call, apply the operator's labels
(overrides of the suggestion are corrections), record the police notification, merge a duplicate,
then answer directly or dispatch; and the caller's and child's recent history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.crypto import FieldCipher
from hotline.errors import InputError, NotFound
from hotline.inputs import Boolean, Choice, Spec, Text
from hotline.taxonomy import Taxonomy
from hotline.tickets import actions
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.tickets.personal import address_digests, phone_digests
from hotline.tickets.queries import visible_tickets
from hotline.tickets.triage import TriageSuggestion
from hotline.timeutil import utcnow

HISTORY_WINDOW = timedelta(days=90)
DECISIONS = {"answer": "直接答复", "dispatch": "派单", "save": "仅保存"}
#: what the operator decided on the call screen, besides the call itself (``intake_spec``)
OUTCOME_SPEC = Spec([
    Choice(name="decision", label="处理方式", choices=DECISIONS, required=True),
    *actions.LABELS,
    Text(name="answer", label="答复内容", multiline=True, max_length=actions.MAX_NOTE),
    Text(name="article_id", label="引用的知识条目", max_length=128),
    Boolean(name="callback_wanted", label="需要回访"),
    Text(name="unit", label="承办单位代码", max_length=96),
    *actions.POLICE,
    Text(name="merge_into", label="原工单编号", max_length=24),
    #: the registered child the operator linked the call to (the suggestion box's 关联)
    Text(name="child_number", label="关联的儿童档案号", max_length=24, pattern=r"[A-Za-z0-9\-]{1,24}"),
])


@dataclass(frozen=True)
class CallOutcome:
    """What ``OUTCOME_SPEC`` parsed: ``answer`` (直接答复), ``dispatch`` or ``save``, with the labels in force."""

    values: dict[str, Any] = field(repr=False)

    @property
    def decision(self) -> str:
        return self.values["decision"]

    def payload(self, *names: str) -> dict[str, Any]:
        return {n: self.values.get(n) for n in names}


def take_call(
    session: Session,
    request: IntakeRequest,
    outcome: CallOutcome,
    actor: Actor,
    *,
    suggestion: TriageSuggestion | None,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
    cipher: FieldCipher,
) -> Ticket:
    ticket, _ = intake(session, request, actor, suggestion=suggestion, cipher=cipher)
    kw = {"policy": policy, "taxonomy": taxonomy}
    v = outcome.values
    if v.get("police_notified"):
        actions.perform_action(session, ticket.number, "notify_police", actor,
                               {"police_notified_at": v.get("police_notified_at"), "note": v.get("police_note")}, **kw)
    if v.get("merge_into"):
        actions.perform_action(session, ticket.number, "merge", actor, {"into": v["merge_into"]}, **kw)
    if v.get("child_number"):
        _link_child(session, actor, v["child_number"], ticket.number)
    labels = outcome.payload(*actions.LABEL_NAMES)
    if outcome.decision == "answer":
        payload = {**labels, **outcome.payload("answer", "callback_wanted", "article_id")}
        return actions.perform_action(session, ticket.number, "answer", actor, payload, **kw)
    if outcome.decision == "dispatch":
        return actions.perform_action(session, ticket.number, "dispatch", actor, {**labels, "unit": v.get("unit")}, **kw)
    if any(labels.values()):
        return actions.perform_action(session, ticket.number, "triage", actor, labels, **kw)
    return ticket


def _link_child(session: Session, actor: Actor, child: str, ticket_number: str) -> None:
    from hotline.children.links import link  # the children package builds on tickets, not the reverse

    try:
        link(session, actor, child, ticket_number=ticket_number, now=utcnow())
    except NotFound as exc:  # a form field, not a page: the whole call is refused with the form shown again
        raise InputError(f"{exc.message}，请重新选择关联的儿童", code=exc.code,
                         details={"field": "child_number"}) from None


def related_history(
    session: Session,
    actor: Actor,
    *,
    cipher: FieldCipher,
    phone: str | None = None,
    child_name: str | None = None,
    county: str | None = None,
    address: str | None = None,
    exclude: str | None = None,
    now: datetime | None = None,
    limit: int = 10,
) -> list[Ticket]:
    """Tickets of the last 90 days about the same phone, the same child in the same county, or the
    same address: possible duplicates (重复件) and the history the operator should see. Phone and address
    match exactly (after normalisation) through their keyed digests: they are sealed at rest."""
    return _history(session, actor, phone_digests(cipher, phone), child_name, county,
                    address_digests(cipher, address), exclude=exclude, now=now, limit=limit)


def ticket_history(session: Session, actor: Actor, ticket: Ticket, *, now: datetime | None = None,
                   limit: int = 10) -> list[Ticket]:
    """``related_history`` of a recorded ticket, from its stored digests (nothing is decrypted)."""
    return _history(session, actor, [ticket.caller_phone_digest] if ticket.caller_phone_digest else [],
                    ticket.child_name, ticket.county, [ticket.address_digest] if ticket.address_digest else [],
                    exclude=ticket.number, now=now, limit=limit)


def _history(session: Session, actor: Actor, phones: list[str], child_name: str | None, county: str | None,
             addresses: list[str], *, exclude: str | None, now: datetime | None, limit: int) -> list[Ticket]:
    conditions = []
    if phones:
        conditions.append(Ticket.caller_phone_digest.in_(phones))
    if child_name and county:
        conditions.append((Ticket.child_name == child_name) & (Ticket.county == county))
    if addresses:
        conditions.append(Ticket.address_digest.in_(addresses))
    if not conditions:
        return []
    since = (now or utcnow()) - HISTORY_WINDOW
    stmt = visible_tickets(actor).where(or_(*conditions), Ticket.received_at >= since)
    if exclude:
        stmt = stmt.where(Ticket.number != exclude)
    return list(session.scalars(stmt.order_by(Ticket.received_at.desc()).limit(limit)))


__all__ = ["OUTCOME_SPEC", "CallOutcome", "related_history", "take_call", "ticket_history"]
