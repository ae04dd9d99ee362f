"""Children and calls: the registered children a call is likely about, while the operator types it, and the
links a person confirms between a ticket or a verification lead and a child (关联儿童).

Suggestions come from three indexed lookups, never from reading the register in Python: the child's name
(``Child.name`` equality, or the same surname inside the villages / county the call names, for homophones
typed with a pinyin keyboard), the guardian's phone (``Guardian.phone_digest`` equality: the register's phones
are sealed and never opened to search them) and the villages the address mentions (``Child.village_id``).
A name counts only together with a place (the same county, or the child's village in the address); a query
without any signal suggests nobody. Suggestions are always shown masked (``privacy.view_child``).

Services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, false, func, or_, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.privacy import disclose
from hotline.children import rules
from hotline.children.matching import Places, clean_name, name_pinyin
from hotline.children.models import Child, ChildLink, Guardian, Place, PlaceLevel
from hotline.children.privacy import view_child
from hotline.children.register import lock_child, phone_digits, record_version
from hotline.children.scopes import EDITORS, child_condition, get_child, may_see_register, villages_in_scope
from hotline.crypto import FieldCipher
from hotline.directory.models import Region, RegionLevel
from hotline.errors import Forbidden, InputError
from hotline.sentiment.leads import get_lead
from hotline.sentiment.models import Lead
from hotline.tickets.events import add_event
from hotline.tickets.models import Ticket
from hotline.tickets.personal import open_personal_data
from hotline.tickets.queries import get_ticket
from hotline.timeutil import SHANGHAI, utcnow

#: timeline events written on a ticket (their titles are declared with the other non-action events)
LINK_EVENT, UNLINK_EVENT = "link_child", "unlink_child"
MAX_SUGGESTIONS = 20
#: what each signal is worth; a name counts only with a place (see ``suggest``)
NAME_EXACT, NAME_HOMOPHONE, SURNAME = 0.6, 0.4, 0.2
IN_VILLAGE, IN_COUNTY, PHONE = 0.25, 0.15, 0.6
#: where a place name ends in an address (村, 社区, 嘎查, 屯), and how long a village's name may be
_VILLAGE_END = re.compile(r"村|社区|嘎查|屯")
_MAX_VILLAGE_NAME = 12
_MAX_VILLAGE_MENTIONS = 8
_LIKE_SPECIAL = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class Suggestion:
    """A registered child a call may be about: how sure (0-1) and why, in Chinese."""

    child: Child = field(repr=False)
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ChildCard:
    """What a page or the desk's script shows of one child: never an ID number, a phone or a full name
    unless the viewer sees names (``privacy.view_child``)."""

    number: str
    name: str = field(repr=False)
    village: str
    age: int | None
    gender: str | None
    status: str
    reasons: tuple[str, ...] = ()
    score: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "village": self.village, "age": self.age,
                "gender": rules.GENDER_NAMES.get(self.gender, None) if self.gender else None,
                "status": self.status, "reasons": list(self.reasons), "score": self.score}


def card(actor: Actor, child: Child, today: date, suggestion: Suggestion | None = None) -> ChildCard:
    return ChildCard(number=child.number, name=view_child(actor, child).name, village=child.village.label,
                     age=rules.age_on(child.birth_date, today), gender=child.gender, status=child.status,
                     reasons=suggestion.reasons if suggestion else (),
                     score=suggestion.score if suggestion else None)


# --- what a call says: places and phones ----------------------------------------------------------------


#: built once: every view of a ticket that names a child runs ``_COUNTY_NAMED``
_COUNTIES = select(Region.id, Region.name, Region.path).where(Region.level == RegionLevel.COUNTY.value)
_COUNTY_NAMED = _COUNTIES.where(or_(Region.path == bindparam("path"), Region.name == bindparam("name")))


def _counties(session: Session, county: str | None, address: str | None) -> tuple[set[int], str | None]:
    """The county regions the call names (the county field first, else one found in the address)."""
    if not county and not address:
        return set(), None
    if county:  # a ticket's county field holds a county's name or path: read only the counties it names exactly
        county = county.strip()
        named = _clean(county.split("/")[-1])
        rows = session.execute(_COUNTY_NAMED, {"path": county, "name": named}).all()
        by_path = [r for r in rows if r.path == county]
        if by_path:
            return {by_path[0].id}, by_path[0].name
        if rows:
            return {r.id for r in rows}, named
        county = county.split("/")[-1]  # an abbreviation (农安) or a misspelling: every county's names below
    rows = session.execute(_COUNTIES).all()
    found = _county_named(Places(r.name for r in rows), county, address)
    if found is None:
        return set(), None
    return {r.id for r in rows if r.name == found}, found


def _clean(text: str | None) -> str:
    """``matching.clean_name`` without its cache: what a caller said is not kept in memory."""
    return clean_name.__wrapped__(text) if text else ""


def _county_named(places: Places, county: str | None, address: str | None) -> str | None:
    """The county named in the county field (in full or abbreviated), else the longest one in the address."""
    name = _clean(county)
    if name in places.full:
        return places.full[name]
    text = _clean(address)
    for key in sorted(places.full, key=len, reverse=True):
        if key in text:
            return places.full[key]
    return None


def _village_mentions(address: str | None) -> set[str]:
    """Every name the address could give a village by (陈家店村, 东风社区 …): the place names ending there,
    from one character before the suffix up; looked up by equality, so the extra candidates cost nothing."""
    text = _clean(address)
    names: set[str] = set()
    for hit in list(_VILLAGE_END.finditer(text))[:_MAX_VILLAGE_MENTIONS]:
        end = hit.end()
        for start in range(max(0, end - _MAX_VILLAGE_NAME), hit.start()):
            names.add(text[start:end])
    return names


def _villages(session: Session, address: str | None, counties: set[int]) -> dict[int, str]:
    """The register's villages the address mentions (within the call's county when it names one)."""
    names = _village_mentions(address)
    if not names:
        return {}
    stmt = select(Place.id, Place.name).where(Place.level == PlaceLevel.VILLAGE.value, Place.name.in_(names))
    if counties:
        stmt = stmt.where(Place.county_id.in_(counties))
    rows = session.execute(stmt).all()
    # "合隆镇合隆村" mentions 合隆村, not a village called 隆村: keep the longest name ending at the same place
    return {r.id: r.name for r in rows if not any(o.name != r.name and o.name.endswith(r.name) for o in rows)}


def phone_digests(phone: str | None, cipher: FieldCipher) -> set[str]:
    """The keyed digests a phone may be registered under (with or without the country code)."""
    digits = phone_digits(phone) or ""
    core = digits.removeprefix("+").removeprefix("86") if len(digits.lstrip("+")) == 13 else digits.removeprefix("+")
    if len(core) < 7:
        return set()
    # every key held: during a key rotation a guardian's digest may still be under the previous key
    return {d for v in {digits, core, f"+86{core}", f"86{core}"} for d in cipher.digests(v)}


def _surname_like(surname: str) -> Any:
    return Child.name.like(_LIKE_SPECIAL.sub(r"\\\1", surname) + "%", escape="\\")


# --- suggestions ------------------------------------------------------------------------------------------


@dataclass
class _Signals:
    child: Child
    name: float = 0.0
    place: float = 0.0
    phone: float = 0.0
    reasons: dict[str, str] = field(default_factory=dict)

    def score(self) -> float:
        named = self.name + self.place if self.name and self.place else 0.0
        return round(min(0.99, named + self.phone), 2)


def suggest(session: Session, actor: Actor, *, name: str | None = None, phone: str | None = None,
            address: str | None = None, county: str | None = None, cipher: FieldCipher,
            limit: int = 5) -> list[Suggestion]:
    """The children ``actor`` may see that a call is likely about, best first (at most ``limit``).

    Signals: the same name (or, weaker, the same pinyin) with the same county or the child's village named
    in the address; the same surname with the child's village in the address; a guardian's phone."""
    limit = max(1, min(limit, MAX_SUGGESTIONS))
    typed = _clean(name)
    visible = child_condition(session, actor)
    # the place only weighs a name signal: with no name typed, the county and villages are not looked up
    counties, county_name = _counties(session, county, address) if typed else (set(), None)
    villages = _villages(session, address, counties) if typed else {}
    found: dict[int, _Signals] = {}

    def signals(child: Child) -> _Signals:
        return found.setdefault(child.id, _Signals(child))

    def placed(child: Child) -> tuple[float, str] | None:
        if child.village_id in villages:
            return IN_VILLAGE, f"地址提到所在村（{villages[child.village_id]}）"
        if child.county_id in counties:
            return IN_COUNTY, f"同在{county_name}"
        return None

    def weigh(child: Child, score: float, reason: str) -> None:
        place = placed(child)
        if score <= 0 or place is None:
            return
        s = signals(child)
        if score > s.name:
            s.name, s.reasons["name"] = score, reason
        if place[0] > s.place:
            s.place, s.reasons["place"] = place

    if typed and (counties or villages):
        typed_pinyin = name_pinyin.__wrapped__(typed)
        where_place = or_(Child.county_id.in_(counties) if counties else false(),
                          Child.village_id.in_(villages) if villages else false())
        # the same name: Child.name equality (its index), then the place
        exact = {typed, name.strip()} if name else {typed}
        for child in session.scalars(select(Child).where(visible, Child.name.in_(exact), where_place)):
            weigh(child, NAME_EXACT, "姓名相同")
        # the same surname in the villages the address names: homophones, or at least the family
        if villages:
            stmt = select(Child).where(visible, Child.village_id.in_(villages), _surname_like(typed[:1]))
            for child in session.scalars(stmt):
                weigh(child, *_name_signal(typed, typed_pinyin, child.name, surname=True))
        # homophones elsewhere in the county: the same surname and length, compared by pinyin
        if counties:
            stmt = select(Child).where(visible, Child.county_id.in_(counties), _surname_like(typed[:1]),
                                       func.length(Child.name) == len(typed))
            for child in session.scalars(stmt):
                weigh(child, *_name_signal(typed, typed_pinyin, child.name, surname=False))

    digests = phone_digests(phone, cipher)
    if digests:
        stmt = (select(Child, Guardian.relation).join(Guardian, Guardian.child_id == Child.id)
                .where(visible, Guardian.phone_digest.in_(digests)))
        for child, relation in session.execute(stmt).unique():
            s = signals(child)
            s.phone = PHONE
            s.reasons["phone"] = f"监护人电话相同（{rules.RELATION_NAMES.get(relation, '监护人')}）"

    ranked = sorted((s for s in found.values() if s.score() > 0), key=lambda s: (-s.score(), s.child.number))
    order = ("name", "place", "phone")
    return [Suggestion(s.child, s.score(), tuple(s.reasons[k] for k in order if k in s.reasons))
            for s in ranked[:limit]]


def _name_signal(typed: str, typed_pinyin: str, registered: str, *, surname: bool) -> tuple[float, str]:
    other = clean_name(registered)
    if other == typed:
        return NAME_EXACT, "姓名相同"
    if len(other) == len(typed) and other[:1] == typed[:1] and name_pinyin(other) == typed_pinyin:
        return NAME_HOMOPHONE, "姓名读音相同"
    if surname and other[:1] == typed[:1]:
        return SURNAME, "同姓"
    return 0.0, ""


# --- links -------------------------------------------------------------------------------------------------


def _target(session: Session, actor: Actor, ticket_number: str | None,
            lead_number: str | None) -> tuple[Ticket | None, Lead | None]:
    if (ticket_number is None) == (lead_number is None):
        raise InputError("请指定一张工单或一条核查线索（只能一个）", code="bad_link_target")
    if ticket_number is not None:
        return get_ticket(session, ticket_number, actor), None
    return None, get_lead(session, lead_number, actor)


def _allowed(actor: Actor) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("您的角色不能关联儿童档案", code="forbidden")


def _existing(session: Session, child: Child, ticket: Ticket | None, lead: Lead | None) -> ChildLink | None:
    on = ChildLink.ticket_id == ticket.id if ticket is not None else ChildLink.lead_id == lead.id  # type: ignore[union-attr]
    return session.scalar(select(ChildLink).where(ChildLink.child_id == child.id, on))


def _changes(ticket: Ticket | None, lead: Lead | None, *, linked: bool) -> dict[str, Any]:
    key, number = ("ticket", ticket.number) if ticket is not None else ("lead", lead.number)  # type: ignore[union-attr]
    return {key: [None, number] if linked else [number, None]}


def link(session: Session, actor: Actor, child_number: str, *, ticket_number: str | None = None,
         lead_number: str | None = None, now: datetime) -> ChildLink:
    """Link a ticket or a lead to a registered child (idempotent: the existing link is returned). The
    actor must see both; the ticket's timeline and the child's versions record it (by 档案号 only)."""
    _allowed(actor)
    child = get_child(session, child_number, actor)
    ticket, lead = _target(session, actor, ticket_number, lead_number)
    lock_child(session, child)  # the same link asked for twice at once: the second finds the first's
    existing = _existing(session, child, ticket, lead)
    if existing is not None:
        return existing
    row = ChildLink(child_id=child.id, ticket_id=ticket.id if ticket else None, lead_id=lead.id if lead else None,
                    linked_at=now, linked_by=actor.label)
    session.add(row)
    if ticket is not None:
        add_event(session, ticket, LINK_EVENT, actor, from_status=ticket.status, note=f"儿童档案 {child.number}",
                  data={"child": child.number}, at=now)
    record_version(session, child, actor, "link", _changes(ticket, lead, linked=True), now)
    session.flush()
    return row


def unlink(session: Session, actor: Actor, child_number: str, *, ticket_number: str | None = None,
           lead_number: str | None = None, now: datetime) -> bool:
    """Remove a link (a person linked the wrong child); False when there was none."""
    _allowed(actor)
    child = get_child(session, child_number, actor)
    ticket, lead = _target(session, actor, ticket_number, lead_number)
    existing = _existing(session, child, ticket, lead)
    if existing is None:
        return False
    session.delete(existing)
    if ticket is not None:
        add_event(session, ticket, UNLINK_EVENT, actor, from_status=ticket.status,
                  note=f"儿童档案 {child.number}", data={"child": child.number}, at=now)
    record_version(session, child, actor, "link", _changes(ticket, lead, linked=False), now)
    session.flush()
    return True


def _linked(session: Session, on: Any, actor: Actor | None) -> list[Child]:
    stmt = select(Child).join(ChildLink, ChildLink.child_id == Child.id).where(on).order_by(ChildLink.id)
    if actor is not None:
        stmt = stmt.where(child_condition(session, actor))
    return list(session.scalars(stmt))


def children_of_ticket(session: Session, ticket: Ticket, actor: Actor | None = None) -> list[Child]:
    """The children linked to a ticket, in the order they were linked (only those ``actor`` sees, if given)."""
    return _linked(session, ChildLink.ticket_id == ticket.id, actor)


def children_of_lead(session: Session, lead: Lead, actor: Actor | None = None) -> list[Child]:
    return _linked(session, ChildLink.lead_id == lead.id, actor)


# --- the ticket page, the lead page and the register form --------------------------------------------------


@dataclass(frozen=True)
class LinkPanel:
    """关联儿童 on a ticket or a lead page."""

    linked: list[ChildCard]
    suggestions: list[ChildCard]
    can_edit: bool


def ticket_panel(session: Session, actor: Actor, ticket: Ticket, *, cipher: FieldCipher,
                 now: datetime | None = None) -> LinkPanel | None:
    """The linked children and the likely ones (from the ticket's child name, caller phone, address and
    county); None for someone who may not see the register."""
    if not may_see_register(session, actor):
        return None
    today = (now or utcnow()).astimezone(SHANGHAI).date()
    linked = children_of_ticket(session, ticket, actor)
    numbers = {c.number for c in linked}
    sealed = open_personal_data(ticket, cipher)  # matched against the register, never shown from here
    found = suggest(session, actor, name=ticket.child_name, phone=sealed.caller_phone, address=sealed.address,
                    county=ticket.county, cipher=cipher, limit=5 + len(numbers))
    return LinkPanel(linked=[card(actor, c, today) for c in linked],
                     suggestions=[card(actor, s.child, today, s) for s in found if s.child.number not in numbers][:5],
                     can_edit=actor.role in EDITORS)


def lead_panel(session: Session, actor: Actor, lead: Lead, *, now: datetime | None = None) -> LinkPanel | None:
    if not may_see_register(session, actor):
        return None
    today = (now or utcnow()).astimezone(SHANGHAI).date()
    return LinkPanel(linked=[card(actor, c, today) for c in children_of_lead(session, lead, actor)],
                     suggestions=[], can_edit=actor.role in EDITORS)


#: how a caller says they are the child's parent or grandparent (来电人系孩子母亲, 我是他爸爸 …)
_CALLER_IS = re.compile(r"(?:我|本人|来电人|来电者)(?:就)?(?:是|系|为)(?:孩子|小孩|该童|儿童|该儿童|他|她)?的?"
                        r"(父亲|爸爸|母亲|妈妈|爷爷|奶奶|外公|外婆|姥爷|姥姥|爸|妈)")
_RELATION_OF = {"父亲": "father", "爸爸": "father", "爸": "father", "母亲": "mother", "妈妈": "mother", "妈": "mother"}


def prefill_from_ticket(session: Session, actor: Actor, ticket_number: str, *, cipher: FieldCipher) -> dict[str, Any]:
    """The register form's initial values from a ticket (登记儿童 from a call): the child's name and gender,
    the residence address, the residence village when the address names exactly one village of the
    ticket's county in the actor's scope, and the caller as the first guardian when the call says the caller
    is the child's parent or grandparent.

    Personal data is copied only for someone who sees the ticket in full (``accounts.privacy.disclose``:
    the taker, the lead unit; such a view is audited); everyone else gets the masked address (down to the
    village) and no names or phone. ``county_villages`` lists the ids of the ticket's county's villages in
    the actor's scope, for the form to restrict its choice."""
    ticket = get_ticket(session, ticket_number, actor)
    person = disclose(session, actor, ticket, cipher=cipher, now=utcnow(), source_ip=None)
    counties, _ = _counties(session, ticket.county, person.address)
    in_scope = villages_in_scope(session, actor)
    county_villages = [p.id for p in in_scope if not counties or p.county_id in counties]
    mentioned = [v for v in _villages(session, person.address, counties) if v in set(county_villages)]
    values: dict[str, Any] = {
        "gender": {"男": "male", "女": "female"}.get(ticket.child_gender or ""),
        "residence_place": mentioned[0] if len(mentioned) == 1 else None,
        "county_villages": county_villages,
        "personal_data_masked": person.masked,
    }
    if person.masked:
        return values
    values.update(name=person.child_name, residence_address=person.address)
    said = _CALLER_IS.search(ticket.text or "")
    if said and person.caller_name:
        values.update(g1_relation=_RELATION_OF.get(said.group(1), "grandparent"), g1_name=person.caller_name,
                      g1_phone=person.caller_phone, g1_status="normal")
    return values

