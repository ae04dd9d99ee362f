"""Reports the scheduler publishes: the monthly bulletin (调度通报), the annual progress report, and the
dashboard's figures kept ready."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow


class PublishedReport(Base):
    __tablename__ = "published_reports"
    __table_args__ = (UniqueConstraint("kind", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "bulletin" (monthly 调度通报) | "annual" (年度进展报告, plan 五(二))
    kind: Mapped[str] = mapped_column(String(16))
    #: "2026-11" for a bulletin, "2026" for an annual report
    period: Mapped[str] = mapped_column(String(16))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the figures, as computed when published (the console and the XLSX render from them)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class DashboardSnapshot(Base):
    """The province-wide dashboard figures of one period, as the scheduler last computed them: a supervisor's
    dashboard reads this row instead of grouping a month (or a year) of tickets on every request."""

    __tablename__ = "dashboard_snapshots"

    #: the period: the last 7, 30, 90 or 365 days
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
