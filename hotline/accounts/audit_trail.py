"""Reading the audit trail (the auditor's page): filtered, newest first, page by page. Writing it is
:mod:`hotline.accounts.audit`; nobody but the auditor reads it in the console (等保 三员分立: the system
administrator can neither read nor change it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import AuditEntry
from hotline.inputs import Day, Integer, Spec, Text
from hotline.timeutil import SHANGHAI

PER_PAGE = 100
FILTER_SPEC = Spec([
    Text(name="event", label="事件", max_length=32),
    Text(name="actor", label="操作人", max_length=64),
    Text(name="object_ref", label="对象", max_length=64),
    Day(name="since", label="起始日期"),
    Day(name="until", label="截止日期"),
    Integer(name="page", label="页码", minimum=1, maximum=100_000),
], code="bad_parameter")


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    has_next: bool


def _local_midnight(day: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def audit_page(session: Session, filters: dict[str, Any]) -> AuditPage:
    """The entries matching ``filters`` (``FILTER_SPEC``): exact event, actor and object text contained, local
    calendar days inclusive; newest first."""
    stmt = select(AuditEntry)
    if filters.get("event"):
        stmt = stmt.where(AuditEntry.event == filters["event"])
    if filters.get("actor"):
        stmt = stmt.where(AuditEntry.actor.contains(filters["actor"], autoescape=True))
    if filters.get("object_ref"):
        stmt = stmt.where(AuditEntry.object_ref.contains(filters["object_ref"], autoescape=True))
    if filters.get("since"):
        stmt = stmt.where(AuditEntry.at >= _local_midnight(filters["since"]))
    if filters.get("until"):
        stmt = stmt.where(AuditEntry.at < _local_midnight(filters["until"]) + timedelta(days=1))
    page = filters.get("page") or 1
    total = session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    found = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return AuditPage(found, total, page, page * PER_PAGE < total)


def event_names(session: Session) -> list[str]:
    """The events the trail holds, for the filter's choices."""
    return list(session.scalars(select(AuditEntry.event).distinct().order_by(AuditEntry.event)))
