"""Every scheduled job, declared once: id, what it does, the function and when it runs.

A job function takes a :class:`JobContext` and returns its summary counts (merged into the JSON that
``hotline sweep`` prints). A transactional job gets ``ctx.session``: the one transaction it runs in,
committed by the runner when it returns. A job that talks to the network or trains a model
(``transactional=False``) opens its own short units of work, so no transaction waits on a slow peer.
Every job is idempotent: run twice for the same moment, the second run changes nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hotline.timeutil import SHANGHAI

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.runtime import Runtime


@dataclass
class JobContext:
    runtime: Runtime
    #: the moment the job runs as of (the wall clock, or ``hotline sweep --now``)
    now: datetime
    #: the job's transaction (transactional jobs only)
    session: Session | None = None


@dataclass(frozen=True)
class Every:
    """Every N seconds."""

    seconds: int

    def due(self, last: datetime | None, now: datetime) -> bool:
        """Not run within the last interval before ``now`` (a moment earlier than the last run counts as due:
        the jobs are idempotent, and ``hotline sweep --now`` may travel back)."""
        return last is None or not (last <= now < last + timedelta(seconds=self.seconds))

    def describe(self) -> str:
        return f"每 {self.seconds // 60} 分钟" if self.seconds >= 60 else f"每 {self.seconds} 秒"

    def apscheduler(self) -> Any:
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(seconds=self.seconds)


@dataclass(frozen=True)
class Daily:
    """Once a day at a Beijing time; ``month``/``day`` narrow it to a day of the month or of the year."""

    hour: int
    minute: int = 0
    day: int | None = None
    month: int | None = None

    def _matches(self, moment: datetime) -> bool:
        return (self.day is None or moment.day == self.day) and (self.month is None or moment.month == self.month)

    def last_fire(self, now: datetime) -> datetime | None:
        """The latest scheduled moment at or before ``now`` (within about a year), or None."""
        local = now.astimezone(SHANGHAI)
        day = local.date()
        for _ in range(370):
            moment = datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=SHANGHAI)
            if moment <= local and self._matches(moment):
                return moment
            day -= timedelta(days=1)
        return None

    def due(self, last: datetime | None, now: datetime, *, since: datetime) -> bool:
        """A scheduled moment has passed since the job last ran (or since the scheduler first saw it)."""
        fire = self.last_fire(now)
        return fire is not None and fire > (last or since)

    def describe(self) -> str:
        when = f"{self.hour:02d}:{self.minute:02d}"
        if self.month:
            return f"每年 {self.month} 月 {self.day} 日 {when}"
        if self.day:
            return f"每月 {self.day} 日 {when}"
        return f"每天 {when}"

    def apscheduler(self) -> Any:
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(month=self.month or "*", day=self.day or "*", hour=self.hour, minute=self.minute,
                           timezone=SHANGHAI)


@dataclass(frozen=True)
class Job:
    id: str
    title: str
    #: "module:function", imported when the job first runs
    function: str
    trigger: Every | Daily
    transactional: bool = True

    def load(self) -> Callable[[JobContext], dict[str, int]]:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)

    def due(self, last: datetime | None, now: datetime, since: datetime) -> bool:
        if isinstance(self.trigger, Daily):
            return self.trigger.due(last, now, since=since)
        return self.trigger.due(last, now)


JOBS: tuple[Job, ...] = (
    Job("deadlines", "时限巡检：提醒、超期、督办升级（工单与核查线索），回访到期",
        "hotline.scheduling.deadline_sweep:sweep_deadlines", Every(60)),
    Job("webhooks", "推送通知到各单位的短信 / 邮件网关", "hotline.notifications.delivery:deliver_due", Every(30),
        transactional=False),
    Job("feeds", "抓取到期的舆情订阅源", "hotline.sentiment.feeds:poll_due", Every(60), transactional=False),
    Job("dashboard", "统计看板：重算全省各时段的工单量与各单位按时率（看板直接读取）",
        "hotline.reports.dashboard:refresh_snapshots", Every(300), transactional=False),
    Job("retrain", "夜间训练候选模型，达标则启用", "hotline.training.nightly:retrain", Daily(2, 30),
        transactional=False),
    Job("bulletin", "生成上月调度通报", "hotline.reports.bulletins:publish_monthly", Daily(6, 0, day=1)),
    Job("annual_report", "生成年度工作进展报告（12 月 1 日前）", "hotline.reports.bulletins:publish_annual",
        Daily(6, 0, day=20, month=11)),
    Job("purge_lists", "删除已过保存期限的部门比对名单（复核记录保留）", "hotline.children.agency_lists:purge",
        Daily(3, 0)),
    Job("purge_tickets", "删除归档已超过保存期限的工单中的个人信息（保留统计所需字段，审计记录不动）",
        "hotline.tickets.retention:purge", Daily(3, 10)),
)
JOB_IDS = tuple(job.id for job in JOBS)
