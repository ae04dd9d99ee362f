"""Saved queue views: a dispatcher names a filter (the queue page's query string) to reuse it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.errors import InputError
from hotline.tickets.models import SavedView

ALLOWED_KEYS = frozenset(
    {"status", "category", "urgency", "prefecture", "unit", "overdue", "needs_review", "extension_requested"}
)


def save_view(session: Session, actor: Actor, name: str, query: str) -> SavedView:
    name = name.strip()
    if not name or len(name) > 64:
        raise InputError("视图名称须为 1-64 个字符", code="bad_name")
    pairs = [(k, v) for k, v in parse_qsl(query) if k in ALLOWED_KEYS and v]
    view = SavedView(user_id=actor.id, name=name, query=urlencode(pairs)[:500])
    session.add(view)
    session.flush()
    return view


def saved_views(session: Session, actor: Actor) -> list[SavedView]:
    if actor.id is None or actor.kind != "user":
        return []
    return list(session.scalars(select(SavedView).where(SavedView.user_id == actor.id).order_by(SavedView.name)))
