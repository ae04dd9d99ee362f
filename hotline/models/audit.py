"""Audit trail of sensitive reads (every reveal of masked personal data) and exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(96))
    actor_role: Mapped[str] = mapped_column(String(16))
    #: reveal | export | login ...
    event: Mapped[str] = mapped_column(String(32))
    #: e.g. "ticket:12345-20261129-00001"
    object_ref: Mapped[str | None] = mapped_column(String(64))
    #: never personal data: which fields were revealed, how many rows were exported
    detail: Mapped[str | None] = mapped_column(Text)
    source_ip: Mapped[str | None] = mapped_column(String(64))


class SavedView(Base):
    """A dispatcher's named queue filter (the query string of the queue page)."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(String(500))
