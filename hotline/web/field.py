"""The 儿童主任's field pages (走访): their visit tasks and recording a visit, built for a phone (375 px)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.web.sessions import console_view

bp = Blueprint("field", __name__, url_prefix="/console/field")


@bp.get("/")
@console_view(readonly=True)
def tasks(db: Session, actor: Actor) -> Any:
    return "走访任务"
