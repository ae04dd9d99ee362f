"""No N+1 queries: the SQL statements a console page runs do not grow with the rows it shows.

Each page is requested with a few rows, then again with many more, counting the statements the request
sends to the database; the two counts must be equal (a per-row query would add one per row). The counts
themselves are printed on failure, so a change that adds a statement per request is visible too."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

CALL = {
    "caller_name": "赵敏", "caller_phone": "13912345678", "child_name": "刘洋", "child_age": "9",
    "address": "农安县某镇某村", "text": "来电人反映邻居家孩子父母外出务工，孩子常一个人在家，希望有人关心。",
    "category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县",
    "decision": "dispatch",
}


@contextmanager
def counted(state):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append(statement)

    engine = state.db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(state, request) -> list[str]:  # noqa: ANN001
    request()  # warm caches (taxonomy, knowledge base) outside the count
    with counted(state) as statements:
        assert request().status_code == 200
    # left out: savepoints, and the bookkeeping that runs by the clock or every few requests, not per row (the
    # knowledge base's change check, at most once a second; a rate-limit lease, once per lease)
    return [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))
            and "kb_meta" not in s and "rate_limit_counters" not in s]


def take_calls(desk, n: int) -> list[str]:
    numbers = []
    for i in range(n):
        resp = desk.post("/console/new", {**CALL, "text": f"{CALL['text']}（第{i}次来电）"})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        numbers.append(resp.headers["Location"].rsplit("/", 1)[-1])
    return numbers


@pytest.mark.parametrize("path", ["/console/queue", "/console/queue?order=deadline&per_page=100"])
def test_the_ticket_list_runs_the_same_statements_for_3_and_for_25_tickets(login, state, path):
    desk = login("operator")
    supervisor = login("supervisor")
    take_calls(desk, 3)
    few = statements_for(state, lambda: supervisor.get(path))
    take_calls(desk, 22)
    many = statements_for(state, lambda: supervisor.get(path))
    assert len(many) == len(few), (len(few), len(many), many)
    assert few  # the page did read the database


def test_the_ticket_page_runs_the_same_statements_whatever_its_history(login, state):
    desk = login("operator")
    supervisor = login("supervisor")
    quiet, busy = take_calls(desk, 2)
    for i in range(6):  # six 督办 events on one ticket's timeline
        assert supervisor.post(f"/console/tickets/{busy}/actions/supervise", {"note": f"请加快办理{i}"}).status_code == 302
    few = statements_for(state, lambda: supervisor.get(f"/console/tickets/{quiet}"))
    many = statements_for(state, lambda: supervisor.get(f"/console/tickets/{busy}"))
    assert len(many) == len(few), (len(few), len(many), many)
    assert few  # the page did read the database


def test_live_triage_runs_the_same_statements_whatever_the_callers_history(login, state):
    desk = login("operator")
    body = {"text": "孩子一个人在家，大人两天没回来，农安县", "phone": CALL["caller_phone"]}
    take_calls(desk, 1)
    few = statements_for(state, lambda: desk.client.post("/console/triage", json=body,
                                                          headers={"X-CSRF-Token": desk.csrf}))
    take_calls(desk, 12)
    many = statements_for(state, lambda: desk.client.post("/console/triage", json=body,
                                                           headers={"X-CSRF-Token": desk.csrf}))
    assert len(many) == len(few), (len(few), len(many), many)
    assert few  # the page did read the database


def test_the_api_list_runs_the_same_statements_for_3_and_for_25_tickets(login, state, api_as):
    desk = login("operator")
    api = api_as("supervisor")
    take_calls(desk, 3)
    few = statements_for(state, lambda: api.get("/tickets", per_page=50))
    take_calls(desk, 22)
    many = statements_for(state, lambda: api.get("/tickets", per_page=50))
    assert len(many) == len(few), (len(few), len(many), many)


def test_a_read_only_page_reads_its_notification_badge_in_its_own_unit_of_work(login, state):
    """The header's badge (every page has it) is one statement inside the list's read transaction, not a
    second transaction of three queries; each unit of work is a savepoint on the tests' pinned connection."""
    supervisor = login("supervisor")
    supervisor.get("/console/queue")
    with counted(state) as statements:
        page = supervisor.get("/console/queue")
    assert page.status_code == 200 and 'id="notify-count"' in page.get_data(as_text=True)
    units_of_work = [s for s in statements if s.lstrip().upper().startswith("SAVEPOINT")]
    badge = [s for s in statements if "notifications" in s and "SAVEPOINT" not in s]
    assert len(units_of_work) == 1, statements
    assert len(badge) == 1, badge


