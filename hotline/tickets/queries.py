"""Finding tickets: every query starts from what the actor may see (agency staff: their unit's only)."""

from __future__ import annotations

import time
from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, union
from sqlalchemy.orm import Session, selectinload

from hotline import taxonomy as tx
from hotline.accounts.actor import Actor
from hotline.accounts.models import PLACE_ROLES, Role
from hotline.children.models import ChildLink
from hotline.children.scopes import linked_items
from hotline.directory.models import AgencyUnit
from hotline.directory.units import get_unit
from hotline.errors import NotFound
from hotline.inputs import Boolean, Choice, Integer, Spec, Text
from hotline.orm import rare
from hotline.tickets.clocks import CLOCKS, overdue_condition
from hotline.tickets.lifecycle import STATUS_NAMES_ZH, TicketStatus
from hotline.tickets.models import Ticket, ticket_co_units
from hotline.timeutil import utcnow


def sees_every_ticket(actor: Actor) -> bool:
    """Whether the actor's ticket queries are unscoped (the province's desk, supervisors, administrators)."""
    return actor.role is not Role.AGENCY_STAFF and actor.role not in PLACE_ROLES


def visible_tickets(actor: Actor) -> Select[tuple[Ticket]]:
    """Every ticket query starts here: agency staff see only their unit's (lead or co-unit) tickets, 儿童主任
    and 督导员 those linked to a child of their place."""
    stmt = select(Ticket)
    if actor.role is Role.AGENCY_STAFF:
        # lead or co-unit, or the unit above once the ticket was escalated to it (督办): one id set built from
        # three index lookups (an OR of the three would read the whole table)
        unit = actor.unit_id
        ids = union(select(Ticket.id).where(Ticket.lead_unit_id == unit),
                    select(ticket_co_units.c.ticket_id).where(ticket_co_units.c.unit_id == unit),
                    select(Ticket.id).where(Ticket.escalated_unit_id == unit))
        stmt = stmt.where(Ticket.id.in_(ids))
    elif actor.role in PLACE_ROLES:  # 儿童主任 / 督导员: the tickets about their children
        stmt = stmt.where(Ticket.id.in_(linked_items(actor, ChildLink.ticket_id)))
    return stmt


#: built once; plain names, not units with their regions: the ticket page shows who co-handles it
_CO_UNIT_NAMES = (select(AgencyUnit.name).join(ticket_co_units, ticket_co_units.c.unit_id == AgencyUnit.id)
                  .where(ticket_co_units.c.ticket_id == bindparam("ticket_id")).order_by(AgencyUnit.id))


def co_unit_names(session: Session, ticket: Ticket) -> list[str]:
    """The ticket's co-handling units (协办单位) by name: a third of the cost of loading ``Ticket.co_units``."""
    return list(session.scalars(_CO_UNIT_NAMES, {"ticket_id": ticket.id}))


def get_ticket(session: Session, number: str, actor: Actor, *, for_update: bool = False) -> Ticket:
    stmt = visible_tickets(actor).where(Ticket.number == number)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Ticket)
    ticket = session.scalar(stmt)
    if ticket is None:  # the same answer whether it does not exist or belongs to another unit
        raise NotFound(f"工单 {number} 不存在", code="ticket_not_found")
    return ticket


