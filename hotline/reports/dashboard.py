"""Supervisors' figures: volume by category, place and day; on-time sign and resolve rates and
satisfaction per unit; the overdue list. Everything passes through the same unit scoping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Date, case, cast, func, or_, select, text
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.directory.models import AgencyUnit
from hotline.sentiment.leads import lead_figures
from hotline.tickets.clocks import overdue_condition
from hotline.tickets.models import Ticket
from hotline.tickets.queries import visible_tickets
from hotline.timeutil import SHANGHAI, utcnow


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


def dashboard(session: Session, actor: Actor, *, days: int = 30, now: datetime | None = None) -> dict:
    now = now or utcnow()
    since = now - timedelta(days=days)
    scoped = visible_tickets(actor).where(Ticket.received_at >= since).subquery()
    t = scoped.c

    def grouped(column) -> list[tuple[str, int]]:  # noqa: ANN001
        rows = session.execute(select(column, func.count()).group_by(column).order_by(func.count().desc())).all()
        return [(key or "未分类", n) for key, n in rows]

    by_category = grouped(t.category)
    by_prefecture = grouped(t.prefecture)
    day = local_day(session)
    day_rows = session.execute(
        visible_tickets(actor).with_only_columns(day, func.count()).where(Ticket.received_at >= since).group_by(day)
    ).all()
    counts = {str(d): n for d, n in day_rows}
    first = since.astimezone(SHANGHAI).date()
    by_day = [((first + timedelta(days=i)).isoformat(), counts.get((first + timedelta(days=i)).isoformat(), 0))
              for i in range((now.astimezone(SHANGHAI).date() - first).days + 1)]
    return {
        "days": days,
        "total": sum(n for _, n in by_category),
        "by_category": by_category,
        "by_prefecture": by_prefecture,
        "by_day": by_day,
        "units": unit_figures(session, actor, since, now),
        "overdue": overdue(session, actor, now),
        "leads": lead_figures(session, actor, since, now),
    }


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


def overdue(session: Session, actor: Actor, now: datetime, limit: int = 100) -> list[Ticket]:
    stmt = (
        visible_tickets(actor)
        .where(overdue_condition(now))
        .order_by(Ticket.resolve_due_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))
