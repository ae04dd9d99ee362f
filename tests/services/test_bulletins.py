"""The monthly bulletin (调度通报) and the annual progress report: figures computed from tickets and leads driven
through the real services at fixed Beijing moments, idempotent publishing and its notifications, the XLSX, and
no personal data anywhere in a report."""

import io
import json
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline.accounts.actor import SYSTEM, Actor
from hotline.accounts.models import Role
from hotline.errors import InputError
from hotline.notifications.models import Notification
from hotline.reports import bulletins, workbook
from hotline.reports.models import PublishedReport
from hotline.scheduling.jobs import JobContext
from hotline.sentiment.leads import open_lead, perform_lead_action
from hotline.sentiment.models import SentimentEvent
from hotline.tickets.actions import perform_action
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.timeutil import SHANGHAI

DESK = Actor("user", "desk-test", Role.DISPATCHER)
PERSONAL = {"caller_name": "王小红", "caller_phone": "13812341234", "child_name": "李小明",
            "address": "农安县某镇幸福村3组5号"}
GUARDIANSHIP = {"category": "guardianship", "kind": "help", "urgency": "urgent", "prefecture": "长春市",
                "county": "农安县"}


def bj(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class World:
    """Tickets and leads in one transaction, every step at an explicit moment."""

    def __init__(self, session, state):  # noqa: ANN001
        self.session, self.state = session, state

    def ticket(self, received: datetime, text: str = "来电人反映孩子父母外出务工，孩子常一个人在家。") -> str:
        req = IntakeRequest(channel="phone", text=text, received_at=received, **PERSONAL)
        return intake(self.session, req, DESK, cipher=self.state.cipher)[0].number

    def act(self, number: str, name: str, when: datetime, actor: Actor = DESK, **payload) -> Ticket:  # noqa: ANN003
        return perform_action(self.session, number, name, actor, payload, policy=self.state.policy,
                              taxonomy=self.state.taxonomy, now=when)

    def unit(self, number: str) -> Actor:
        t = self.session.scalar(select(Ticket).where(Ticket.number == number))
        return Actor("user", "unit-test", Role.AGENCY_STAFF, unit_id=t.lead_unit_id)

    def lead(self, opened: datetime, risk: str) -> str:
        event = SentimentEvent(title="某县儿童疑似无人照看", first_seen=opened, last_seen=opened, item_count=1,
                               risk=risk, relevant=True, category="guardianship", prefecture="长春市", county="农安县")
        self.session.add(event)
        self.session.flush()
        return open_lead(self.session, event, SYSTEM, policy=self.state.policy, taxonomy=self.state.taxonomy,
                         now=opened).number

    def lead_act(self, number: str, name: str, when: datetime, actor: Actor, **payload) -> None:  # noqa: ANN003
        perform_lead_action(self.session, number, name, actor, payload, policy=self.state.policy, now=when)


def build_world(session, state) -> dict[str, str]:  # noqa: ANN001
    """March 2026 (Beijing), with tickets just outside it on both sides.

    A  received 03-02, dispatched, signed, fed back, resolved on time, callback 满意 -> closed
    B  received 03-05, dispatched, signed late, never fed back or resolved -> overdue at month end; 督办 03-20
    C  received 03-10, 吉林市蛟河市 medical, triaged only
    D  received 03-31 23:30 Beijing (15:30 UTC: still March), category other, 长春市 with no county
    G  received 03-31 20:00, dispatched 04-01 09:00 (after the month): counted as received, not as dispatched
    E  received 04-01 00:30 Beijing (still 03-31 in UTC): April
    F  received 02-26, dispatched, never signed: overdue at the end of March although not a March ticket
    """
    w = World(session, state)
    n = {}
    n["A"] = w.ticket(bj(3, 2, 9))
    w.act(n["A"], "dispatch", bj(3, 2, 9, 10), **GUARDIANSHIP)
    unit = w.unit(n["A"])
    w.act(n["A"], "sign", bj(3, 2, 9, 30), unit)
    w.act(n["A"], "progress", bj(3, 2, 15), unit, note="已入户走访")
    w.act(n["A"], "resolve", bj(3, 3, 10), unit, result="已联系村委会落实照护")
    w.act(n["A"], "callback", bj(3, 4, 10), satisfaction="satisfied")

    n["B"] = w.ticket(bj(3, 5, 10))
    w.act(n["B"], "dispatch", bj(3, 5, 10, 5), **GUARDIANSHIP)
    w.act(n["B"], "sign", bj(3, 5, 13), w.unit(n["B"]))  # due 12:05
    w.act(n["B"], "supervise", bj(3, 20, 9), note="请尽快办理")

    n["C"] = w.ticket(bj(3, 10, 11), text="孩子白血病治疗费用太高，想问医疗救助怎么申请。")
    w.act(n["C"], "triage", bj(3, 10, 11, 5), category="medical", kind="help", urgency="normal",
          prefecture="吉林市", county="蛟河市")

    n["D"] = w.ticket(bj(3, 31, 23, 30), text="小区路灯坏了。")
    w.act(n["D"], "triage", bj(3, 31, 23, 35), category="other", kind="complaint", urgency="normal",
          prefecture="长春市")

    n["G"] = w.ticket(bj(3, 31, 20))
    w.act(n["G"], "dispatch", bj(4, 1, 9), **GUARDIANSHIP)

    n["E"] = w.ticket(bj(4, 1, 0, 30))
    w.act(n["E"], "triage", bj(4, 1, 0, 35), **GUARDIANSHIP)

    n["F"] = w.ticket(bj(2, 26, 10), text="学校里有孩子被高年级学生打伤。")
    w.act(n["F"], "dispatch", bj(2, 26, 10, 10), category="personal_safety", kind="report", urgency="urgent",
          prefecture="四平市", county="梨树县")
    w.act(n["F"], "supervise", bj(2, 27, 9), note="请尽快签收")

    # leads: L1 high, reported on time in March; L2 medium, never reported (overdue at month end); L3 in April
    n["L1"] = w.lead(bj(3, 3, 10), "high")
    county = Actor("user", "county-test", Role.AGENCY_STAFF,
                   unit_id=session.scalar(select(Ticket.lead_unit_id).where(Ticket.number == n["A"])))
    w.lead_act(n["L1"], "sign", bj(3, 3, 12), county)
    w.lead_act(n["L1"], "report", bj(3, 3, 20), county, verdict="true", actions_taken="已到场核实",
               public_response_needed=False)
    n["L2"] = w.lead(bj(3, 20, 10), "medium")
    n["L3"] = w.lead(bj(4, 2, 10), "medium")
    return n


def test_periods_are_parsed_and_refused_clearly():
    now = bj(12, 4, 14)
    assert bulletins.month_before(bj(12, 1, 6)) == "2026-11" and bulletins.month_before(bj(1, 1, 0)) == "2025-12"
    assert bulletins.month_before(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) == "2026-11"  # 12-01 00:30 Beijing
    period = bulletins.parse_period("bulletin", "2026-11", now=now)
    assert (period.start, period.end) == (bj(11, 1, 0), bj(12, 1, 0)) and period.title == "2026年11月调度通报"
    assert bulletins.parse_period("annual", "2026", now=now).title == "2026年度工作进展报告"
    for kind, code, error in (("bulletin", "2026-13", "bad_period"), ("bulletin", "2026/11", "bad_period"),
                              ("bulletin", "2026-12", "period_not_ended"), ("annual", "26", "bad_period"),
                              ("annual", "2027", "period_not_started"), ("weekly", "2026", "bad_kind")):
        with pytest.raises(InputError) as caught:
            bulletins.parse_period(kind, code, now=now)
        assert caught.value.code == error and caught.value.status == 422


def test_monthly_bulletin_figures_and_idempotent_publish(state):
    with state.db.transaction() as session:
        numbers = build_world(session, state)
        ctx = JobContext(runtime=state, now=bj(4, 1, 6), session=session)
        assert bulletins.publish_monthly(ctx) == {"reports": 1}
        report = session.scalar(select(PublishedReport))
        assert (report.kind, report.period) == ("bulletin", "2026-03")
        d = report.data

        t = d["tickets"]
        assert (t["received"], t["children"], t["other"], t["unclassified"]) == (5, 4, 1, 0)
        assert t["children_handled"] == 1  # A only
        assert [(c["code"], c["count"]) for c in t["by_category"]] == [("guardianship", 3), ("medical", 1),
                                                                      ("other", 1)]
        assert d["by_prefecture"] == [{"prefecture": "长春市", "count": 4}, {"prefecture": "吉林市", "count": 1}]
        assert [(c["prefecture"], c["county"], c["count"]) for c in d["by_county"]] == [
            ("长春市", "农安县", 3), ("长春市", bulletins.NO_COUNTY, 1), ("吉林市", "蛟河市", 1)]

        # A and B were dispatched in March (G on 04-01 is not); judged as of the month's end
        [unit] = d["units"]
        assert unit == {"unit": "长春市农安县民政局", "dispatched": 2, "signed_on_time": 1, "sign_due": 2,
                        "first_feedback_on_time": 1, "first_feedback_due": 2, "resolved_on_time": 1,
                        "resolve_due": 2, "satisfied": 1, "rated": 1}

        # overdue at the month's end: B (its March clocks) and F (a February ticket); G's clocks began later
        assert d["overdue"]["tickets"] == 2
        listed = {r["number"]: r for r in d["overdue"]["ticket_list"]}
        assert set(listed) == {numbers["B"], numbers["F"]}
        assert listed[numbers["B"]]["clocks"] == "首次反馈、办结" and listed[numbers["B"]]["supervised"] == 1
        assert listed[numbers["F"]]["clocks"] == "签收、首次反馈、办结"

        leads = d["leads"]
        assert (leads["total"], leads["reported"], leads["on_time"]) == (2, 1, 1)
        assert leads["by_status"]["reported"] == 1 and leads["by_status"]["dispatched"] == 1
        assert leads["by_verdict"] == {"true": 1, "partly_true": 0, "false": 0}
        assert d["overdue"]["leads"] == 1 and [r["number"] for r in d["overdue"]["lead_list"]] == [numbers["L2"]]
        assert d["supervision"] == {"tickets_manual": 1, "tickets_escalated": 0, "leads_manual": 0,
                                    "leads_escalated": 0}

        summary = dict(bulletins.sheets(report)[0].rows)
        assert summary["受理工单"] == 5 and summary["按时签收率"] == 0.5 and summary["满意率（满意、基本满意 / 已回访）"] == 1.0
        assert summary["统计区间"] == "2026-03-01 至 2026-03-31（北京时间）"

        notes = session.scalars(select(Notification).where(Notification.kind == "report")).all()
        assert sorted(n.audience for n in notes) == ["dispatcher", "supervisor"]
        assert {(n.ref, n.link) for n in notes} == {("report:bulletin:2026-03", "/console/reports/bulletin/2026-03")}

        # running again for the same moment (or later in April) changes nothing, even with new March data
        before = json.dumps(d, sort_keys=True)
        World(session, state).ticket(bj(3, 15, 9))
        assert bulletins.publish_monthly(ctx) == {"reports": 0}
        assert bulletins.publish_monthly(JobContext(runtime=state, now=bj(4, 20, 6), session=session)) == {"reports": 0}
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(PublishedReport)) == 1
        assert json.dumps(session.scalar(select(PublishedReport)).data, sort_keys=True) == before
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "report")) == 2


