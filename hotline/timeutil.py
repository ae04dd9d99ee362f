"""Time as people see it: every time shown or exchanged is Asia/Shanghai; the database stores UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_local(moment: datetime) -> str:
    """ISO 8601 in +08:00 to the second: the API's and the contracts' time format."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def local_minute(moment: datetime | None) -> str:
    """``2026-12-04 00:51`` in Beijing time, whatever the viewer's zone; an em dash for no time."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"
