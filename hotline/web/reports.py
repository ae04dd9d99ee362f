"""Supervisors' pages: the dashboard, the masked, audited exports and the published reports (调度通报,
年度工作进展报告)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import HotlineError
from hotline.reports import bulletins, exports, workbook
from hotline.reports.dashboard import PERIODS
from hotline.reports.dashboard import dashboard as figures
from hotline.timeutil import SHANGHAI, utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.forms import queue_filter
from hotline.web.sessions import console_view

bp = Blueprint("reports", __name__, url_prefix="/console")
REPORT_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


@bp.get("/dashboard")
@console_view(roles=REPORT_ROLES, readonly=True)
def dashboard(db: Session, actor: Actor) -> Any:
    days = request.args.get("days", "30")
    data = figures(db, actor, days=int(days) if days in {str(d) for d in PERIODS} else 30)
    return render_template("reports/dashboard.html", data=data, now=utcnow())


@bp.get("/export.<fmt>")
@console_view(roles=REPORT_ROLES)
def export(db: Session, actor: Actor, fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        rows = exports.export_rows(db, actor, queue_filter(request.args), runtime().taxonomy,
                                   source_ip=request.remote_addr)
    except HotlineError as exc:
        flash_error(exc)
        return redirect(url_for("tickets.queue"))
    body = exports.to_csv(rows) if fmt == "csv" else exports.to_xlsx(rows)
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"tickets-{utcnow():%Y%m%d-%H%M}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reports_page(db: Session, actor: Actor, form: Any = None, status: int = 200) -> Any:
    now = utcnow()
    defaults = {"bulletin": bulletins.month_before(now), "annual": str(now.astimezone(SHANGHAI).year)}
    return render_template("reports/list.html", reports=bulletins.list_reports(db), kinds=bulletins.KIND_NAMES,
                           defaults=defaults, form=form or {}, can_publish=actor.role is Role.ADMIN), status


@bp.get("/reports")
@console_view(roles=REPORT_ROLES, readonly=True)
def reports(db: Session, actor: Actor) -> Any:
    return _reports_page(db, actor)


@bp.get("/reports/<kind>/<period>")
@console_view(roles=REPORT_ROLES, readonly=True)
def report(db: Session, actor: Actor, kind: str, period: str) -> Any:
    found = bulletins.get_report(db, kind, period)
    return render_template("reports/report.html", report=found, sheets=bulletins.sheets(found))


@bp.get("/reports/<kind>/<period>.xlsx")
@console_view(roles=REPORT_ROLES, readonly=True)
def report_xlsx(db: Session, actor: Actor, kind: str, period: str) -> Any:
    found = bulletins.get_report(db, kind, period)
    body = workbook.to_xlsx(found.data["title"], bulletins.sheets(found))
    name = f"{found.kind}-{found.period}.xlsx"
    return Response(body, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("/reports/publish")
@console_view(roles=(Role.ADMIN,))
def publish(db: Session, actor: Actor) -> Any:
    kind, period = request.form.get("kind", ""), request.form.get("period", "")
    try:
        with db.begin_nested():
            found, created = bulletins.publish_now(db, actor, kind, period, runtime().taxonomy,
                                                   source_ip=request.remote_addr)
    except HotlineError as exc:
        flash_error(exc)
        return _reports_page(db, actor, form=request.form, status=exc.status)
    flash(f"已生成{found.data['title']}" if created else f"{found.data['title']}已发布过，未重新生成", "ok")
    return redirect(url_for("reports.report", kind=found.kind, period=found.period))
