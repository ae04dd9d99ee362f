"""Helpers for the children register's tests: the demo places, people with a place scope, and children
built from fabricated data (no real person)."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests_support import PASSWORD, ready_user  # noqa: F401 - PASSWORD re-exported for test modules

from hotline.accounts.actor import Actor
from hotline.accounts.users import actor_for
from hotline.children import register
from hotline.children.models import Child, Place
from hotline.children.places import import_places
from hotline.sentiment import leads
from hotline.sentiment.models import SentimentEvent
from hotline.sentiment.pipeline import ingest_batch
from hotline.timeutil import utcnow

DEMO_PLACES = Path(__file__).resolve().parents[1] / "hotline" / "data" / "demo_places.csv"
_ids = count(1)


def places(session) -> dict[str, Place]:  # noqa: ANN001
    """The demo townships and villages (imported when missing), by name: 合隆镇, 陈家店村, 合隆村, 哈拉海镇,
    哈拉海村 (长春市/农安县), 榆树台镇, 榆树台村, 闫家村 (四平市/梨树县), 大兴沟镇, 大兴沟村 (汪清县)."""
    import_places(session, DEMO_PLACES.read_text(encoding="utf-8"))
    return {p.name: p for p in session.scalars(select(Place))}


def person(state, role: str, *, unit: str | None = None, place_names: tuple[str, ...] = ()) -> Actor:  # noqa: ANN001
    """A new user (committed) and the Actor it acts as; ``place_names`` are demo places (see ``places``)."""
    with state.db.transaction() as session:
        by_name = places(session)
        user = ready_user(session, state.cipher, f"c{role[:10]}{next(_ids)}", role, unit=unit,
                          places=[by_name[n] for n in place_names])
        return actor_for(user)


def child_values(village: Place, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {f.name: None for f in register.CHILD_SPEC.fields}
    values.update(name="李小梅", residence_place=village.id, category="left_behind", assessment="fair")
    values.update(overrides)
    return values


def guardian(relation: str = "father", name: str = "李建国", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {f.name: None for f in register.GUARDIAN_SPEC.fields}
    values.update(relation=relation, name=name, status="away")
    values.update(overrides)
    return values


def add_child(state, actor: Actor, village_name: str = "陈家店村", *, guardians=None,  # noqa: ANN001
              now: datetime | None = None, **overrides: Any) -> str:
    """Register a child (committed); returns its 档案号."""
    with state.db.transaction() as session:
        village = places(session)[village_name]
        child = register.create_child(session, actor, child_values(village, **overrides),
                                      [guardian()] if guardians is None else guardians,
                                      cipher=state.cipher, now=now or utcnow())
        return child.number


def get(session, number: str) -> Child:  # noqa: ANN001
    return session.scalar(select(Child).where(Child.number == number))


def place_user(state, new_browser, role: str, *names: str):  # noqa: ANN001, ANN201
    """A new 儿童主任 / 督导员 of the named demo places, logged in through /login: a console Browser."""
    username = f"p{role[:8]}{next(_ids)}"
    with state.db.transaction() as session:
        by_name = places(session)
        ready_user(session, state.cipher, username, role, places=[by_name[n] for n in names])
    browser = new_browser()
    assert browser.log_in(username).status_code == 302
    browser.get("/console/children/")  # a page carrying the session's fresh CSRF token
    return browser


def open_lead(state) -> str:  # noqa: ANN001
    """A verification lead (fabricated 舆情 about 合隆镇) opened for 农安县民政局; its number."""
    text = "农安县合隆镇一名女童父母外出务工，长期一个人在家，邻居发视频求助。"
    base = datetime.fromisoformat("2026-06-01T09:00:00+08:00")
    ingest_batch(state, [{"source": "weibo", "external_id": f"cl-{next(_ids)}", "text": text, "published_at": base.isoformat()}])
    dispatcher = person(state, "dispatcher")
    with state.db.transaction() as session:
        found = session.scalars(select(SentimentEvent)).one()
        return leads.open_lead(session, found, dispatcher, policy=state.policy, taxonomy=state.taxonomy,
                               unit_code="civil_affairs:长春市/农安县").number
