"""Tickets (工单), their timeline events, per-day number counters, idempotency keys, label corrections
and dispatchers' saved queue views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.directory.models import AgencyUnit
from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow

#: intake channels and their Chinese names
CHANNELS = {
    "phone": "电话",
    "web": "网站",
    "wechat": "微信",
    "app": "移动端",
    "sms": "短信",
    "letter": "信件",
    "visit": "来访",
    "sentiment": "舆情转办",
}

ticket_co_units = Table(
    "ticket_co_units",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("agency_units.id"), primary_key=True, index=True),  # a unit's tickets
)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        #: a unit's inbox: its tickets in the open states, without reading its closed years
        Index("ix_tickets_lead_unit_id_status", "lead_unit_id", "status"),
        #: the list's filters: a status with any of the others is counted inside this index, without reading
        #: a ticket, and all four together also come out in id order
        Index("ix_tickets_filters", "status", "urgency", "prefecture", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: readable number such as 12345-20261129-00042 (day in Asia/Shanghai)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    #: the telephony platform's call id; intake is idempotent on it
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: hash of the intake request: the same external id with another body is a conflict, not a replay
    intake_sha256: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)
    # the caller's name and phone and the address are sealed (hotline.tickets.personal): ``*_sealed`` is the
    # ciphertext, ``*_digest`` the keyed hash for exact lookups (重复件, 来电历史), ``*_masked`` what lists and
    # exports show. The child's name stays plain: lookups and the register's suggestions match on it.
    caller_name_sealed: Mapped[str | None] = mapped_column(Text)
    caller_name_masked: Mapped[str | None] = mapped_column(String(64))
    caller_phone_sealed: Mapped[str | None] = mapped_column(Text)
    caller_phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    caller_phone_masked: Mapped[str | None] = mapped_column(String(32))
    child_name: Mapped[str | None] = mapped_column(String(64), index=True)
    child_age: Mapped[int | None] = mapped_column(Integer)
    child_gender: Mapped[str | None] = mapped_column(String(8))
    address_sealed: Mapped[str | None] = mapped_column(Text)
    address_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    address_masked: Mapped[str | None] = mapped_column(String(200))
    #: when the retention purge (hotline.tickets.retention) removed the personal data of this closed ticket
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # triage: what the classifier predicted, and the labels in force
    #: "auto" (classifier), "manual" (a person set the labels), "pending" (model missing: 待人工分类)
    triage_mode: Mapped[str] = mapped_column(String(16), default="pending")
    predicted: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    urgency: Mapped[str | None] = mapped_column(String(16), index=True)
    prefecture: Mapped[str | None] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(String(32))

    # dispatch
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  #: the dashboard's unit figures
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: 签收时限
    first_feedback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: 首次反馈时限
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  #: 办结时限
    return_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: 退单时限
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: 回访时限
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(Text)  #: 办理结果 / 直接答复内容
    callback_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfaction: Mapped[str | None] = mapped_column(String(16))

    # flags (events, not states)
    #: "requested" | "approved" | "refused" | None; one extension per ticket
    extension_state: Mapped[str | None] = mapped_column(String(16))
    extension_days: Mapped[int | None] = mapped_column(Integer)
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)  #: 督办 count
    police_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: 强制报告: public security told
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))  #: 重复件

    # the deadline sweep (hotline.scheduling.deadline_sweep)
    #: the next moment the sweep has something to do for this ticket (a reminder, overdue, escalation);
    #: None: nothing pending. The sweep reads ``alert_at <= now`` through its index, never the whole table.
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: what the sweep has done per clock and deadline: {"sign": {"due": iso, "done": ["remind_2_3", …]}}
    alerts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: 督办 one level up: the unit above the lead unit that sees the ticket since it was escalated
    escalated_unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"), index=True)

    #: optimistic locking: every UPDATE checks and bumps it; a stale writer gets a conflict
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}

    lead_unit: Mapped[AgencyUnit | None] = relationship(lazy="joined", foreign_keys=[lead_unit_id])
    merged_into: Mapped[Ticket | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    escalated_unit: Mapped[AgencyUnit | None] = relationship(foreign_keys=[escalated_unit_id])
    co_units: Mapped[list[AgencyUnit]] = relationship(secondary=ticket_co_units)
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    @property
    def possible_emergency(self) -> bool:
        """The triage suggestion was 疑似特急 (``TriageSuggestion.possible_emergency``) and no person has
        triaged the ticket or made it an emergency since."""
        return bool(self.needs_review and self.urgency != "emergency" and (self.predicted or {}).get("possible_emergency"))


class TicketEvent(Base):
    """One row of a ticket's timeline: who did what, when, from which state to which."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(96))  #: "user:zhangsan" or "token:telephony"
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketCounter(Base):
    """Last ticket number handed out per day (Asia/Shanghai)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD
    last: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """An API client's intake ``Idempotency-Key`` and the ticket it created; same key + other body ->
    conflict. Keys are scoped per token: two clients sending the same call id never meet."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    request_sha256: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LabelCorrection(Base):
    """A person changed what the classifier predicted (triage override, re-dispatch after 退单);
    ``hotline train --with-feedback`` learns from these rows."""

    __tablename__ = "label_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(96))
    #: category | kind | urgency | agency | prefecture | county
    field: Mapped[str] = mapped_column(String(16))
    predicted: Mapped[str | None] = mapped_column(String(32))
    corrected: Mapped[str | None] = mapped_column(String(32))
    #: "triage" (a label changed) or "redispatch" (another agency after 退单)
    source: Mapped[str] = mapped_column(String(16))


class SavedView(Base):
    """A dispatcher's named queue filter (the query string of the queue page)."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(String(500))
