"""The auditor's page: the audit trail, filtered and paged. Reading it is itself audited."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.audit_trail import FILTER_SPEC, audit_page, event_names
from hotline.accounts.models import ROLE_NAMES_ZH, Role
from hotline.web.forms import list_filters
from hotline.web.sessions import console_view

bp = Blueprint("audit", __name__, url_prefix="/console")


@bp.get("/audit")
@console_view(roles=(Role.AUDITOR,))
def log(db: Session, actor: Actor) -> Any:
    flt, status = list_filters(FILTER_SPEC, request.args)
    page = audit_page(db, flt)
    shown = ",".join(f"{k}={v}" for k, v in sorted(flt.items()) if v not in (None, "") and k != "page")
    record_audit(db, actor, "audit_view", None, shown[:200] or None, request.remote_addr)
    roles = {r.value: name for r, name in ROLE_NAMES_ZH.items()}
    return render_template("audit/log.html", page=page, flt=flt, events=event_names(db), role_names=roles), status