#: the queue's filters as the API's query string and the console's filter form send them
FILTER_SPEC = Spec(
    [
        Choice(name="status", label="状态", choices=lambda: {s.value: n for s, n in STATUS_NAMES_ZH.items()}),
        Choice(name="category", label="业务分类", choices=tx.category_names),
        Choice(name="urgency", label="紧急程度", choices=tx.urgency_names),
        Choice(name="prefecture", label="市（州）", choices=tx.prefectures),
        Text(name="unit", label="承办单位代码", max_length=96),
        Boolean(name="overdue", label="仅超期（签收、首次反馈或办结时限已过）"),
        Boolean(name="needs_review", label="仅待人工确认"),
        Boolean(name="extension_requested", label="仅延期待审批"),
        Integer(name="after", label="从此位置往后（上一页末条的位置，翻页链接给出）", minimum=1),
        Integer(name="page", label="页码", minimum=1, maximum=100_000),
        Integer(name="per_page", label="每页条数", minimum=1, maximum=200),
    ],
    code="bad_parameter",
)
#: what a saved queue view may hold (the page is not part of a view)
VIEW_KEYS = frozenset(f.name for f in FILTER_SPEC.fields) - {"page", "per_page", "after"}
#: a list counts its matches up to this many and then says "10,000+": an exact count over a province's
#: million tickets would cost more than the page itself
COUNT_CAP = 10_000
#: a count found over the cap is taken as still over it for this long: only a purge takes ten thousand tickets
#: away, and counting 10,001 index entries cost ~0.4 ms of CPU on every list request at provincial scale
OVER_CAP_SECONDS = 30.0
_over_cap: dict[tuple, float] = {}  # the count statement's identity -> when it was last found over the cap
_OVER_CAP_KEYS = 1024


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    category: str | None = None
    urgency: str | None = None
    prefecture: str | None = None
    unit_code: str | None = None
    overdue: bool | None = None
    needs_review: bool | None = None
    statuses: tuple[str, ...] = ()
    extension_state: str | None = None
    #: agency inbox: only tickets the actor's unit leads
    lead_only: bool = False
    #: "newest" | "deadline" (resolve deadline first) | "callback" (callback deadline first)
    order: str = "newest"
    #: rows of ``LIST_COLUMNS`` and ``lead_unit_name``, what the console's list shows; exports and the API
    #: load whole tickets
    brief: bool = False
    #: keyset pagination (order "newest"): the tickets older than this ticket id, the previous page's last
    after: int | None = None
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_input(cls, values: dict[str, Any]) -> TicketFilter:
        """From what ``FILTER_SPEC`` parsed."""
        return cls(
            status=values["status"],
            category=values["category"],
            urgency=values["urgency"],
            prefecture=values["prefecture"],
            unit_code=values["unit"],
            overdue=values["overdue"],
            needs_review=values["needs_review"],
            extension_state="requested" if values["extension_requested"] else None,
            after=values["after"],
            page=values["page"] or 1,
            per_page=values["per_page"] or 50,
        )


#: what a row of the console's ticket list shows (templates/tickets/list.html), and the clocks' deadlines
LIST_COLUMNS = (Ticket.id, Ticket.number, Ticket.status, Ticket.urgency, Ticket.needs_review, Ticket.category, Ticket.prefecture,
                Ticket.county, Ticket.lead_unit_id, Ticket.text, Ticket.extension_state, Ticket.supervision_count,
                Ticket.callback_due_at, *(getattr(Ticket, c.due) for c in CLOCKS))


#: a row of the console's list as a named tuple: a SQLAlchemy ``Row``'s attribute look-up costs ~8 times a
#: named tuple's, and rendering a 50-row page reads about a thousand of them
BriefRow = namedtuple("BriefRow", [c.key for c in LIST_COLUMNS] + ["lead_unit_name"])


#: what a whole ticket in a list (API, export) reads besides its row: one query each for the page, not per ticket
WHOLE_TICKET = (selectinload(Ticket.co_units), selectinload(Ticket.escalated_unit), selectinload(Ticket.merged_into))


def brief(stmt: Select[tuple[Ticket]]) -> Select:
    """A ticket query narrowed to ``LIST_COLUMNS`` and ``lead_unit_name``: plain rows, not tracked entities,
    for the lists that show many tickets (about a third of the cost of loading whole tickets)."""
    return (stmt.with_only_columns(*LIST_COLUMNS, AgencyUnit.name.label("lead_unit_name"))
            .join_from(Ticket, AgencyUnit, AgencyUnit.id == Ticket.lead_unit_id, isouter=True))


@dataclass(frozen=True)
class TicketPage:
    #: tickets, or rows of ``LIST_COLUMNS`` for a ``brief`` filter
    items: list[Any]
    #: the matching tickets, counted up to ``COUNT_CAP``; ``more``: there are more than that
    total: int
    more: bool
    #: ``after`` for the next page (order "newest"), None on the last page
    next_after: int | None


