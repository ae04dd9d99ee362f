"""Deadline policy (data file) + working-day calendar -> due datetimes. Pure: no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import yaml

from classifier.yamlfile import parse_yaml
from hotline.tickets.workcalendar import WorkCalendar
from hotline.timeutil import iso_local

_DURATION = re.compile(r"^(\d+)(m|h|wd)$")


class PolicyError(ValueError):
    """The deadline policy file is malformed."""


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # "m", "h" or "wd"

    @classmethod
    def parse(cls, raw: object) -> Duration:
        match = _DURATION.match(str(raw).strip())
        if not match:
            raise PolicyError(f"bad duration {raw!r}: use e.g. 30m, 2h, 1wd")
        return cls(int(match.group(1)), match.group(2))


@dataclass(frozen=True)
class Deadlines:
    sign: datetime
    first_feedback: datetime | None
    resolve: datetime
    return_by: datetime

    def as_contract(self) -> dict[str, str | None]:
        """The ``hotline sla`` JSON: ISO datetimes in +08:00."""
        return {
            "sign": iso_local(self.sign),
            "first_feedback": iso_local(self.first_feedback) if self.first_feedback else None,
            "resolve": iso_local(self.resolve),
        }


@dataclass(frozen=True)
class _Rule:
    sign: Duration
    first_feedback: Duration | None
    resolve: Duration


class DeadlinePolicy:
    """Loaded from ``sla_policy.yaml``; computes the deadlines of a dispatch."""

    def __init__(self, raw: dict, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        try:
            if raw.get("timezone", "Asia/Shanghai") != "Asia/Shanghai":
                raise PolicyError("only Asia/Shanghai is supported")
            self.workday_start = time.fromisoformat(str(raw.get("workday_start", "08:30")))
            self.callback = Duration.parse(raw["callback"])
            self.return_window = Duration.parse(raw["return_window"])
            self.extension_max_days = int(raw["extension_max_days"])
            self._leads = {str(risk): Duration.parse(d) for risk, d in (raw.get("leads") or {}).items()}
            urgency = raw["urgency"]
            self._rules: dict[tuple[str, str | None], _Rule] = {}
            for level, spec in urgency.items():
                if "sign" in spec:
                    self._rules[(level, None)] = _rule(spec)
                else:
                    for kind, kind_spec in spec.items():
                        self._rules[(level, kind)] = _rule(kind_spec)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if isinstance(exc, PolicyError):
                raise
            raise PolicyError(f"deadline policy is malformed: {exc}") from exc

    @classmethod
    def from_file(cls, path: Path, calendar: WorkCalendar) -> DeadlinePolicy:
        try:
            raw = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PolicyError(f"cannot read deadline policy {path}: {exc}") from exc
        return cls(raw or {}, calendar)

    def knows(self, urgency: str, kind: str) -> bool:
        return (urgency, None) in self._rules or (urgency, kind) in self._rules

    def add(self, start: datetime, duration: Duration) -> datetime:
        if duration.unit == "m":
            return start + timedelta(minutes=duration.amount)
        if duration.unit == "h":
            return start + timedelta(hours=duration.amount)
        return self.calendar.add_working_days(start, duration.amount, self.workday_start)

    def for_dispatch(self, dispatched_at: datetime, urgency: str, kind: str) -> Deadlines:
        rule = self._rules.get((urgency, None)) or self._rules.get((urgency, kind))
        if rule is None:
            raise PolicyError(f"no deadline rule for urgency={urgency!r} kind={kind!r}")
        return Deadlines(
            sign=self.add(dispatched_at, rule.sign),
            first_feedback=self.add(dispatched_at, rule.first_feedback) if rule.first_feedback else None,
            resolve=self.add(dispatched_at, rule.resolve),
            return_by=self.add(dispatched_at, self.return_window),
        )

    def lead_due(self, opened_at: datetime, risk: str) -> datetime:
        """When the unit's report on a verification lead (核查线索) of this risk is due."""
        duration = self._leads.get(risk) or self._leads.get("medium")
        if duration is None:
            raise PolicyError("deadline policy has no `leads` section")
        return self.add(opened_at, duration)

    def callback_due(self, resolved_at: datetime) -> datetime:
        return self.add(resolved_at, self.callback)

    def extend(self, resolve_due: datetime, days: int) -> datetime:
        """The resolve deadline moved by ``days`` working days (one extension, ≤ the maximum)."""
        if not 1 <= days <= self.extension_max_days:
            raise PolicyError(f"extension must be 1..{self.extension_max_days} working days")
        return self.calendar.add_working_days(resolve_due, days, self.workday_start)


def _rule(spec: dict) -> _Rule:
    feedback = spec.get("first_feedback")
    return _Rule(
        sign=Duration.parse(spec["sign"]),
        first_feedback=Duration.parse(feedback) if feedback else None,
        resolve=Duration.parse(spec["resolve"]),
    )
