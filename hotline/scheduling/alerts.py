"""When the deadline sweep acts on one clock, as a pure function of the clock, what was already done and
the time (no database): reminders at 2/3 of the time and 2 hours before the deadline (or at the moments
the clock names: a home visit is reminded three days before), ``overdue`` at the deadline, and one
escalation (督办升级) per further working day while a level above exists.

What was done is remembered per clock *and deadline* (``{"due": iso, "done": [stage, …]}``): a new
deadline (re-dispatch, an approved extension) starts a fresh record, and a stage once done is never
done again, so a sweep repeated for the same moment, or after a restart, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hotline.tickets.deadlines import DeadlinePolicy

REMIND_SHARE = 2 / 3
REMIND_BEFORE = timedelta(hours=2)
#: the default reminders (a clock may name its own: ``ClockRun.reminders``)
REMINDERS = ("remind_2_3", "remind_2h")
OVERDUE = "overdue"
DUE = "due"  # a clock with no reminders or escalation (the callback clock): one stage at the deadline
#: how many levels up an item may be escalated, by the level of the unit that holds it
LEVELS_ABOVE = {"county": 2, "prefecture": 1, "province": 0}
#: how the sweep's timeline events and notifications read (tickets, leads, the notification list)
SWEEP_TITLES = {"remind": "时限提醒", "overdue": "超期", "escalate": "督办升级"}


@dataclass(frozen=True)
class ClockRun:
    """One running clock of a ticket or lead, as the sweep sees it."""

    name: str  # sign | first_feedback | resolve | callback
    start: datetime
    due: datetime
    #: how many levels the item may still be escalated (county unit: 2, prefecture: 1, province: 0)
    levels_above: int = 0
    #: False: only a ``due`` stage (the callback clock)
    supervised: bool = True
    #: reminders of the clock's own, as (stage, how long before the deadline), in place of the 2/3 and
    #: 2-hour ones; each stage name starts with ``remind_`` (a home visit: ``("remind_3d", …)``)
    reminders: tuple[tuple[str, timedelta], ...] = ()


@dataclass(frozen=True)
class Firing:
    clock: str
    #: remind | overdue | escalate | due
    action: str
    stage: str
    due: datetime
    #: the escalation level reached (1: one level up, 2: two levels up)
    level: int = 0


def levels_above(unit: Any) -> int:
    """How far an item held by ``unit`` (an AgencyUnit, or None) may be escalated."""
    return LEVELS_ABOVE.get(unit.level, 0) if unit is not None else 0


def is_reminder(stage: str) -> bool:
    return stage.startswith("remind_")


def _up_to_due(run: ClockRun) -> list[tuple[str, datetime]]:
    """The stages until the deadline (reminders, then overdue or due): no calendar needed."""
    if not run.supervised:
        return [(DUE, run.due)]
    out: list[tuple[str, datetime]] = []
    if run.reminders:
        for name, ahead in run.reminders:
            if run.due - ahead > run.start:  # a reminder that would come before the clock started is skipped
                out.append((name, run.due - ahead))
    else:
        span = run.due - run.start
        share = run.start + span * REMIND_SHARE
        if share > run.start:
            out.append(("remind_2_3", share))
        before = run.due - REMIND_BEFORE
        if before > run.start and before != share:
            out.append(("remind_2h", before))
    out.append((OVERDUE, run.due))
    return out


def first_moment(run: ClockRun) -> datetime:
    """When a fresh clock first needs the sweep (its first reminder, or its deadline)."""
    return min(at for _, at in _up_to_due(run))


def stages(run: ClockRun, policy: DeadlinePolicy) -> list[tuple[str, datetime]]:
    """Every stage of the clock and its moment, in time order."""
    out = _up_to_due(run)
    if not run.supervised:
        return out
    moment = run.due
    for level in range(1, run.levels_above + 1):
        # still overdue after one more working day (调休 and holidays as for the deadlines themselves)
        moment = policy.calendar.add_working_days(moment, 1, policy.workday_start)
        out.append((f"escalate_{level}", moment))
    return sorted(out, key=lambda s: s[1])


def record(memory: Mapping[str, Any] | None, clock: str, due: datetime) -> dict[str, Any]:
    """The clock's record for this deadline (a fresh one when the deadline changed)."""
    current = (memory or {}).get(clock)
    if current and current.get("due") == due.isoformat():
        return {"due": current["due"], "done": list(current.get("done", []))}
    return {"due": due.isoformat(), "done": []}


