"""Rate-limit counters in the database: one row per (limited thing, fixed window)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.orm import Base, UTCDateTime


class RateCounter(Base):
    __tablename__ = "rate_limit_counters"

    #: "<limit name>:<SHA-256 of the client's identity>" (never an address, username or token in clear)
    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    #: the window's start in whole seconds since the epoch (a multiple of the window's length): an
    #: arithmetic key, never shown to anyone
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    #: the row is useless after this and may be deleted
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
