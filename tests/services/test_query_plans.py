"""The ticket list's filters walk the index that narrows them most, with the statistics a year of tickets gives
SQLite (``ANALYZE``'s ``sqlite_stat1``): nearly every ticket closed, a category a tenth of them. Checked on a
database of its own, whichever backend the suite runs on; PostgreSQL keeps value histograms and needs no hint."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event, text

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.db import Database
from hotline.migrate import upgrade
from hotline.tickets.queries import TicketFilter, list_tickets

SUPERVISOR = Actor("user", "lead", Role.SUPERVISOR, id=1)
#: what ANALYZE wrote for a million tickets: rows, then rows per distinct value (7 statuses, 10 categories, 2
#: urgencies, 9 prefectures; for the filters' index, per distinct status, then status and urgency, and so on)
A_YEAR = {"ix_tickets_status": "1000000 142858", "ix_tickets_category": "1000000 100000",
          "ix_tickets_urgency": "1000000 500000", "ix_tickets_filters": "1000000 142858 71429 7937 794"}


@pytest.fixture
def year_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        conn.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'tickets'"))
        for index, stat in A_YEAR.items():
            conn.execute(text("INSERT INTO sqlite_stat1 VALUES ('tickets', :i, :s)"), {"i": index, "s": stat})
        conn.execute(text("ANALYZE sqlite_schema"))  # reload the statistics
    db.engine.dispose()  # every new connection reads them
    yield db
    db.dispose()


def _plans(db: Database, flt: TicketFilter) -> list[str]:
    """The query plan of each statement the list runs."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.transaction(readonly=True) as session:
            list_tickets(session, SUPERVISOR, flt)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    with db.engine.connect() as conn:
        return [" ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p).all())
                for s, p in seen if "FROM tickets" in s]


def test_an_open_status_and_a_category_walk_the_status_index(year_db):
    plans = _plans(year_db, TicketFilter(status="dispatched", category="guardianship", brief=True))
    assert plans and all("ix_tickets_status (status=?)" in p or "ix_tickets_filters (status=?)" in p
                         for p in plans), plans


def test_an_open_status_with_other_filters_is_counted_inside_the_filters_index(year_db):
    three = TicketFilter(status="dispatched", urgency="urgent", prefecture="长春市", brief=True)
    (page,) = _plans(year_db, three)
    assert "ix_tickets_filters (status=? AND urgency=? AND prefecture=?)" in page, page
    # a next page is always counted (a first page holding every match is not counted again)
    _, count = _plans(year_db, replace(three, after=10**9))
    assert "COVERING INDEX ix_tickets_filters (status=? AND urgency=? AND prefecture=?)" in count, count
    (page,) = _plans(year_db, TicketFilter(status="dispatched", urgency="urgent", prefecture="长春市",
                                           category="guardianship", brief=True))
    assert "ix_tickets_filters (status=? AND urgency=? AND prefecture=? AND category=?)" in page, page
    assert "ORDER BY" not in page, page  # all four fixed: the index gives the newest first


def test_closed_tickets_of_a_category_walk_the_category_index(year_db):
    plans = _plans(year_db, TicketFilter(status="closed", category="guardianship", brief=True))
    assert plans and all("ix_tickets_category" in p for p in plans), plans
