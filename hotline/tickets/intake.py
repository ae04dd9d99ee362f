"""Ticket intake: idempotent on the external id and the Idempotency-Key, numbered per day, triaged by
the classifier when a model is loaded. Flushes, never commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.crypto import FieldCipher
from hotline.errors import Conflict, Forbidden
from hotline.inputs import Choice, DateTime, Group, Integer, Spec, Text
from hotline.tickets.events import add_event
from hotline.tickets.lifecycle import TicketStatus
from hotline.tickets.models import CHANNELS, IdempotencyKey, Ticket, TicketCounter
from hotline.tickets.personal import seal_personal_data
from hotline.tickets.triage import TriageSuggestion
from hotline.timeutil import SHANGHAI, utcnow

INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.ADMIN})
_PHONE = r"\+?[0-9][0-9\- ]{2,19}"


def intake_spec(max_text: int) -> Spec:
    """A call as the API and the console's form send it (the OpenAPI ``Intake`` schema)."""
    return Spec([
        Text(name="external_id", label="外部编号", max_length=64, help="话务平台的来电编号；相同编号重复推送返回同一工单"),
        Choice(name="channel", label="来源渠道", choices=CHANNELS, required=True),
        Text(name="text", label="诉求内容", max_length=max_text, multiline=True, required=True),
        Group(name="caller", label="来电人", spec=Spec([
            Text(name="name", label="来电人姓名", max_length=64),
            Text(name="phone", label="来电号码", max_length=20, pattern=_PHONE, code="bad_phone"),
        ])),
        Group(name="child", label="儿童", spec=Spec([
            Text(name="name", label="儿童姓名", max_length=64),
            Integer(name="age", label="儿童年龄", minimum=0, maximum=17, code="bad_age"),
            Choice(name="gender", label="儿童性别", choices={"男": "男", "女": "女"},
                   aliases={"male": "男", "female": "女"}, code="bad_gender"),
        ])),
        Text(name="address", label="地址", max_length=200),
        DateTime(name="received_at", label="受理时间", help="缺省为收到请求的时间；不带时区按北京时间"),
    ])


@dataclass(frozen=True)
class IntakeRequest:
    channel: str
    text: str = field(repr=False)
    external_id: str | None = None
    caller_name: str | None = field(default=None, repr=False)
    caller_phone: str | None = field(default=None, repr=False)
    child_name: str | None = field(default=None, repr=False)
    child_age: int | None = None
    child_gender: str | None = None
    address: str | None = field(default=None, repr=False)
    received_at: datetime | None = None

    @classmethod
    def from_input(cls, values: dict[str, Any]) -> IntakeRequest:
        """From what ``intake_spec`` parsed."""
        caller, child = values.get("caller") or {}, values.get("child") or {}
        return cls(
            channel=values["channel"],
            text=values["text"],
            external_id=values.get("external_id"),
            caller_name=caller.get("name"),
            caller_phone=caller.get("phone"),
            child_name=child.get("name"),
            child_age=child.get("age"),
            child_gender=child.get("gender"),
            address=values.get("address"),
            received_at=values.get("received_at"),
        )

    def fingerprint(self) -> str:
        """Hash of the request's content, to tell a retry from a different call reusing a key or an id."""
        payload = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def apply_suggestion(ticket: Ticket, suggestion: TriageSuggestion) -> None:
    """Store what the classifier predicted and, when it is complete, adopt it as the labels."""
    ticket.predicted = suggestion.as_record()
    ticket.confidence = suggestion.confidence
    ticket.needs_review = suggestion.needs_review
    ticket.prefecture, ticket.county = suggestion.prefecture, suggestion.county
    if suggestion.urgency == "emergency":
        ticket.urgency = "emergency"  # flagged even before a person triages it: never left waiting
    if suggestion.complete:
        ticket.category, ticket.kind, ticket.urgency = suggestion.category, suggestion.kind, suggestion.urgency
        ticket.triage_mode = "auto"
        ticket.status = TicketStatus.TRIAGED


def _key_owner(actor: Actor, key: str | None) -> int | None:
    """The API token an ``Idempotency-Key`` belongs to: keys are scoped per client, so two integrations using
    the same call id never meet. Only tokens send keys (the console and the demo loader never do)."""
    return actor.id if key and actor.kind == "token" else None


def _find_existing(session: Session, req: IntakeRequest, key: str | None, owner: int | None) -> Ticket | None:
    """The ticket this request repeats, or None. A key or external id reused for a different call is a
    conflict: answering with that ticket would hand its caller's and child's data to whoever guessed the id."""
    if key and owner is not None:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.token_id == owner, IdempotencyKey.key == key))
        if row is not None:
            if row.request_sha256 != req.fingerprint():
                raise Conflict("该 Idempotency-Key 已用于另一份不同的请求", code="idempotency_key_reused")
            return session.get(Ticket, row.ticket_id)
    if req.external_id:
        ticket = session.scalar(select(Ticket).where(Ticket.external_id == req.external_id))
        if ticket is not None and ticket.intake_sha256 not in (None, req.fingerprint()):
            raise Conflict("该外部编号（external_id）已用于另一份不同的来电", code="external_id_reused")
        return ticket
    return None


