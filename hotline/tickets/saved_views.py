"""Saved queue views: a dispatcher names a filter (the queue page's query string) to reuse it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.inputs import Spec, Text
from hotline.tickets.models import SavedView
from hotline.tickets.queries import FILTER_SPEC, VIEW_KEYS

VIEW_SPEC = Spec([Text(name="name", label="视图名称", required=True, max_length=64),
                  Text(name="query", label="筛选条件", max_length=500)])


def save_view(session: Session, actor: Actor, name: str, query: str | None) -> SavedView:
    """Keep the filters the queue understands, validated like the queue validates them."""
    pairs = [(k, v) for k, v in parse_qsl(query or "") if k in VIEW_KEYS and v]
    FILTER_SPEC.parse(dict(pairs), source="text")
    view = SavedView(user_id=actor.id, name=name, query=urlencode(pairs))
    session.add(view)
    session.flush()
    return view


#: built once: the queue page reads it on every view
_OWN_VIEWS = select(SavedView).where(SavedView.user_id == bindparam("user_id")).order_by(SavedView.name)


def saved_views(session: Session, actor: Actor) -> list[SavedView]:
    if actor.id is None or actor.kind != "user":
        return []
    return list(session.scalars(_OWN_VIEWS, {"user_id": actor.id}))