def test_a_request_reads_the_users_places_only_for_the_roles_that_have_places(login, state):
    """The session check loads the user on every request; the villages or township of a 儿童主任 or 儿童督导员
    scope what they see, and nobody else has any, so nobody else's request reads them."""
    supervisor = login("supervisor")
    supervisor.get("/console/queue")
    with counted(state) as statements:
        assert supervisor.get("/console/queue").status_code == 200
    assert [s for s in statements if "user_places" in s] == []


def test_a_ticket_page_without_a_childs_name_looks_up_no_place_for_the_register(login, state):
    """The register's suggestions weigh a place only beside a name: a call naming no child reads neither the
    counties nor the villages, and the co-handling units are read as names, not as units with
    their regions."""
    desk = login("operator")
    supervisor = login("supervisor")
    resp = desk.post("/console/new", {**CALL, "child_name": "", "text": CALL["text"] + "（未留孩子姓名）"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    nameless = resp.headers["Location"].rsplit("/", 1)[-1]
    named = take_calls(desk, 1)[0]
    without = statements_for(state, lambda: supervisor.get(f"/console/tickets/{nameless}"))
    with_name = statements_for(state, lambda: supervisor.get(f"/console/tickets/{named}"))
    assert not [s for s in without if "FROM regions" in s], without
    assert [s for s in with_name if "FROM regions" in s], with_name  # the name is weighed with its county
    assert not [s for s in without if "agency_units.code" in s and "ticket_co_units" in s], without


def test_a_first_page_that_holds_every_match_is_not_counted_again(login, state):
    """The count reads the same rows as the page; it runs only when there may be more than one page."""
    desk = login("operator")
    supervisor = login("supervisor")
    take_calls(desk, 3)

    def ticket_counts(path: str) -> list[str]:  # the notification badge counts too: not this one
        statements = statements_for(state, lambda: supervisor.get(path))
        return [s for s in statements if "count(" in s.lower() and "notifications" not in s]

    assert ticket_counts("/console/queue?per_page=50") == []
    assert ticket_counts("/console/queue?per_page=2")
    assert "共 3 张" in supervisor.get("/console/queue?per_page=50").get_data(as_text=True)
    assert "共 3 张" in supervisor.get("/console/queue?per_page=2").get_data(as_text=True)


def test_the_dashboard_reads_1_or_19_overdue_leads_alike_and_counts_25_with_one_statement_more(login, state):
    """The listed overdue leads and their units come in one read, whatever their number; all of them are
    counted by one more statement once the list is full."""
    from datetime import timedelta

    from hotline.accounts.actor import SYSTEM
    from hotline.sentiment import leads
    from hotline.sentiment.models import SentimentEvent
    from hotline.sentiment.pipeline import ingest_batch
    from hotline.timeutil import utcnow

    places = ["九台区", "农安县", "德惠市", "榆树市", "双阳区"]
    harms = ["被继父用皮带抽得浑身是伤", "一个人被锁在家里三天没吃饭", "在冰窟窿边上玩没人看着",
             "说不想活了还把刀藏在枕头底下", "被陌生男人领上了一辆面包车"]

    def overdue_leads(n: int, offset: int) -> None:  # each lead 30 days old: overdue whatever its risk
        now = utcnow()
        ingest_batch(state, [{"source": "weibo", "external_id": f"dash-{offset + i}", "published_at": now.isoformat(),
                              "text": f"急扩！长春市{places[(offset + i) % 5]}某村，{3 + (offset + i) // 5}岁的孩子"
                                      f"{harms[(offset + i) // 5 % 5]}，求求有关部门快去看看"} for i in range(n)])
        with state.db.transaction() as session:
            events = session.scalars(select(SentimentEvent).where(~SentimentEvent.leads.any())).all()
            for event in events:
                leads.open_lead(session, event, SYSTEM, policy=state.policy, taxonomy=state.taxonomy,
                                now=now - timedelta(days=30))
            assert len(events) == n

    def overdue_count() -> int:
        page = supervisor.get("/console/dashboard").get_data(as_text=True)
        return int(re.search(r"<b>(\d+)</b>超期未报告", page).group(1))

    supervisor = login("supervisor")
    overdue_leads(1, 0)
    few = statements_for(state, lambda: supervisor.get("/console/dashboard"))
    assert overdue_count() == 1
    overdue_leads(leads.OVERDUE_LISTED - 2, 1)
    many = statements_for(state, lambda: supervisor.get("/console/dashboard"))
    assert overdue_count() == leads.OVERDUE_LISTED - 1
    assert len(many) == len(few), (len(few), len(many), many)
    overdue_leads(6, leads.OVERDUE_LISTED - 1)
    full = statements_for(state, lambda: supervisor.get("/console/dashboard"))
    assert overdue_count() == leads.OVERDUE_LISTED + 5 == 25
    assert len(full) == len(few) + 1, (len(few), len(full), full)
