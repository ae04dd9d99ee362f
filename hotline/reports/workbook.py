"""A published report as an XLSX workbook: one worksheet per table of :func:`bulletins.sheets`, Chinese
headers, rates as percentages, every text neutralised against formula injection (as the ticket exports)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from hotline.reports.bulletins import Sheet
from hotline.reports.exports import safe_cell

RATE_FORMAT = "0.0%"


def _value(value: Any) -> Any:
    if value is None:
        return "—"
    if isinstance(value, str):
        return safe_cell(value)
    return value


def to_xlsx(title: str, tables: list[Sheet]) -> bytes:
    """The tables as a workbook: each sheet's header in row 1 (bold, frozen), then its rows, then its note."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = safe_cell(title)
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in table.rows:
            sheet.append([_value(v) for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, float):
                    cell.number_format = RATE_FORMAT
        if table.note:
            sheet.append([])
            sheet.append([safe_cell(table.note)])
        for i, name in enumerate(table.header, start=1):
            width = max([len(str(name))] + [len(str(r[i - 1])) for r in table.rows if i <= len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, 4 + 2 * width)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
