"""CSV / XLSX export of a ticket query: personal data always masked, size-limited, audited (PI-4)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from openpyxl import Workbook
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.privacy import PersonalData
from hotline.errors import InputError
from hotline.taxonomy import Taxonomy
from hotline.tickets import lifecycle
from hotline.tickets.queries import COUNT_CAP, TicketFilter, list_tickets
from hotline.timeutil import iso_local

MAX_ROWS = COUNT_CAP
HEADER = ["工单编号", "受理时间", "状态", "业务分类", "诉求类型", "紧急程度", "市（州）", "县（市、区）", "主办单位",
          "办结时限", "办结时间", "满意度", "来电人", "来电号码", "地址", "诉求内容"]


def export_rows(session: Session, actor: Actor, flt: TicketFilter, taxonomy: Taxonomy, *, source_ip: str | None) -> list[list[str]]:
    flt = replace(flt, page=1, after=None)
    if list_tickets(session, actor, replace(flt, per_page=1)).more:  # counted up to COUNT_CAP = MAX_ROWS
        raise InputError(f"导出结果超过上限 {MAX_ROWS} 行，请缩小筛选范围", code="export_too_large")
    items = list_tickets(session, actor, replace(flt, per_page=MAX_ROWS)).items
    rows = []
    for t in items:
        person = PersonalData.hidden(t)  # exports are always masked
        rows.append([
            t.number, iso_local(t.received_at), lifecycle.STATUS_NAMES_ZH[lifecycle.TicketStatus(t.status)],
            taxonomy.categories[t.category].name if t.category else "", taxonomy.kinds.get(t.kind or "", ""),
            taxonomy.urgency.get(t.urgency or "", ""), t.prefecture or "", t.county or "",
            t.lead_unit.name if t.lead_unit else "", iso_local(t.resolve_due_at) if t.resolve_due_at else "",
            iso_local(t.resolved_at) if t.resolved_at else "",
            lifecycle.SATISFACTION_NAMES_ZH.get(t.satisfaction or "", ""),
            person.caller_name or "", person.caller_phone or "", person.address or "", t.text,
        ])
    record_audit(session, actor, "export", None, f"rows={len(rows)}", source_ip)
    return rows


#: what makes a spreadsheet read a cell as a formula (a tab or CR before one still does in Excel)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ tab or CR is neutralised with a quote."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def to_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM so that Excel reads UTF-8


def to_xlsx(rows: list[list[str]], header: list[str] = HEADER, title: str = "工单") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