def _bump_counter(conn: Connection, day: str) -> int | None:
    bump = update(TicketCounter).where(TicketCounter.day == day).values(last=TicketCounter.last + 1)
    return conn.execute(bump.returning(TicketCounter.last)).scalar()


def _next_number(session: Session, received_at: datetime) -> str:
    """The next readable number of the day. On PostgreSQL the counter row is bumped in its own short
    transaction, so concurrent intakes do not queue on its row lock until they commit (a number
    whose ticket then fails is skipped: numbers are unique, not gapless). SQLite serialises writers
    anyway, so there — and when the session is pinned to one connection (tests) — it stays inside the
    caller's transaction."""
    day = received_at.astimezone(SHANGHAI).strftime("%Y%m%d")
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with bind.connect() as conn:
            last = _bump_counter(conn, day)
            if last is None:
                conn.execute(insert(TicketCounter).values(day=day, last=0).on_conflict_do_nothing())
                last = _bump_counter(conn, day)
            conn.commit()
    else:
        last = _bump_counter(session.connection(), day)
        if last is None:
            session.add(TicketCounter(day=day, last=1))
            session.flush()
            last = 1
    return f"12345-{day}-{last:05d}"


def intake(
    session: Session,
    req: IntakeRequest,
    actor: Actor,
    *,
    idempotency_key: str | None = None,
    suggestion: TriageSuggestion | None = None,
    cipher: FieldCipher | None = None,
) -> tuple[Ticket, bool]:
    """Record a call; returns (ticket, created). The same external id or key returns the same ticket.

    ``suggestion`` is the classifier's, computed by the caller before the write transaction began
    (``triage.safe_suggest``): classification must never hold the database's write lock.

    The caller's name and phone and the address are sealed with ``cipher`` (``tickets.personal``); a request
    carrying any of them without a cipher is a programming error."""
    if cipher is None and (req.caller_name or req.caller_phone or req.address):
        raise ValueError("intake of personal data needs the runtime's field cipher")
    if actor.role not in INTAKE_ROLES:
        raise Forbidden("当前角色不能登记工单", code="role_not_allowed")
    owner = _key_owner(actor, idempotency_key)
    existing = _find_existing(session, req, idempotency_key, owner)
    if existing is not None:
        return existing, False
    now = utcnow()
    for attempt in range(3):
        try:
            with session.begin_nested():
                return _create(session, req, actor, idempotency_key, owner, suggestion, now, cipher), True
        except IntegrityError:
            # a concurrent request with the same external id or key won the race (its transaction, holding
            # the unique entry, was waited for): return its ticket; otherwise two requests created the
            # day's counter at once, so try again
            existing = _find_existing(session, req, idempotency_key, owner)
            if existing is not None:
                return existing, False
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _create(
    session: Session,
    req: IntakeRequest,
    actor: Actor,
    key: str | None,
    owner: int | None,
    suggestion: TriageSuggestion | None,
    now: datetime,
    cipher: FieldCipher | None,
) -> Ticket:
    received_at = req.received_at or now
    ticket = Ticket(
        number=_next_number(session, received_at),
        external_id=req.external_id,
        channel=req.channel,
        status=TicketStatus.RECEIVED,
        text=req.text,
        child_name=req.child_name,
        child_age=req.child_age,
        child_gender=req.child_gender,
        received_at=received_at,
        created_at=now,
        triage_mode="pending",
        intake_sha256=req.fingerprint(),
    )
    if cipher is not None:
        seal_personal_data(ticket, cipher, caller_name=req.caller_name, caller_phone=req.caller_phone,
                           address=req.address)
    session.add(ticket)
    add_event(session, ticket, "create", actor, from_status=None, at=now, data={"channel": req.channel})
    if suggestion is not None:
        apply_suggestion(ticket, suggestion)
        if ticket.status == TicketStatus.TRIAGED:
            add_event(
                session,
                ticket,
                "triage",
                actor,
                from_status=TicketStatus.RECEIVED,
                at=now,
                note="自动分类",
                data={"mode": "auto", "confidence": suggestion.confidence},
            )
    session.flush()
    if key and owner is not None:
        session.add(IdempotencyKey(token_id=owner, key=key, request_sha256=req.fingerprint(), ticket_id=ticket.id,
                                   created_at=now))
        session.flush()
    return ticket
