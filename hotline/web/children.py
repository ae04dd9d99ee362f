"""The children register (儿童档案): list, a child's page, registering and editing, reveals, exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.web.sessions import console_view

bp = Blueprint("children", __name__, url_prefix="/console/children")


@bp.get("/")
@console_view(readonly=True)
def register(db: Session, actor: Actor) -> Any:
    return "儿童档案"
