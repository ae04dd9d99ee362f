"""Supervisors' figures: volume by category, place and day; on-time sign and resolve rates and
satisfaction per unit; the overdue list. Everything passes through the same unit scoping."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Select, case, cast, func, or_, select, text
from sqlalchemy.orm import Session

from hotline.accounts.actor import SYSTEM, Actor
from hotline.directory.models import AgencyUnit
from hotline.reports.models import DashboardSnapshot
from hotline.sentiment.leads import lead_figures, still_overdue
from hotline.tickets.clocks import is_overdue, overdue_condition
from hotline.tickets.models import Ticket
from hotline.tickets.queries import COUNT_CAP, brief, sees_every_ticket, visible_tickets
from hotline.timeutil import SHANGHAI, utcnow

if TYPE_CHECKING:
    from hotline.scheduling.jobs import JobContext


@dataclass(frozen=True)
class UnitFigures:
    unit: str
    dispatched: int
    signed_on_time: int
    #: signed, or the sign deadline has passed: the tickets an on-time rate is fair on
    sign_due: int
    resolved_on_time: int
    resolve_due: int
    satisfied: int
    rated: int
    #: first feedback (首次反馈: the first progress report, or the resolution when none came first) on time,
    #: and the tickets that rate is fair on
    first_feedback_on_time: int = 0
    first_feedback_due: int = 0

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None


def local_day(session: Session):  # noqa: ANN202
    """The Asia/Shanghai calendar day of received_at, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Ticket.received_at, text("'+8 hours'"))
    return cast(Ticket.received_at + text("interval '8 hours'"), Date)


#: the periods the dashboard offers, in days
PERIODS = (7, 30, 90, 365)
#: how often the scheduler refreshes the province-wide figures; a snapshot older than twice this is not
#: shown (the dashboard computes live instead, as it does when no scheduler runs)
SNAPSHOT_SECONDS = 300


def dashboard(session: Session, actor: Actor, *, days: int = 30, now: datetime | None = None) -> dict:
    """The dashboard: the period's volume, per-unit and lead figures and the overdue counts (from the
    scheduler's snapshot when the actor sees the whole province and it is fresh, else computed now), and the
    longest overdue tickets and leads as they are now."""
    now = now or utcnow()
    snapshot = session.get(DashboardSnapshot, days) if sees_every_ticket(actor) else None
    fresh = (snapshot is not None and "leads" in snapshot.figures  # a snapshot of an older release is not used
             and timedelta(0) <= now - snapshot.computed_at <= timedelta(seconds=2 * SNAPSHOT_SECONDS))
    figures = snapshot.figures if fresh else period_figures(session, actor, days, now)
    # the longest overdue as they are now: one a snapshot listed and that has been settled since is left out
    stmt = visible_tickets(actor).where(Ticket.id.in_(figures["overdue_ids"])).order_by(*OVERDUE_ORDER)
    late = [t for t in session.execute(brief(stmt)) if is_overdue(t, now)][:OVERDUE_SHOWN]
    return {
        **figures,
        "days": days,
        "as_of": snapshot.computed_at if fresh else now,
        "units": [UnitFigures(**u) for u in figures["units"]],
        "overdue": late,
        "overdue_more": figures["overdue_count"] > COUNT_CAP,
        "overdue_count": min(figures["overdue_count"], COUNT_CAP),
        "leads": {**figures["leads"], "overdue": still_overdue(session, actor, figures["leads"]["overdue_ids"], now)},
    }


def period_figures(session: Session, actor: Actor, days: int, now: datetime) -> dict[str, Any]:
    """Volume by category, place and day, the per-unit and lead figures of the last DAYS days, and the
    overdue tickets' ids, as plain JSON values (a snapshot stores them as they are)."""
    since = now - timedelta(days=days)
    scoped = visible_tickets(actor).where(Ticket.received_at >= since).subquery()
    t = scoped.c

    def grouped(column) -> list[list]:  # noqa: ANN001
        rows = session.execute(select(column, func.count()).group_by(column).order_by(func.count().desc())).all()
        return [[key or "未分类", n] for key, n in rows]

    by_category = grouped(t.category)
    day = local_day(session)
    day_rows = session.execute(
        visible_tickets(actor).with_only_columns(day, func.count()).where(Ticket.received_at >= since).group_by(day)
    ).all()
    counts = {str(d): n for d, n in day_rows}
    first = since.astimezone(SHANGHAI).date()
    dates = [(first + timedelta(days=i)).isoformat() for i in range((now.astimezone(SHANGHAI).date() - first).days + 1)]
    return {
        "total": sum(n for _, n in by_category),
        "by_category": by_category,
        "by_prefecture": grouped(t.prefecture),
        "by_day": [[d, counts.get(d, 0)] for d in dates],
        "units": [asdict(u) for u in unit_figures(session, actor, since, now)],
        # the overdue list and count read the running tickets of the whole table (hundreds of ms at a million)
        "overdue_ids": list(session.scalars(overdue_query(actor, now, OVERDUE_KEPT).with_only_columns(Ticket.id))),
        "overdue_count": overdue_count(session, actor, now),
        "leads": lead_figures(session, actor, since, now),
    }


