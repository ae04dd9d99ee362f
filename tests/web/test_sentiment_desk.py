"""The sentiment desk in the console: events, a lead opened to the county, the unit's inbox, report,
send-back, close; unit isolation; the dashboard's lead figures; the feed admin page."""

import re
from datetime import timedelta

from sqlalchemy import select

from hotline.accounts.actor import SYSTEM
from hotline.reports.models import DashboardSnapshot
from hotline.scheduling.runner import run_due
from hotline.sentiment import leads
from hotline.sentiment.models import Lead, SentimentEvent
from hotline.sentiment.pipeline import ingest_batch
from hotline.timeutil import utcnow

UNIT = "civil_affairs:长春市/九台区"
STORY = ("#长春寻人# 急寻！九台区营城街道一名8岁男孩今天下午放学后一直没到家，穿蓝白色校服，背黑色书包。"
         "家里人找了一下午了，有看到的朋友请联系孩子爸爸或者直接报警！求扩散")


def story(state, **over) -> int:
    """A high-risk story (an emergency cue) in 九台区; returns its event id."""
    now = utcnow()
    ingest_batch(state, [{"source": "weibo", "external_id": "jt-1", "text": STORY,
                          "published_at": (now - timedelta(hours=1)).isoformat(), **over},
                         {"source": "weibo", "external_id": "jt-2", "text": "转发微博 🙏 //@九台生活圈:扩散！" + STORY,
                          "published_at": now.isoformat(), "metrics": {"reposts": 40, "comments": 7}}])
    with state.db.transaction(readonly=True) as session:
        return session.scalars(select(SentimentEvent.id)).one()


def test_event_to_lead_to_report_to_close(state, login):
    event_id = story(state)
    desk = login("dispatcher")
    page = desk.get("/console/sentiment").get_data(as_text=True)
    assert f"/console/sentiment/events/{event_id}" in page and "九台区" in page
    page = desk.get(f"/console/sentiment/events/{event_id}").get_data(as_text=True)
    assert "高风险舆情" in page and "转发微博" in page and 'id="open-lead"' in page

    resp = desk.post(f"/console/sentiment/events/{event_id}/leads", {"instructions": "请核实孩子是否已找到"})
    assert resp.status_code == 302
    number = resp.headers["Location"].rsplit("/", 1)[1]
    with state.db.transaction(readonly=True) as session:
        lead = session.scalar(select(Lead).where(Lead.number == number))
        assert lead.unit.code == UNIT and lead.status == "dispatched" and lead.risk == "high"
        assert timedelta(hours=23, minutes=59) < lead.due_at - lead.opened_at <= timedelta(hours=24)
    # one open lead per event: the form is gone and a second post is refused
    assert 'id="open-lead"' not in desk.get(f"/console/sentiment/events/{event_id}").get_data(as_text=True)
    assert desk.post(f"/console/sentiment/events/{event_id}/leads", {}).status_code == 409

    county = login("agency_staff", UNIT)
    inbox = county.get("/console/inbox").get_data(as_text=True)
    assert number in inbox and "舆情核查线索" in inbox
    other = login("agency_staff", "civil_affairs:长春市/农安县")
    assert number not in other.get("/console/inbox").get_data(as_text=True)
    assert other.get(f"/console/leads/{number}").status_code == 404
    assert other.post(f"/console/leads/{number}/actions/sign", {}).status_code == 404

    def act(browser, name, **form):
        resp = browser.post(f"/console/leads/{number}/actions/{name}", form)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return browser.get(f"/console/leads/{number}").get_data(as_text=True)

    assert "签收" in act(county, "sign")
    page = act(county, "report", verdict="maybe", actions_taken="")  # refused: the values are shown why
    assert "核查结论" in page and lead_status(state, number) == "accepted"
    act(county, "report", verdict="partly_true", actions_taken="孩子已于当晚找到，系在同学家", public_response_needed="on")
    page = act(desk, "send_back", reason="请补充监护情况核查")
    assert lead_status(state, number) == "sent_back" and "请补充监护情况核查" in page
    act(county, "report", verdict="true", actions_taken="已核实，监护人外出务工，已落实委托照护")
    page = act(desk, "close", note="同意办结")
    assert lead_status(state, number) == "closed" and "已办结" in page
    with state.db.transaction(readonly=True) as session:
        lead = session.scalar(select(Lead).where(Lead.number == number))
        assert [e.action for e in lead.events] == ["open", "sign", "report", "send_back", "report", "close"]
        assert lead.verdict == "true" and lead.public_response_needed is False
    # a closed lead is off the inbox; the event may get a new lead
    assert number not in county.get("/console/inbox").get_data(as_text=True)
    assert 'id="open-lead"' in desk.get(f"/console/sentiment/events/{event_id}").get_data(as_text=True)


def lead_status(state, number):
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(Lead.status).where(Lead.number == number))


