"""What keeps the console fast at a million tickets, checked for behaviour: the list pages by keyset and counts
only up to a cap, and the dashboard reads the scheduler's snapshot while it is fresh (and only then)."""

import re
from datetime import timedelta

from sqlalchemy import event

from hotline.accounts.actor import SYSTEM
from hotline.reports.dashboard import PERIODS, dashboard, period_figures
from hotline.reports.models import DashboardSnapshot
from hotline.scheduling.runner import run_due
from hotline.tickets import queries
from hotline.timeutil import utcnow

CALL = {
    "caller_name": "赵敏", "caller_phone": "13912345678", "text": "来电人反映邻居家孩子父母外出务工，孩子常一个人在家。",
    "category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县",
    "decision": "dispatch",
}


def take_calls(desk, n: int, **fields) -> list[str]:
    numbers = []
    for i in range(n):
        resp = desk.post("/console/new", {**CALL, **fields, "text": f"{CALL['text']}（第{i}次来电）"})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        numbers.append(resp.headers["Location"].rsplit("/", 1)[-1])
    return numbers


def listed(html: str) -> list[str]:
    section = html.split('id="ticket-list"', 1)[1]
    return re.findall(r'href="/console/tickets/([^"]+)"', section)


def next_link(html: str) -> str | None:
    found = re.search(r'href="(\?[^"]*after=\d+[^"]*)">下一页', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_queue_pages_by_keyset_through_every_ticket_once_keeping_the_filters(login):
    desk = login("operator")
    numbers = take_calls(desk, 7)
    take_calls(desk, 2, category="medical", kind="help")  # filtered out below
    lead = login("supervisor")
    seen, url, pages = [], "/console/queue?category=guardianship&per_page=3", 0
    while url:
        html = lead.get(url if url.startswith("/") else "/console/queue" + url).get_data(as_text=True)
        seen += listed(html)
        pages += 1
        url = next_link(html)
        if url:
            assert "category=guardianship" in url and "per_page=3" in url
        if pages > 1:
            assert "回到第一页" in html
    assert pages == 3
    assert seen == list(reversed(numbers))  # newest first, none twice, none skipped


def test_the_count_stops_at_the_cap_and_says_so(login, api_as, monkeypatch):
    desk = login("operator")
    take_calls(desk, 4)
    lead = login("supervisor")
    assert "共 4 张" in lead.get("/console/queue").get_data(as_text=True)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    assert "共 3+ 张" in lead.get("/console/queue").get_data(as_text=True)
    api = api_as("supervisor")
    body = api.get("/tickets", per_page=2).get_json()
    assert (body["total"], body["total_capped"], len(body["items"])) == (3, True, 2)
    rest = api.get("/tickets", per_page=2, after=body["next_after"]).get_json()
    assert len(rest["items"]) == 2 and rest["next_after"] is None
    # an export larger than the cap is refused rather than cut short
    resp = lead.get("/console/export.csv", follow_redirects=True)
    assert "text/csv" not in resp.content_type and "超过上限" in resp.get_data(as_text=True)


def test_a_count_over_the_cap_is_not_run_again_for_a_while(login, state, monkeypatch):
    desk = login("operator")
    take_calls(desk, 4)
    take_calls(desk, 2, category="medical", kind="help")
    lead = login("supervisor")
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    counts: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001, ARG001
        if statement.lstrip().upper().startswith("SELECT COUNT"):
            counts.append(statement)

    event.listen(state.db.engine, "before_cursor_execute", record)
    try:  # pages of one or two tickets, so that the count is needed at all
        for _ in range(3):
            assert "共 3+ 张" in lead.get("/console/queue?per_page=2").get_data(as_text=True)
        assert len(counts) == 1  # counted once, then known to be over the cap
        assert "共 2 张" in lead.get("/console/queue?category=medical&per_page=1").get_data(as_text=True)
        assert "共 2 张" in lead.get("/console/queue?category=medical&per_page=1").get_data(as_text=True)
        assert len(counts) == 3  # a count under the cap is run every time
        monkeypatch.setattr(queries, "OVER_CAP_SECONDS", 0.0)
        assert "共 3+ 张" in lead.get("/console/queue?per_page=2").get_data(as_text=True)
        assert len(counts) == 4  # once the memory has lapsed it counts again
    finally:
        event.remove(state.db.engine, "before_cursor_execute", record)


def test_the_dashboard_reads_a_fresh_snapshot_and_recomputes_a_stale_one(login, state):
    desk = login("operator")
    take_calls(desk, 2)
    lead = login("supervisor")
    run_due(state, utcnow(), only=("dashboard",))
    take_calls(desk, 1)  # after the snapshot
    page = lead.get("/console/dashboard").get_data(as_text=True)
    assert re.search(r"<b>2</b>工单总量", page)  # the snapshot's figure, as of its time
    run_due(state, utcnow() - timedelta(minutes=11), only=("dashboard",))  # older than twice the interval
    assert re.search(r"<b>3</b>工单总量", lead.get("/console/dashboard").get_data(as_text=True))


def test_the_snapshot_holds_the_live_figures_of_its_moment(login, state):
    desk = login("operator")
    take_calls(desk, 3)
    take_calls(desk, 1, category="medical", kind="help", decision="save")
    now = utcnow()
    run_due(state, now, only=("dashboard",))
    with state.db.transaction(readonly=True) as session:
        for days in PERIODS:
            assert session.get(DashboardSnapshot, days).figures == period_figures(session, SYSTEM, days, now)
        assert session.get(DashboardSnapshot, 30).figures["total"] == 4


def test_an_overdue_ticket_settled_after_the_snapshot_leaves_the_dashboards_list(login, state):
    desk = login("operator")
    number = take_calls(desk, 1)[0]
    later = utcnow() + timedelta(days=40)  # every clock of the ticket has run out
    run_due(state, later, only=("dashboard",))
    with state.db.transaction(readonly=True) as session:
        assert [t.number for t in dashboard(session, SYSTEM, now=later)["overdue"]] == [number]
    unit = login("agency_staff", "civil_affairs:长春市/农安县")
    assert unit.post(f"/console/tickets/{number}/actions/sign", {}).status_code == 302
    assert unit.post(f"/console/tickets/{number}/actions/resolve", {"result": "已上门核实并落实监护"}).status_code == 302
    with state.db.transaction(readonly=True) as session:
        assert dashboard(session, SYSTEM, now=later)["overdue"] == []


def test_the_dashboard_counts_every_overdue_ticket_lists_the_longest_overdue_and_links_to_all(login, state,
                                                                                          monkeypatch):
    import time_machine

    from hotline.reports import dashboard as dashboard_mod

    desk = login("operator")
    numbers = take_calls(desk, 5)
    monkeypatch.setattr(dashboard_mod, "OVERDUE_SHOWN", 2)
    later = utcnow() + timedelta(days=40)  # every clock has run out
    with state.db.transaction(readonly=True) as session:
        live = dashboard(session, SYSTEM, now=later)
        assert (live["overdue_count"], live["overdue_more"]) == (5, False)  # all of them, not the list's length
        assert [t.number for t in live["overdue"]] == numbers[:2]  # the longest overdue first, two shown
    run_due(state, later, only=("dashboard",))
    with state.db.transaction(readonly=True) as session:
        assert session.get(DashboardSnapshot, 30).figures["overdue_count"] == 5
        assert dashboard(session, SYSTEM, now=later)["overdue_count"] == 5  # the same from the snapshot
    monkeypatch.setattr(dashboard_mod, "COUNT_CAP", 3)
    with state.db.transaction(readonly=True) as session:
        capped = dashboard(session, SYSTEM, now=later + timedelta(minutes=11))  # stale snapshot: counted live
        assert (capped["overdue_count"], capped["overdue_more"]) == (3, True)
    monkeypatch.setattr(dashboard_mod, "COUNT_CAP", 10_000)
    with time_machine.travel(later + timedelta(minutes=1), tick=False):  # the snapshot is a minute old
        page = login("supervisor").get("/console/dashboard").get_data(as_text=True)
    assert re.search(r'<b id="overdue-count">5</b>', page) and "超期最久的 2 张" in page
    assert 'href="/console/queue?overdue=true"' in page