def advance(run: ClockRun, done: list[str], now: datetime, policy: DeadlinePolicy) -> tuple[list[Firing], list[str], datetime | None]:
    """What to fire at ``now``, the stages done afterwards, and the moment of the next stage (or None).

    Stages the sweep reaches late collapse: reminders whose moment passed only fire while the deadline is
    still ahead, and only the latest of them; of several escalations due at once, only the highest fires.
    """
    plan = stages(run, policy)
    passed = [(s, at) for s, at in plan if at <= now and s not in done]
    fired: list[Firing] = []
    reminders = [s for s, _ in passed if is_reminder(s)]
    if reminders and now < run.due:
        fired.append(Firing(run.name, "remind", reminders[-1], run.due))
    if any(s == OVERDUE for s, _ in passed):
        fired.append(Firing(run.name, "overdue", OVERDUE, run.due))
    if any(s == DUE for s, _ in passed):
        fired.append(Firing(run.name, "due", DUE, run.due))
    escalations = [s for s, _ in passed if s.startswith("escalate_")]
    if escalations:
        fired.append(Firing(run.name, "escalate", escalations[-1], run.due, level=int(escalations[-1].split("_")[1])))
    done = done + [s for s, _ in passed]
    upcoming = [at for s, at in plan if s not in done]
    return fired, done, min(upcoming) if upcoming else None


def plan(runs: Iterable[ClockRun], memory: Mapping[str, Any] | None, now: datetime,
         policy: DeadlinePolicy) -> tuple[dict[str, Any], list[Firing], datetime | None]:
    """Advance every running clock of one item to ``now``: the new memory, what fires, the next moment."""
    new_memory = dict(memory or {})
    fired: list[Firing] = []
    upcoming: list[datetime] = []
    for run in runs:
        rec = record(new_memory, run.name, run.due)
        new, rec["done"], nxt = advance(run, rec["done"], now, policy)
        fired += new
        new_memory[run.name] = rec
        if nxt is not None:
            upcoming.append(nxt)
    return new_memory, fired, min(upcoming) if upcoming else None


def next_alert(runs: Iterable[ClockRun], memory: Mapping[str, Any] | None, policy: DeadlinePolicy) -> datetime | None:
    """The first stage not yet done of any running clock (possibly past: the sweep then acts at once)."""
    moments = [at for run in runs for stage, at in stages(run, policy)
               if stage not in record(memory, run.name, run.due)["done"]]
    return min(moments) if moments else None


def flags(memory: Mapping[str, Any] | None, escalated_to: Any = None) -> dict[str, Any]:
    """What the sweep flagged, by clock: ``{"reminded": […], "overdue": […], "escalated": […],
    "escalated_to": unit code or None}`` (the API's ``flags``; ``escalated_to`` is an AgencyUnit or None)."""
    out: dict[str, Any] = {"reminded": [], "overdue": [], "escalated": [],
                           "escalated_to": escalated_to.code if escalated_to is not None else None}
    for clock, rec in (memory or {}).items():
        done = rec.get("done", [])
        if any(is_reminder(s) for s in done):
            out["reminded"].append(clock)
        if OVERDUE in done:
            out["overdue"].append(clock)
        if any(s.startswith("escalate_") for s in done):
            out["escalated"].append(clock)
    return out
