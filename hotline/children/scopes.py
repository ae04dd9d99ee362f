"""Who sees which children: the one rule every register query, page, export and match review starts from.

- 儿童主任 (child_director): the children of their villages.
- 儿童督导员 (child_supervisor): the children of their township.
- Civil-affairs staff (agency_staff of a civil_affairs unit): their county, prefecture or the province.
- Operators, dispatchers, supervisors and admins: the whole province (personal data masked unless revealed).
- Staff of every other agency: none.

儿童主任 and 督导员 see tickets and verification leads only when linked to a child of their place
(``linked_items``, used by the tickets' and leads' own visibility rules).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import PLACE_ROLES, Role
from hotline.children.models import Child, ChildLink, Place, PlaceLevel
from hotline.directory.models import AgencyUnit, Region, RegionLevel
from hotline.errors import NotFound

PROVINCE_WIDE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
#: may add children and change their records (operators create a child from a call)
EDITORS = frozenset({Role.CHILD_DIRECTOR, Role.CHILD_SUPERVISOR, Role.AGENCY_STAFF, Role.DISPATCHER,
                     Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR})


def county_ids_of_unit(session: Session, unit_id: int | None) -> frozenset[int] | None:
    """The counties a civil-affairs unit answers for (None: the whole province); empty for other agencies."""
    unit = session.get(AgencyUnit, unit_id) if unit_id is not None else None
    if unit is None or unit.agency != "civil_affairs":
        return frozenset()
    if unit.level == RegionLevel.PROVINCE:
        return None
    if unit.level == RegionLevel.COUNTY:
        return frozenset({unit.region_id})
    return frozenset(session.scalars(select(Region.id).where(Region.parent_id == unit.region_id)))


def child_condition(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause restricting ``Child`` to what ``actor`` may see."""
    if actor.role in PROVINCE_WIDE:
        return true()
    if actor.role in PLACE_ROLES:
        return _place_condition(actor)
    if actor.role is Role.AGENCY_STAFF:
        counties = county_ids_of_unit(session, actor.unit_id)
        if counties is None:
            return true()
        return Child.county_id.in_(counties) if counties else false()
    return false()


def _place_condition(actor: Actor) -> ColumnElement[bool]:
    column = Child.village_id if actor.role is Role.CHILD_DIRECTOR else Child.township_id
    return column.in_(actor.places) if actor.places else false()


def linked_items(actor: Actor, column: Any) -> Select[Any]:
    """For 儿童主任 / 儿童督导员: the tickets (``ChildLink.ticket_id``) or leads (``ChildLink.lead_id``) linked
    to a child of their place — the only tickets and leads they see."""
    return select(column).join(Child, Child.id == ChildLink.child_id).where(_place_condition(actor),
                                                                           column.is_not(None))


def visible_children(session: Session, actor: Actor) -> Select[tuple[Child]]:
    return select(Child).where(child_condition(session, actor))


def may_see_register(session: Session, actor: Actor) -> bool:
    return actor.role in PROVINCE_WIDE or actor.role in (Role.CHILD_DIRECTOR, Role.CHILD_SUPERVISOR) or (
        actor.role is Role.AGENCY_STAFF and county_ids_of_unit(session, actor.unit_id) != frozenset())


def get_child(session: Session, number: str, actor: Actor) -> Child:
    """The child with this 档案号 if ``actor`` may see it; otherwise the same NotFound as a wrong number."""
    found = session.scalar(visible_children(session, actor).where(Child.number == number))
    if found is None:
        raise NotFound(f"儿童档案 {number} 不存在", code="child_not_found")
    return found


def villages_in_scope(session: Session, actor: Actor) -> list[Place]:
    """The villages ``actor`` may register a child in, by county, township and name."""
    stmt = select(Place).where(Place.level == PlaceLevel.VILLAGE)
    if actor.role is Role.CHILD_DIRECTOR:
        stmt = stmt.where(Place.id.in_(actor.places))
    elif actor.role is Role.CHILD_SUPERVISOR:
        stmt = stmt.where(Place.parent_id.in_(actor.places))
    elif actor.role is Role.AGENCY_STAFF:
        counties = county_ids_of_unit(session, actor.unit_id)
        if counties is not None:
            stmt = stmt.where(Place.county_id.in_(counties))
    elif actor.role not in PROVINCE_WIDE:
        return []
    return list(session.scalars(stmt.order_by(Place.county_id, Place.parent_id, Place.name)))
