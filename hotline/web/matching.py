"""数据比对: other agencies' lists (sources with saved column mappings, imports) and the county's review queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.web.sessions import console_view

bp = Blueprint("matching", __name__, url_prefix="/console/matching")


@bp.get("/")
@console_view(readonly=True)
def queue(db: Session, actor: Actor) -> Any:
    return "比对复核"


@bp.get("/sources")
@console_view(readonly=True)
def sources(db: Session, actor: Actor) -> Any:
    return "比对来源"
