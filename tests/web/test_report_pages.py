"""Published reports in the console: the list, one report's tables, its XLSX and the administrators'
立即生成; who may read, who may publish, and clear refusals of bad periods."""

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from hotline.accounts.models import AuditEntry
from hotline.reports.bulletins import month_before
from hotline.reports.models import PublishedReport
from hotline.timeutil import SHANGHAI, utcnow

UNIT = "civil_affairs:长春市/农安县"
CALL = {"caller_name": "王小红", "caller_phone": "13812341234", "address": "农安县某镇幸福村3组5号",
        "child_name": "李小明", "text": "来电人反映孩子父母外出务工，孩子常一个人在家。", "category": "guardianship",
        "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}
PERSONAL = ("王小红", "王**", "13812341234", "138****1234", "幸福村", "李小明", "常一个人在家")


def this_year() -> str:
    return str(utcnow().astimezone(SHANGHAI).year)


def published(state) -> int:
    with state.db.transaction(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(PublishedReport))


def test_admin_publishes_now_and_readers_see_page_and_xlsx(login, state):
    login("operator").post("/console/new", {**CALL, "decision": "dispatch"})
    admin = login("admin")
    page = admin.get("/console/reports").get_data(as_text=True)
    assert "立即生成" in page and "尚未发布任何报告" in page
    year = this_year()
    resp = admin.post("/console/reports/publish", {"kind": "annual", "period": year})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/console/reports/annual/{year}")
    again = admin.post("/console/reports/publish", {"kind": "annual", "period": year}, follow_redirects=True)
    assert "已发布过，未重新生成" in again.get_data(as_text=True)
    assert published(state) == 1
    with state.db.transaction(readonly=True) as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.event == "publish_report"))
        audit = [(e.event, e.object_ref) for e in entries]
    assert audit == [("publish_report", f"report:annual:{year}")]

    for role in ("supervisor", "dispatcher"):
        reader = login(role)
        listing = reader.get("/console/reports").get_data(as_text=True)
        assert f"{year}年度工作进展报告" in listing and "立即生成" not in listing
        assert re.search(r'href="/console/reports" class="[^"]*">通报</a>', listing)  # the navigation entry
        page = reader.get(f"/console/reports/annual/{year}").get_data(as_text=True)
        assert "长春市农安县民政局" in page and "须人工补充" in page and "三（五）16 儿童主任队伍建设" in page
        assert f'href="/console/reports/annual/{year}.xlsx"' in page
        for value in PERSONAL:
            assert value not in page and value not in listing

    resp = login("supervisor").get(f"/console/reports/annual/{year}.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert f"filename=annual-{year}.xlsx" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.get_data()))
    assert {"概况", "按月", "按分类", "儿童关爱事项", "承办单位", "超期工单", "须人工补充"} <= set(book.sheetnames)
    summary = {row[0].value: row[1].value for row in book["概况"].iter_rows(min_row=2) if row[0].value}
    assert summary["受理工单"] == 1 and summary["其中：涉儿童关爱事项"] == 1 and summary["派单"] == 1
    units = [[c.value for c in row] for row in book["承办单位"].iter_rows(min_row=2)]
    assert units[0][:2] == ["长春市农安县民政局", 1]
    cells = " ".join(str(c.value) for name in book.sheetnames for row in book[name].iter_rows() for c in row)
    for value in PERSONAL:
        assert value not in cells


def test_bulletin_for_the_last_month_from_the_form(login, state):
    admin = login("admin")
    month = month_before(utcnow())
    resp = admin.post("/console/reports/publish", {"kind": "bulletin", "period": month}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f"已生成{int(month[:4])}年{int(month[5:])}月调度通报" in body
    assert "超期工单（截至" in body and "各主办单位按时签收" in body and "统计区间" in body
    assert f'href="/console/reports/bulletin/{month}"' in admin.get("/console/reports").get_data(as_text=True)


def test_only_admins_publish_and_only_report_roles_read(login, state):
    for role in ("supervisor", "dispatcher"):
        resp = login(role).post("/console/reports/publish", {"kind": "annual", "period": this_year()})
        assert resp.status_code == 403
    assert published(state) == 0
    assert login("operator").get("/console/reports").status_code == 403
    staff = login("agency_staff", UNIT)
    assert staff.get("/console/reports").status_code == 403
    assert staff.post("/console/reports/publish", {"kind": "annual", "period": this_year()}).status_code == 403


def test_bad_periods_are_refused_clearly(login, state, new_browser):
    admin = login("admin")
    for form, status, message in (
        ({"kind": "bulletin", "period": "2026-13"}, 422, "调度通报的期间应为“年-月”"),
        ({"kind": "bulletin", "period": "2999-01"}, 422, "尚未结束，不能生成调度通报"),
        ({"kind": "annual", "period": "2999"}, 422, "尚未开始，不能生成年度报告"),
        ({"kind": "annual", "period": "<b>x</b>"}, 422, "年度报告的期间应为四位年份"),
        ({"kind": "weekly", "period": "2026"}, 422, "报告类型应为"),
    ):
        resp = admin.post("/console/reports/publish", form)
        body = resp.get_data(as_text=True)
        assert resp.status_code == status and message in body, (form, resp.status_code)
        assert "<b>x</b>" not in body  # the input is shown escaped
    assert published(state) == 0
    no_token = admin.client.post("/console/reports/publish", data={"kind": "annual", "period": this_year()})
    assert no_token.status_code == 400 and published(state) == 0
    assert admin.get("/console/reports/bulletin/1999-01").status_code == 404
    assert admin.get("/console/reports/weekly/2026").status_code == 404
    assert admin.get("/console/reports/annual/1999.xlsx").status_code == 404
    assert new_browser().get("/console/reports").status_code == 302  # to the login page
