"""Agency lists: reading CSV (UTF-8 with BOM, GB18030) and XLSX (date cells), the column mapping saved and
reused or guessed, clear Chinese errors, only matched rows stored, and the purge job that deletes records
after the retention (or the hard cap) while the reviews stay."""

import io
from datetime import datetime, timedelta

import pytest
from children_support import add_child, guardian, person
from openpyxl import Workbook
from sqlalchemy import func, select

from hotline.children import agency_lists, reviews
from hotline.children.matching import check_digit
from hotline.children.models import AgencyList, AgencyRecord, AgencySource, MatchReview
from hotline.errors import Forbidden, InputError, NotFound
from hotline.scheduling.jobs import JOBS
from hotline.scheduling.runner import run_due
from hotline.timeutil import SHANGHAI

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
FATHER = "220122198502140110"[:17]
FATHER = FATHER + check_digit(FATHER)
CHILD = "22012220160412002"
CHILD = CHILD + check_digit(CHILD)


def registered(state) -> tuple:  # noqa: ANN001
    admin = person(state, "admin")
    number = add_child(state, admin, "陈家店村", name="王小雨", id_number=CHILD,
                       guardians=[guardian("father", "王建军", id_number=FATHER)])
    return admin, number


def new_source(state, kind: str = "prison_admission", name: str = "省监狱管理局收监名单", **mapping) -> int:  # noqa: ANN001, ANN003
    """A source; ``mapping`` as the form's fields (``map_name="姓名"`` …)."""
    with state.db.transaction() as session:
        values = {f.name: None for f in agency_lists.SOURCE_SPEC.fields}
        values.update(kind=kind, name=name, retention_days=30, **mapping)
        return agency_lists.save_source(session, values).id


def do_import(state, actor, source_id: int, filename: str, data: bytes, now: datetime = NOW):  # noqa: ANN001
    with state.db.transaction() as session:
        found = agency_lists.import_list(session, actor, source_id, filename, data, cipher=state.cipher, now=now,
                                         working_days=10, calendar=state.calendar)
        return found.agency_list.id, found


# --- reading files -----------------------------------------------------------------------------------------


def test_csv_with_bom_and_a_title_line():
    text = "2026年11月收监人员名单\n\n姓名,公民身份号码,入监日期\n王建军,220122198502140110,2026/11/1\n,,\n李四,,2026-11-02\n"
    headers, rows = agency_lists.read_table("名单.csv", text.encode("utf-8-sig"))
    assert headers == ["姓名", "公民身份号码", "入监日期"]
    assert rows == [(4, ["王建军", "220122198502140110", "2026/11/1"]), (6, ["李四", "", "2026-11-02"])]
    assert agency_lists.guess_mapping(headers) == {"name": "姓名", "id_number": "公民身份号码", "date": "入监日期"}


def test_gb18030_csv_as_chinese_excel_writes_it():
    text = "姓名,身份证号,性别,住址,死亡日期\r\n王建军,220122198502140110,男,农安县合隆镇陈家店村,2026-10-09\r\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    headers, rows = agency_lists.read_table("死亡名单.CSV", data)
    assert headers[0] == "姓名" and rows[0][1][3] == "农安县合隆镇陈家店村"
    assert agency_lists.guess_mapping(headers) == {"name": "姓名", "id_number": "身份证号", "gender": "性别",
                                                   "address": "住址", "date": "死亡日期"}


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_first_sheet_with_date_cells_and_numbers():
    data = xlsx([["姓名", "证件号码", "出生日期", "审批日期"],
                 ["王建军", "220122198502140110", datetime(1985, 2, 14), datetime(2026, 11, 3, 0, 0)],
                 ["李四", 220122800101001, None, 45000.0]])  # a 15-digit ID typed as a number
    headers, rows = agency_lists.read_table("低保.xlsx", data)
    assert headers == ["姓名", "证件号码", "出生日期", "审批日期"]
    assert rows[0] == (2, ["王建军", "220122198502140110", "1985-02-14", "2026-11-03"])
    assert rows[1][1][1] == "220122800101001" and rows[1][1][3] == "45000"


