"""Supervisors' dashboard and masked, audited exports."""

import csv
import io
import json
import re

from openpyxl import load_workbook
from sqlalchemy import select
from tests_support import ACCOUNT_EVENTS

from hotline.accounts.models import AuditEntry
from hotline.reports.dashboard import UnitFigures
from hotline.web.templating import unit_rows

UNIT = "civil_affairs:长春市/农安县"
CALL = {"caller_name": "王小红", "caller_phone": "13812341234", "address": "农安县某镇幸福村3组5号",
        "text": "来电人反映孩子父母外出务工，孩子常一个人在家。", "category": "guardianship", "kind": "report",
        "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}


def test_dashboard_counts_and_unit_rates(login):
    desk = login("operator")
    for _ in range(2):
        desk.post("/console/new", {**CALL, "decision": "dispatch"})
    desk.post("/console/new", {**CALL, "category": "medical", "kind": "help", "decision": "save"})
    page = login("supervisor").get("/console/dashboard").get_data(as_text=True)
    assert re.search(r"<b>3</b>工单总量", page)
    # two dispatched, neither signed nor past its sign deadline: no rate is fair yet
    assert "<tr><td>长春市农安县民政局</td><td>2</td><td>—</td><td>—</td><td>—</td></tr>" in page
    charts = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)[1])
    assert charts["category"] == [["guardianship", 2], ["medical", 1]] and charts["prefecture"] == [["长春市", 3]]
    assert charts["codes"] == sorted(charts["codes"]) and len(charts["codes"]) == len(charts["names"]) == 17
    assert charts["names"][charts["codes"].index("guardianship")] == "监护缺失与监护侵害"
    assert 'src="/static/vendor/chart.umd.min.js"' in page  # served locally, no CDN
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_unit_rows_show_rates_only_where_they_are_fair_and_escape_names():
    rows = str(unit_rows([UnitFigures("<b>某局</b>", 4, signed_on_time=3, sign_due=4, resolved_on_time=0, resolve_due=0,
                                      satisfied=1, rated=3), UnitFigures("乙局", 1, 1, 1, 1, 1, 0, 0)]))
    assert rows == ("<tr><td>&lt;b&gt;某局&lt;/b&gt;</td><td>4</td><td>75%</td><td>—</td><td>33%</td></tr>"
                    "<tr><td>乙局</td><td>1</td><td>100%</td><td>100%</td><td>—</td></tr>")


def test_dashboard_empty_state(login):
    assert "该时段暂无工单" in login("supervisor").get("/console/dashboard?days=7").get_data(as_text=True)


def test_csv_and_xlsx_exports_are_masked_and_audited(login, state):
    login("operator").post("/console/new", {**CALL, "decision": "dispatch"})
    supervisor = login("supervisor")
    resp = supervisor.get("/console/export.csv")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "工单编号" and len(rows) == 2
    assert "138****1234" in rows[1] and "13812341234" not in resp.get_data(as_text=True)
    book = load_workbook(io.BytesIO(supervisor.get("/console/export.xlsx").get_data()))
    values = [c.value for c in list(book.active.iter_rows())[1]]
    assert "王**" in values and "王小红" not in values
    with state.db.transaction(readonly=True) as s:
        events = [(e.event, e.detail) for e in s.scalars(select(AuditEntry).where(AuditEntry.event.not_in(ACCOUNT_EVENTS)))]
    assert events == [("export", "rows=1"), ("export", "rows=1")]


def test_export_neutralises_spreadsheet_formulas(login):
    login("operator").post("/console/new", {**CALL, "text": "=HYPERLINK(\"http://x\")", "decision": "save"})
    body = login("supervisor").get("/console/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_agencies_and_operators_cannot_export(login):
    assert login("operator").get("/console/export.csv").status_code == 403
    assert login("agency_staff", UNIT).get("/console/export.csv").status_code == 403
