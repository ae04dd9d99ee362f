"""AC-3: one scoping rule behind every list. Tickets dispatched at random across the agencies of one
county (lead and co-units); each agency's list total, every page and every filter agrees with a count the
test makes itself from the tables."""

from __future__ import annotations

import random

from sqlalchemy import func, or_, select

from hotline.directory.models import AgencyUnit
from hotline.tickets.models import Ticket, ticket_co_units

LABELS = {"category": "guardianship", "kind": "report", "urgency": "normal", "prefecture": "长春市", "county": "农安县"}
CALL = {"channel": "phone", "text": "来电人反映邻居家孩子父母外出务工，孩子常常一个人在家。"}


def _expected(state, code: str, **where) -> int:
    with state.db.transaction(readonly=True) as s:
        unit_id = s.scalar(select(AgencyUnit.id).where(AgencyUnit.code == code))
        co = select(ticket_co_units.c.ticket_id).where(ticket_co_units.c.unit_id == unit_id)
        stmt = select(func.count()).select_from(Ticket).where(or_(Ticket.lead_unit_id == unit_id, Ticket.id.in_(co)))
        for column, value in where.items():
            stmt = stmt.where(getattr(Ticket, column) == value)
        return s.scalar(stmt)


def test_every_agency_sees_exactly_its_own_tickets(api_as, state):
    with state.db.transaction(readonly=True) as s:  # the county's agencies (prison administration sits higher up)
        codes = sorted(s.scalars(select(AgencyUnit.code).where(AgencyUnit.code.like("%:长春市/农安县"))))
    assert len(codes) >= 15 and {code.split(":")[0] for code in codes} <= set(state.taxonomy.agencies)
    rng = random.Random(12345)
    desk = api_as("dispatcher")
    for _ in range(30):
        number = desk.post("/tickets", json=CALL).get_json()["number"]
        assert desk.act(number, "triage", **{**LABELS, "urgency": rng.choice(["normal", "urgent"])}).status_code == 200
        lead, *co = rng.sample(codes, rng.randint(1, 3))
        resp = desk.act(number, "dispatch", unit=lead, co_units=co)
        assert resp.status_code == 200, resp.get_json()
    for code in codes:
        staff = api_as("agency_staff", code)
        listed = staff.get("/tickets", per_page=7).get_json()
        assert listed["total"] == _expected(state, code), code
        seen, page = [], 1
        while True:
            items = staff.get("/tickets", per_page=7, page=page).get_json()["items"]
            if not items:
                break
            seen += [item["number"] for item in items]
            page += 1
        assert len(seen) == len(set(seen)) == listed["total"]
        urgent = staff.get("/tickets", urgency="urgent").get_json()["total"]
        assert urgent == _expected(state, code, urgency="urgent"), code
        for number in seen[:2]:
            assert staff.get(f"/tickets/{number}").status_code == 200
    # and a unit of another county, however named, sees none of them
    assert api_as("agency_staff", "civil_affairs:长春市/榆树市").get("/tickets").get_json()["total"] == 0