@pytest.mark.parametrize(("filename", "data", "code", "words"), [
    ("名单.txt", b"a,b", "bad_file_type", ".csv 或 .xlsx"),
    ("名单.xls", b"\xd0\xcf\x11\xe0", "bad_file_type", "另存为 .xlsx"),
    ("名单.xlsx", b"not a zip file", "unreadable_file", "无法读取 Excel"),
    ("名单.csv", b"", "empty_file", "空的"),
    ("名单.csv", "姓名,身份证号\n".encode(), "empty_file", "没有数据行"),
    ("", b"x", "missing_file", "请选择"),
])
def test_unreadable_files_are_refused_in_chinese(filename, data, code, words):
    with pytest.raises(InputError) as refused:
        agency_lists.read_table(filename, data)
    assert refused.value.code == code and words in refused.value.message


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(agency_lists, "MAX_ROWS", 3)
    text = "姓名\n" + "".join(f"张{i}\n" for i in range(4))
    with pytest.raises(InputError) as refused:
        agency_lists.read_table("名单.csv", text.encode())
    assert refused.value.code == "too_many_rows" and "拆分" in refused.value.message


# --- sources and mappings ----------------------------------------------------------------------------------


def test_a_saved_mapping_is_reused_and_a_missing_column_names_the_files_headers(state):
    admin, _ = registered(state)
    source_id = new_source(state, name="司法局社区矫正名单", map_name="服刑人员", map_id_number="身份证件号",
                           map_date="收押时间")
    text = f"服刑人员,身份证件号,收押时间\n王建军,{FATHER},2026-11-01\n陌生人,,2026-11-01\n"
    list_id, outcome = do_import(state, admin, source_id, "一月.csv", text.encode("utf-8-sig"))
    assert outcome.reviews == 1 and outcome.guessed is None
    # next month's file: the same mapping, read again without asking
    text2 = f"服刑人员,身份证件号,收押时间\n王建军,{FATHER},2026-12-01\n"
    _, outcome2 = do_import(state, admin, source_id, "二月.csv", text2.encode("utf-8-sig"))
    assert outcome2.reviews == 1
    with pytest.raises(InputError) as missing:
        do_import(state, admin, source_id, "三月.csv", "服刑人员,身份证号,日期\n王建军,,2027-01-01\n".encode())
    message = missing.value.message
    assert missing.value.code == "missing_columns" and "身份证号（身份证件号）" in message
    assert "文件的表头是：服刑人员、身份证号、日期" in message and "王建军" not in message
    with state.db.transaction(readonly=True) as session:
        source = session.get(AgencySource, source_id)
        assert source.mapping == {"name": "服刑人员", "id_number": "身份证件号", "date": "收押时间"}
        assert [a.filename for a in agency_lists.lists_of(session, source)] == ["二月.csv", "一月.csv"]


def test_without_a_mapping_the_guess_is_used_and_offered_not_saved(state):
    admin, _ = registered(state)
    source_id = new_source(state)
    text = f"序号,姓名,公民身份号码,入监日期\n1,王建军,{FATHER},2026-11-01\n"
    _, outcome = do_import(state, admin, source_id, "收监.csv", text.encode("utf-8-sig"))
    assert outcome.reviews == 1
    assert outcome.guessed == {"name": "姓名", "id_number": "公民身份号码", "date": "入监日期"}
    with state.db.transaction(readonly=True) as session:
        assert session.get(AgencySource, source_id).mapping == {}
    with pytest.raises(InputError) as unknown:
        do_import(state, admin, source_id, "x.csv", "甲,乙\n1,2\n".encode())
    assert unknown.value.code == "missing_columns" and "甲、乙" in unknown.value.message


def test_source_rules(state):
    new_source(state, name="残联名单", kind="disability")
    with pytest.raises(InputError) as taken:
        new_source(state, name="残联名单", kind="disability")
    assert taken.value.code == "duplicate_source"
    with pytest.raises(InputError) as no_name:
        new_source(state, name="另一个", map_id_number="身份证号")
    assert no_name.value.details == {"field": "map_name"}
    police = person(state, "agency_staff", unit="public_security:长春市/农安县")
    with state.db.transaction() as session, pytest.raises(Forbidden):
        agency_lists.import_list(session, police, 1, "a.csv", b"x", cipher=state.cipher, now=NOW, working_days=10,
                                 calendar=state.calendar)
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    with state.db.transaction(readonly=True) as session:
        assert agency_lists.may_manage(session, county) and not agency_lists.may_manage(session, police)
        assert not agency_lists.may_manage(session, person(state, "supervisor"))


