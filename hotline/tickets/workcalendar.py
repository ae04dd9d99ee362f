"""China's working days (调休 make-up days included) in Asia/Shanghai.

Source of truth: the ``chinesecalendar`` package for the years it knows, overridden per year by
the editable holiday file; a year known to neither falls back to weekends only, with a warning.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import yaml

from classifier.yamlfile import parse_yaml
from hotline.timeutil import SHANGHAI

log = logging.getLogger(__name__)

#: days whose answer a calendar keeps (``chinese_calendar`` takes ~20 µs a day; a dispatch preview asks ~25)
_KEPT_DAYS = 4096


class CalendarError(ValueError):
    """The holiday file is unreadable or malformed."""


class WorkCalendar:
    def __init__(self, holidays_file: Path | None = None) -> None:
        self._overrides: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
        #: years for which the calendar fell back to weekends only
        self.missing_years: set[int] = set()
        self._known: dict[date, bool] = {}
        if holidays_file is not None:
            self._load(holidays_file)

    def _load(self, path: Path) -> None:
        try:
            data = parse_yaml(path.read_text(encoding="utf-8")) or {}
            for year, spec in (data.get("years") or {}).items():
                spec = spec or {}
                holidays = frozenset(_as_date(d) for d in spec.get("holidays") or ())
                workdays = frozenset(_as_date(d) for d in spec.get("workdays") or ())
                if any(d.year != int(year) for d in holidays | workdays):
                    raise CalendarError(f"{path}: a date under {year} belongs to another year")
                self._overrides[int(year)] = (holidays, workdays)
        except (OSError, yaml.YAMLError, TypeError, ValueError, AttributeError) as exc:
            raise CalendarError(f"cannot read holiday file {path}: {exc}") from exc

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            if len(self._known) >= _KEPT_DAYS:
                self._known.clear()
            known = self._known[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        if day.year in self._overrides:
            holidays, workdays = self._overrides[day.year]
            if day in workdays:
                return True
            return day not in holidays and day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.missing_years:
                self.missing_years.add(day.year)
                log.warning(
                    "work calendar has no data for %s: counting weekends only; add the year to the holiday file",
                    day.year,
                )
            return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int, workday_start: time) -> datetime:
        """The same local time ``days`` working days after ``start`` (aware datetime, any zone).

        A start on a non-working day is first moved to ``workday_start`` of the next working day.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = start.astimezone(SHANGHAI)
        if not self.is_workday(local.date()):
            local = datetime.combine(self.next_workday(local.date()), workday_start, SHANGHAI)
        day = local.date()
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, local.timetz().replace(tzinfo=None), SHANGHAI)


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