def test_annual_report_covers_the_year_so_far_and_lists_what_people_must_add(state):
    with state.db.transaction() as session:
        numbers = build_world(session, state)
        bulletins.publish_monthly(JobContext(runtime=state, now=bj(4, 1, 6), session=session))
        ctx = JobContext(runtime=state, now=bj(11, 20, 6), session=session)
        assert bulletins.publish_annual(ctx) == {"reports": 1}
        assert bulletins.publish_annual(ctx) == {"reports": 0}
        d = bulletins.get_report(session, "annual", "2026").data

        assert d["title"] == "2026年度工作进展报告" and (d["first_day"], d["last_day"]) == ("2026-01-01", "2026-11-20")
        assert d["tickets"]["received"] == 7 and d["tickets"]["children"] == 6
        months = {m["month"]: m["count"] for m in d["by_month"]}
        assert len(months) == 11 and (months["2026-02"], months["2026-03"], months["2026-04"]) == (1, 5, 1)
        sections = {s["section"]: (s["count"], s["handled"]) for s in d["plan_sections"]}
        assert sections["三（二）监护提质行动"] == (4, 1)  # A, B, E, G
        assert sections["三（三）精准帮扶行动"] == (1, 0) and sections["三（四）安全防护行动"] == (1, 0)
        assert d["bulletins_published"] == 1
        # as of 11-20: B, F and G (dispatched 04-01, never signed) are overdue; L2 and L3 unreported
        assert d["overdue"]["tickets"] == 3 and numbers["G"] in {r["number"] for r in d["overdue"]["ticket_list"]}
        assert d["overdue"]["leads"] == 2 and d["leads"]["total"] == 3
        assert d["supervision"]["tickets_manual"] == 2
        manual = {m["section"] for m in d["manual"]}
        assert {"三（五）16 儿童主任队伍建设", "五（一）加强组织领导", "四（三）巩固提升"} <= manual

        names = [s.name for s in bulletins.sheets(d)]
        assert names == ["概况", "按月", "按分类", "儿童关爱事项", "按市州", "按县区", "承办单位", "核查线索",
                         "超期工单", "超期线索", "须人工补充"]


