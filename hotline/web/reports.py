"""Supervisors' pages: the dashboard and the masked, audited exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import HotlineError
from hotline.reports import exports
from hotline.reports.dashboard import dashboard as figures
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.forms import queue_filter
from hotline.web.sessions import console_view

bp = Blueprint("reports", __name__, url_prefix="/console")
REPORT_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
PERIODS = ("7", "30", "90", "365")


@bp.get("/dashboard")
@console_view(roles=REPORT_ROLES, readonly=True)
def dashboard(db: Session, actor: Actor) -> Any:
    days = request.args.get("days", "30")
    data = figures(db, actor, days=int(days) if days in PERIODS else 30)
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
