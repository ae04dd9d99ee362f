"""What the scheduler remembers about each job: when it last ran, for which moment, and how it went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow


class JobState(Base):
    """One row per declared job (``hotline.scheduling.jobs.JOBS``)."""

    __tablename__ = "scheduler_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: when the scheduler first saw the job: a timed job (nightly, monthly) is first due after this
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the moment the job last ran *as of* (``hotline sweep --now`` may differ from the wall clock)
    last_run_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "ok" | "error"
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: "host:pid" of the process that last ran it
    last_runner: Mapped[str | None] = mapped_column(String(64))
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