def _capped_count(session: Session, count: Select) -> int:
    """``count``'s result, or COUNT_CAP + 1 without running it when the same count (the same statement and
    parameters, which carry the actor's scope) was over the cap less than ``OVER_CAP_SECONDS`` ago."""
    cache_key = count._generate_cache_key()  # SQLAlchemy's statement identity (its compiled-SQL cache key)
    values = tuple(tuple(v) if isinstance(v, list | tuple | set) else v
                   for v in (b.effective_value for b in cache_key.bindparams))
    key = (id(session.get_bind().engine), cache_key.key, values)
    now = time.monotonic()
    if now - _over_cap.get(key, -OVER_CAP_SECONDS) < OVER_CAP_SECONDS:
        return COUNT_CAP + 1
    counted = session.scalar(count) or 0
    if counted > COUNT_CAP:
        if len(_over_cap) >= _OVER_CAP_KEYS:
            _over_cap.clear()
        _over_cap[key] = now
    return counted


def forget_capped_counts() -> None:
    """Count afresh from now on (after removing tickets in bulk within this process, as the tests do)."""
    _over_cap.clear()


def list_tickets(session: Session, actor: Actor, flt: TicketFilter, now: datetime | None = None) -> TicketPage:
    """A page of tickets through the actor's unit scoping, and their count up to ``COUNT_CAP``.

    Order "newest" pages by keyset (``after``: the id the previous page ended at), so every page costs the
    same whatever its depth; ``page`` (OFFSET) stays for the API's existing callers."""
    if flt.lead_only and actor.role is Role.AGENCY_STAFF:
        # the unit's own tickets, a part of what its staff see: read through the (lead unit, status) index
        stmt = select(Ticket).where(Ticket.lead_unit_id == actor.unit_id)
    else:
        stmt = visible_tickets(actor)
        if flt.lead_only:
            stmt = stmt.where(Ticket.lead_unit_id == actor.unit_id)
    if flt.status:
        # a year's tickets are nearly all closed: any other status is a few thousand of a million
        same = Ticket.status == flt.status
        stmt = stmt.where(same if flt.status == TicketStatus.CLOSED else rare(same))
    if flt.category:
        stmt = stmt.where(Ticket.category == flt.category)
    if flt.urgency:
        stmt = stmt.where(Ticket.urgency == flt.urgency)
    if flt.prefecture:
        stmt = stmt.where(Ticket.prefecture == flt.prefecture)
    if flt.unit_code:
        stmt = stmt.where(Ticket.lead_unit_id == get_unit(session, flt.unit_code).id)
    if flt.needs_review is not None:
        stmt = stmt.where(Ticket.needs_review.is_(flt.needs_review))
    if flt.statuses:
        stmt = stmt.where(Ticket.status.in_(flt.statuses))
    if flt.extension_state:
        stmt = stmt.where(Ticket.extension_state == flt.extension_state)
    if flt.overdue:
        stmt = stmt.where(overdue_condition(now or utcnow()))
    matching = stmt
    order = {
        "newest": (Ticket.id.desc(),),
        "deadline": (Ticket.resolve_due_at.asc(), Ticket.id),
        "callback": (Ticket.callback_due_at.asc(), Ticket.id),
    }[flt.order]
    if flt.after is not None and flt.order == "newest":
        stmt = stmt.where(Ticket.id < flt.after)
    else:
        stmt = stmt.offset((flt.page - 1) * flt.per_page)
    # one row more than the page tells whether there is a next page
    stmt = stmt.order_by(*order).limit(flt.per_page + 1)
    if flt.brief:
        rows = [BriefRow._make(row) for row in session.execute(brief(stmt))]
    else:
        rows = list(session.scalars(stmt.options(*WHOLE_TICKET)))
    items = rows[: flt.per_page]
    if len(rows) <= flt.per_page and flt.after is None and flt.page == 1:
        counted = len(rows)  # the whole result is on this page: counting would read the same rows again
    else:
        capped = matching.with_only_columns(Ticket.id).order_by(None).limit(COUNT_CAP + 1).subquery()
        counted = _capped_count(session, select(func.count()).select_from(capped))
    next_after = items[-1].id if len(rows) > flt.per_page and flt.order == "newest" else None
    return TicketPage(items, min(counted, COUNT_CAP), counted > COUNT_CAP, next_after)
