"""Notifications, who has read them, units' webhooks and each delivery to a webhook (the outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.directory.models import AgencyUnit
from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow


class Notification(Base):
    """A message for the staff of one unit (``unit_id``), everyone with one role (``audience``) or one user.

    Never carries personal data: a ticket is named by its number, a lead by its number.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"), index=True)
    #: a role name (dispatcher, supervisor, operator …) when addressed to a role rather than a unit
    audience: Mapped[str | None] = mapped_column(String(16), index=True)
    #: one person (a 儿童主任 or 督导员, whose scope is places rather than a unit)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: remind | overdue | escalate | callback_due | report | …
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    #: what it is about: "ticket:12345-20261204-00001", "lead:XS-20261204-00001", "report:bulletin:2026-11"
    ref: Mapped[str | None] = mapped_column(String(64))
    #: the console path to open
    link: Mapped[str | None] = mapped_column(String(200))
    #: the same key is never notified twice (a job that runs again notifies nobody again)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    unit: Mapped[AgencyUnit | None] = relationship(lazy="joined")


class NotificationRead(Base):
    """A user has read one notification (those at or below the user's ``read_before`` are read too)."""

    __tablename__ = "notification_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                 primary_key=True)


class ReadMark(Base):
    """Per user: every notification with an id at or below ``read_before`` is read ("mark all as read")."""

    __tablename__ = "notification_read_marks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    read_before: Mapped[int] = mapped_column(Integer, default=0)


class Webhook(Base):
    """A unit's outgoing webhook (its SMS or e-mail gateway)."""

    __tablename__ = "unit_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("agency_units.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    #: the HMAC-SHA256 key the gateway verifies signatures with (shown to the admin once)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[AgencyUnit] = relationship(lazy="joined")


class WebhookDelivery(Base):
    """One notification to post to one webhook: the outbox row the delivery job works through."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("unit_webhooks.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    #: pending | delivered | failed (gave up after the last retry)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    webhook: Mapped[Webhook] = relationship(lazy="joined")
    notification: Mapped[Notification] = relationship(lazy="joined")