def refresh_snapshots(ctx: JobContext) -> dict[str, int]:
    """Scheduler job: recompute the province-wide figures of every period. The grouping (seconds at a
    million tickets) runs in a read-only transaction; only storing the results takes the write lock."""
    db = ctx.runtime.db
    with db.transaction(readonly=True) as session:
        figures = {days: period_figures(session, SYSTEM, days, ctx.now) for days in PERIODS}
    with db.transaction() as session:
        for days, values in figures.items():
            snapshot = session.get(DashboardSnapshot, days) or DashboardSnapshot(days=days)
            snapshot.figures = values
            snapshot.computed_at = ctx.now
            session.add(snapshot)
    return {"dashboard_periods": len(figures)}


def unit_figures(session: Session, actor: Actor, since: datetime, now: datetime, limit: int = 50, *,
                 until: datetime | None = None) -> list[UnitFigures]:
    """Per lead unit, the tickets dispatched since SINCE (and before UNTIL, for a closed period such as a
    bulletin's month), judged as of NOW."""
    feedback = func.coalesce(Ticket.first_feedback_at, Ticket.resolved_at)
    stmt = (
        visible_tickets(actor)
        .join(AgencyUnit, AgencyUnit.id == Ticket.lead_unit_id)
        .where(Ticket.dispatched_at >= since)
        .with_only_columns(
            AgencyUnit.name,
            func.count(),
            func.sum(case((Ticket.signed_at <= Ticket.sign_due_at, 1), else_=0)),
            func.sum(case((or_(Ticket.signed_at.is_not(None), Ticket.sign_due_at < now), 1), else_=0)),
            func.sum(case((Ticket.resolved_at <= Ticket.resolve_due_at, 1), else_=0)),
            func.sum(case((or_(Ticket.resolved_at.is_not(None), Ticket.resolve_due_at < now), 1), else_=0)),
            func.sum(case((Ticket.satisfaction.in_(("satisfied", "basically_satisfied")), 1), else_=0)),
            func.sum(case((Ticket.satisfaction.is_not(None), 1), else_=0)),
            func.sum(case((feedback <= Ticket.first_feedback_due_at, 1), else_=0)),
            func.sum(case((or_(feedback.is_not(None), Ticket.first_feedback_due_at < now), 1), else_=0)),
        )
        .group_by(AgencyUnit.name)
        .order_by(func.count().desc())
        .limit(limit)
    )
    if until is not None:
        stmt = stmt.where(Ticket.dispatched_at < until)
    return [UnitFigures(name, *(int(v or 0) for v in rest)) for name, *rest in session.execute(stmt).all()]


#: the overdue lists' order: the longest overdue first
OVERDUE_ORDER = (Ticket.resolve_due_at, Ticket.id)
#: the dashboard lists this many of the longest overdue (the ticket list's overdue filter shows them all); a
#: snapshot keeps more, for those settled before the next snapshot
OVERDUE_SHOWN, OVERDUE_KEPT = 20, 50


def overdue_count(session: Session, actor: Actor, now: datetime) -> int:
    """The actor's overdue tickets, counted up to ``COUNT_CAP`` + 1 (more than the cap: "10,000+")."""
    capped = visible_tickets(actor).where(overdue_condition(now)).with_only_columns(Ticket.id).limit(COUNT_CAP + 1)
    return session.scalar(select(func.count()).select_from(capped.subquery())) or 0


def overdue_query(actor: Actor, now: datetime, limit: int = 100) -> Select[tuple[Ticket]]:
    return visible_tickets(actor).where(overdue_condition(now)).order_by(*OVERDUE_ORDER).limit(limit)


def overdue(session: Session, actor: Actor, now: datetime, limit: int = 100) -> list[Ticket]:
    return list(session.scalars(overdue_query(actor, now, limit)))