def test_xlsx_has_the_sheets_and_no_personal_data(state):
    with state.db.transaction() as session:
        numbers = build_world(session, state)
        report, created = bulletins.publish(session, "bulletin", "2026-03", state.taxonomy, now=bj(4, 1, 6))
        assert created
        body = workbook.to_xlsx(report.data["title"], bulletins.sheets(report))
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["概况", "按分类", "按市州", "按县区", "承办单位", "核查线索", "超期工单", "超期线索"]
    overdue = [[c.value for c in row] for row in book["超期工单"].iter_rows()]
    assert overdue[0][:3] == ["工单编号", "业务分类", "市（州）"]
    assert {row[0] for row in overdue[1:]} == {numbers["B"], numbers["F"]}
    units = [[c.value for c in row] for row in book["承办单位"].iter_rows()]
    assert units[1][:3] == ["长春市农安县民政局", 2, 0.5] and book["承办单位"]["C2"].number_format == "0.0%"
    text = json.dumps(report.data, ensure_ascii=False) + json.dumps(
        [[c.value for row in book[name].iter_rows() for c in row] for name in book.sheetnames], ensure_ascii=False,
        default=str)
    for value in (*PERSONAL.values(), "1381234", "幸福村", "常一个人在家", "白血病"):
        assert value not in text