def test_a_source_with_lists_keeps_its_kind(state):
    admin, _ = registered(state)
    source_id = new_source(state)
    do_import(state, admin, source_id, "a.csv", f"姓名,身份证号\n王建军,{FATHER}\n".encode())
    with state.db.transaction() as session, pytest.raises(InputError) as locked:
        values = agency_lists.source_form(session.get(AgencySource, source_id))
        values.update(kind="death")
        agency_lists.save_source(session, values, source_id=source_id)
    assert locked.value.code == "kind_locked"


# --- what is stored, and the purge ---------------------------------------------------------------------------


def test_unmatched_rows_are_never_stored(state):
    admin, _ = registered(state)
    source_id = new_source(state, kind="dibao", name="低保名单")
    others = "".join(f"路人{i},,1990-01-0{i % 9 + 1},男,汪清县\n" for i in range(40))
    data = xlsx([["姓名", "身份证号", "出生日期", "性别", "区县"], ["王小雨", CHILD, None, "女", "农安县"],
                 *[line.split(",") for line in others.splitlines()]])
    list_id, outcome = do_import(state, admin, source_id, "低保.xlsx", data)
    with state.db.transaction(readonly=True) as session:
        listed = session.get(AgencyList, list_id)
        assert (listed.rows, listed.matched, outcome.reviews) == (41, 1, 1)
        records = session.scalars(select(AgencyRecord).where(AgencyRecord.list_id == list_id)).all()
        assert [(r.row_number, r.name, r.gender, r.county) for r in records] == [(2, "王小雨", "female", "农安县")]
        assert session.scalar(select(func.count()).select_from(AgencyRecord).where(AgencyRecord.name.like("路人%"))) == 0


def test_purge_after_retention_keeps_the_reviews(state):
    admin, _ = registered(state)
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    source_id = new_source(state)  # retention 30 days
    list_id, _ = do_import(state, admin, source_id, "a.csv", f"姓名,身份证号\n王建军,{FATHER}\n".encode())
    other_id, _ = do_import(state, admin, new_source(state, kind="death", name="死亡名单"), "b.csv",
                            f"姓名,身份证号,日期\n王小雨,{CHILD},2026-11-30\n".encode())
    decided_at = NOW + timedelta(days=5)
    with state.db.transaction() as session:
        review = session.scalar(select(MatchReview).where(MatchReview.list_id == list_id))
        number = review.number
        reviews.decide(session, county, number, {"action": "update_record", "note": "已核实"}, decided_at)
    with state.db.transaction() as session:
        early = agency_lists.purge_due(session, decided_at + timedelta(days=29))
        assert early == {"agency_lists_purged": 0, "agency_records_deleted": 0}
        done = agency_lists.purge_due(session, decided_at + timedelta(days=31))
        assert done == {"agency_lists_purged": 1, "agency_records_deleted": 1}
    with state.db.transaction(readonly=True) as session:
        assert session.get(AgencyList, list_id).purged_at is not None
        assert session.get(AgencyList, other_id).purged_at is None  # its review is still open
        kept = reviews.get_review(session, county, number)
        assert kept.record_id is None and kept.status == "confirmed" and reviews.record_of(session, kept) is None
    # the hard cap: a list a year old goes even with a review open, through the daily job
    job = next(j for j in JOBS if j.id == "purge_lists")
    assert job.trigger.describe() == "每天 03:00"
    summary = run_due(state, NOW + timedelta(days=agency_lists.HARD_CAP_DAYS, hours=18), only=("purge_lists",))
    assert summary["jobs"] == {"purge_lists": "ok"} and summary["agency_lists_purged"] == 1
    with state.db.transaction(readonly=True) as session:
        assert session.get(AgencyList, other_id).purged_at is not None
        assert session.scalar(select(func.count()).select_from(AgencyRecord)
                              .where(AgencyRecord.list_id.in_([list_id, other_id]))) == 0
        still_open = session.scalar(select(MatchReview).where(MatchReview.list_id == other_id))
        assert still_open.status == "open" and still_open.record_id is None


def test_a_big_list_from_a_file_for_the_command_line(state, tmp_path):
    registered(state)
    new_source(state, name="民政厅特困名单", kind="tekun")
    path = tmp_path / "特困.csv"
    path.write_bytes(f"姓名,身份证号\n王小雨,{CHILD}\n".encode("gb18030"))
    done = agency_lists.import_path(state, "民政厅特困名单", path, now=NOW)
    imported = done.agency_list
    assert (imported.filename, imported.rows, imported.matched, done.reviews) == ("特困.csv", 1, 1, 1)
    with pytest.raises(NotFound, match="不存在"):
        agency_lists.import_path(state, "没有这个来源", path, now=NOW)