def test_roles_and_wrong_actions(state, login):
    event_id = story(state)
    operator = login("operator")
    assert operator.get("/console/sentiment").status_code == 403
    county = login("agency_staff", UNIT)
    assert county.get("/console/sentiment").status_code == 403
    assert county.post(f"/console/sentiment/events/{event_id}/leads", {}).status_code == 403
    desk = login("dispatcher")
    assert desk.get("/console/sentiment/events/999999").status_code == 404
    assert desk.get("/console/sentiment?risk=extreme").status_code == 422
    number = desk.post(f"/console/sentiment/events/{event_id}/leads", {"unit": "no_such:unit"}).status_code
    assert number == 422
    resp = desk.post(f"/console/sentiment/events/{event_id}/leads", {"agency": "category_lead"})
    number = resp.headers["Location"].rsplit("/", 1)[1]
    # dispatchers cannot sign for the unit; the unit cannot close
    desk.post(f"/console/leads/{number}/actions/sign", {})
    assert lead_status(state, number) == "dispatched"
    assert desk.post(f"/console/leads/{number}/actions/nonsense", {}).status_code == 404


def test_overdue_leads_are_flagged_in_inbox_and_dashboard(state, login):
    event_id = story(state)
    opened = utcnow() - timedelta(hours=30)
    with state.db.transaction() as session:
        event = session.get(SentimentEvent, event_id)
        lead = leads.open_lead(session, event, SYSTEM, policy=state.policy, taxonomy=state.taxonomy, now=opened)
        number = lead.number
        assert leads.is_overdue(lead, utcnow())
    county = login("agency_staff", UNIT)
    inbox = county.get("/console/inbox").get_data(as_text=True)
    assert re.search(rf'<tr class="overdue">\s*<td><a href="[^"]*{number}"', inbox) and "核查超时" in inbox
    board = login("supervisor").get("/console/dashboard").get_data(as_text=True)
    section = board[board.index('id="lead-figures"'):]
    assert number in section and "超期未报告" in section
    # the unit sees its own overdue lead on its page, the dashboard counts it for the supervisor only
    assert "核查超时" in county.get(f"/console/leads/{number}").get_data(as_text=True)


def test_the_dashboards_lead_figures_come_from_the_snapshot_and_a_lead_reported_since_leaves_its_list(state, login):
    event_id = story(state)
    with state.db.transaction() as session:
        lead = leads.open_lead(session, session.get(SentimentEvent, event_id), SYSTEM, policy=state.policy,
                               taxonomy=state.taxonomy, now=utcnow() - timedelta(hours=30))
        number, lead_id = lead.number, lead.id
    run_due(state, utcnow(), only=("dashboard",))
    with state.db.transaction(readonly=True) as session:
        figures = session.get(DashboardSnapshot, 30).figures["leads"]
        assert (figures["total"], figures["overdue_ids"], figures["overdue_count"]) == (1, [lead_id], 1)

    def lead_section() -> str:
        board = login("supervisor").get("/console/dashboard").get_data(as_text=True)
        return board[board.index('id="lead-figures"'):board.index("</section>", board.index('id="lead-figures"'))]

    assert number in lead_section()
    county = login("agency_staff", UNIT)
    for action, form in (("sign", {}), ("report", {"verdict": "false", "actions_taken": "经核实孩子当晚已到家"})):
        assert county.post(f"/console/leads/{number}/actions/{action}", form).status_code == 302
    section = lead_section()
    # the counts are the snapshot's, as of its time; the overdue list is as it is now
    assert re.search(r"<b>1</b>已下发", section) and number not in section
    run_due(state, utcnow() - timedelta(minutes=11), only=("dashboard",))  # stale: computed live
    section = lead_section()
    assert re.search(r"<b>1</b>已报告", section) and re.search(r"<b>0</b>超期未报告", section)


def test_feed_admin_registers_and_pauses_feeds(login):
    admin = login("admin")
    resp = admin.post("/console/sentiment/feeds", {"name": "吉林日报", "url": "http://127.0.0.1:9/rss", "source": "news"})
    assert resp.status_code == 302
    page = admin.get("/console/sentiment/feeds").get_data(as_text=True)
    assert "吉林日报" in page and "未抓取" in page
    assert admin.post("/console/sentiment/feeds", {"name": "x", "url": "http://127.0.0.1:9/rss",
                                                   "source": "news"}).status_code == 409
    assert admin.post("/console/sentiment/feeds", {"name": "x", "url": "ftp://x", "source": "news"}).status_code == 422
    feed_id = re.search(r"/console/sentiment/feeds/(\d+)/active", page).group(1)
    assert admin.post(f"/console/sentiment/feeds/{feed_id}/active", {"active": "false"}).status_code == 302
    assert "已停用" in admin.get("/console/sentiment/feeds").get_data(as_text=True)
    assert admin.post("/console/sentiment/feeds/999999/active", {"active": "true"}).status_code == 404
    assert login("dispatcher").get("/console/sentiment/feeds").status_code == 403
