"""Exports: no cell of a CSV or XLSX export starts a formula, whatever the data says (a leading tab or CR too)."""

from hotline.reports.exports import safe_cell, to_csv


def test_spreadsheet_cells_never_start_a_formula():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1"):
        assert safe_cell(value) == "'" + value
    assert safe_cell("王小明 13812345678") == "王小明 13812345678"
    body = to_csv([["\t=HYPERLINK(\"http://x\")"]], ["x"]).decode("utf-8-sig")
    assert "'\t=HYPERLINK" in body