def test_xlsx_neutralises_formulas():
    sheet = bulletins.Sheet("概况", "概况", ["项目", "数值"], [["=HYPERLINK(\"http://x\")", 1], ["@SUM(A1)", None]])
    book = load_workbook(io.BytesIO(workbook.to_xlsx("+title", [sheet])))
    values = [c.value for row in book["概况"].iter_rows(min_row=2) for c in row]
    assert values == ["'=HYPERLINK(\"http://x\")", 1, "'@SUM(A1)", "—"]


def test_a_month_without_tickets_is_published_with_zeros(state):
    with state.db.transaction() as session:
        report, created = bulletins.publish(session, "bulletin", "2025-01", state.taxonomy, now=bj(2, 1, 6, year=2025))
        assert created and report.data["tickets"]["received"] == 0 and report.data["units"] == []
        assert all(s.rows or s.name in {"按分类", "按市州", "按县区", "承办单位", "超期工单", "超期线索"}
                   for s in bulletins.sheets(report))


def test_lead_figures_agree_with_counting_each_lead(state):
    """The grouped read of ``lead_figures`` against the definition, lead by lead: on time, late, not reported,
    every verdict."""
    from hotline.sentiment.leads import is_overdue, lead_figures
    from hotline.sentiment.models import Lead

    with state.db.transaction() as session:
        n = build_world(session, state)
        w = World(session, state)
        county = Actor("user", "county-test", Role.AGENCY_STAFF,
                       unit_id=session.scalar(select(Ticket.lead_unit_id).where(Ticket.number == n["A"])))
        for day, verdict, reported in ((6, "partly_true", bj(3, 6, 20)), (7, "false", bj(4, 15, 20)),
                                       (8, "false", bj(3, 8, 20)), (9, None, None)):
            number = w.lead(bj(3, day, 10), "high")
            w.lead_act(number, "sign", bj(3, day, 11), county)
            if reported:
                w.lead_act(number, "report", reported, county, verdict=verdict, actions_taken="已到场核实",
                           public_response_needed=False)
        since, now = bj(3, 1, 0), bj(5, 1, 0)
        got = lead_figures(session, SYSTEM, since, now)
        leads = [x for x in session.scalars(select(Lead)) if x.opened_at >= since]
        reported = [x for x in leads if x.reported_at is not None]
        assert got["total"] == len(leads) == 7
        assert got["by_status"] == {s: sum(x.status == s for x in leads) for s in got["by_status"]}
        assert got["reported"] == len(reported) == 4
        assert got["on_time"] == sum(x.reported_at <= x.due_at for x in reported) == 3  # the April report is late
        assert got["by_verdict"] == {"true": 1, "partly_true": 1, "false": 2}
        late = sorted((x for x in session.scalars(select(Lead)) if is_overdue(x, now)), key=lambda x: x.due_at)
        assert got["overdue_ids"] == [x.id for x in late] and got["overdue_count"] == len(late) > 0
