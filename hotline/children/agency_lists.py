"""Other agencies' lists (数据比对): the sources (a kind of list, with its column mapping saved for next time),
reading an uploaded CSV or XLSX, importing it (the matching and the review queue are :mod:`reviews`), and
purging what was imported once the review no longer needs it.

- CSV: UTF-8 with or without BOM, else GB18030 (what Chinese Excel writes); comma- or tab-separated.
  XLSX: the first sheet, read-only; date cells arrive as dates. The header row is the first row (of the
  first ten) that holds the name column, so a title line above the table does no harm.
- Mapping: our field → the list's header, for ``name`` (required), ``id_number``, ``birth_date``, ``gender``,
  ``county``, ``address``, ``date``. A source without a saved mapping is read with one guessed from common
  headers (姓名, 公民身份号码 …); the import result offers the guess for the user to confirm and save.
- Privacy: only rows that matched someone are stored (ID numbers sealed and masked); unmatched rows are
  never written anywhere. Row contents are never logged. The ``purge_lists`` job deletes a list's records
  once every review of it is decided and the source's ``retention_days`` have passed since the last
  decision, or at the latest ``HARD_CAP_DAYS`` after the import; the reviews stay (without the record).

Services flush, never commit.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hotline.accounts.actor import SYSTEM, Actor
from hotline.accounts.models import Role
from hotline.children import matching
from hotline.children.models import AgencyList, AgencyRecord, AgencySource, MatchReview
from hotline.children.scopes import county_ids_of_unit
from hotline.crypto import FieldCipher
from hotline.errors import Forbidden, InputError, NotFound
from hotline.inputs import Choice, Integer, Spec, Text

if TYPE_CHECKING:
    from hotline.scheduling.jobs import JobContext
    from hotline.tickets.workcalendar import WorkCalendar

log = logging.getLogger(__name__)

#: source kind → its Chinese name
SOURCE_KINDS = {
    "prison_admission": "收监",
    "prison_release": "刑满释放",
    "death": "死亡",
    "drug_rehab": "强制隔离戒毒",
    "disability": "残疾人证",
    "serious_illness": "重病",
    "missing": "失踪",
    "dibao": "低保",
    "tekun": "特困",
}
#: whose situation a list reports: a guardian's, the child's own, or either (a death, a disability …)
SUBJECT_GUARDIAN, SUBJECT_CHILD, SUBJECT_EITHER = "guardian", "child", "either"
SOURCE_SUBJECTS = {
    "prison_admission": SUBJECT_GUARDIAN,
    "prison_release": SUBJECT_GUARDIAN,
    "death": SUBJECT_EITHER,
    "drug_rehab": SUBJECT_GUARDIAN,
    "disability": SUBJECT_EITHER,
    "serious_illness": SUBJECT_EITHER,
    "missing": SUBJECT_EITHER,
    "dibao": SUBJECT_EITHER,
    "tekun": SUBJECT_EITHER,
}
SUBJECT_NAMES = {SUBJECT_GUARDIAN: "监护人", SUBJECT_CHILD: "儿童本人", SUBJECT_EITHER: "儿童或监护人"}
#: our fields, in the order the mapping form shows them, with their Chinese labels
MAPPED_FIELDS = {
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "gender": "性别",
    "county": "区县",
    "address": "地址",
    "date": "事件日期",
}
#: the headers a guess recognises (compared without spaces, full-width folded)
COMMON_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "人员姓名", "服刑人员姓名", "罪犯姓名", "死者姓名", "戒毒人员姓名", "残疾人姓名",
             "患者姓名", "申请人姓名", "救助对象姓名", "失踪人员姓名", "name"),
    "id_number": ("公民身份号码", "公民身份证号码", "公民身份证号", "身份证号", "身份证号码", "证件号码", "证件号",
                  "身份证", "id_number"),
    "birth_date": ("出生日期", "出生年月日", "出生年月", "生日", "birth_date"),
    "gender": ("性别", "gender"),
    "county": ("区县", "县（市、区）", "县(市、区)", "县区", "县市区", "所属区县", "所在区县", "区（县）", "county"),
    "address": ("户籍地", "户籍地址", "户籍所在地", "住址", "地址", "家庭住址", "居住地址", "现住址", "家庭地址",
                "address"),
    "date": ("日期", "入监日期", "收监日期", "入狱日期", "死亡日期", "释放日期", "刑满释放日期", "出狱日期", "入所日期",
             "决定日期", "审批日期", "发证日期", "办证日期", "确诊日期", "失踪日期", "登记日期", "认定日期", "date"),
}
#: the most data rows one list may have
MAX_ROWS = 200_000
#: a list's records are deleted at the latest this many days after the import, whatever the reviews
HARD_CAP_DAYS = 365
#: how many rows above the table (a title line, a note) the header row may be preceded by
HEADER_SEARCH_ROWS = 10
DEFAULT_WORKDAY_START = time(8, 30)
#: who may register sources and import lists: the admin, dispatchers, and civil-affairs staff (county,
#: prefecture or province); others are refused
MANAGER_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER, Role.AGENCY_STAFF})

SOURCE_SPEC = Spec([
    Choice(name="kind", label="名单类型", choices=SOURCE_KINDS, required=True),
    Text(name="name", label="来源名称", max_length=64, required=True, placeholder="如：省监狱管理局收监名单"),
    Integer(name="retention_days", label="复核完成后保存天数", minimum=1, maximum=HARD_CAP_DAYS,
            help=f"所有复核办结后再保存这么多天即删除原始记录；最长 {HARD_CAP_DAYS} 天（默认 90）"),
    *(Text(name=f"map_{key}", label=f"“{label}”所在列的表头", max_length=64, help="名单表头原文；不填则不读该项")
      for key, label in MAPPED_FIELDS.items()),
])


# --- who may manage sources -------------------------------------------------------------------------------


def may_manage(session: Session, actor: Actor) -> bool:
    """Admin, dispatchers and civil-affairs staff (county level or above) manage sources and import lists."""
    if actor.role is Role.AGENCY_STAFF:
        return county_ids_of_unit(session, actor.unit_id) != frozenset()
    return actor.role in MANAGER_ROLES


def _require_manager(session: Session, actor: Actor) -> None:
    if not may_manage(session, actor):
        raise Forbidden("只有系统管理员、调度员和县级以上民政部门人员可以管理比对来源、导入名单", code="forbidden")


# --- sources ------------------------------------------------------------------------------------------------


def sources(session: Session) -> list[AgencySource]:
    return list(session.scalars(select(AgencySource).order_by(AgencySource.kind, AgencySource.name)))


def get_source(session: Session, source_id: int) -> AgencySource:
    found = session.get(AgencySource, source_id)
    if found is None:
        raise NotFound(f"比对来源 {source_id} 不存在", code="source_not_found")
    return found


def source_form(source: AgencySource | None, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """The source form's values (``mapping`` replaces the saved one: a guess offered for confirmation)."""
    values: dict[str, Any] = {"kind": source.kind if source else None, "name": source.name if source else None,
                              "retention_days": source.retention_days if source else 90}
    shown = mapping if mapping is not None else (source.mapping if source else {}) or {}
    values.update({f"map_{key}": shown.get(key) for key in MAPPED_FIELDS})
    return values


def save_source(session: Session, values: dict[str, Any], *, source_id: int | None = None,
                actor: Actor | None = None) -> AgencySource:
    """Create (``source_id`` None) or update a source from ``SOURCE_SPEC`` values. The mapping may be left
    empty (guessed at each import); if any column is mapped, the name column must be. With ``actor`` the
    actor's right to manage sources is checked."""
    if actor is not None:
        _require_manager(session, actor)
    source = get_source(session, source_id) if source_id is not None else AgencySource()
    mapping = {key: values[f"map_{key}"] for key in MAPPED_FIELDS if values.get(f"map_{key}")}
    if mapping and "name" not in mapping:
        raise InputError("已填写列对应关系时，必须填写“姓名”所在列的表头", code="missing_field",
                         details={"field": "map_name"})
    headers = [_header_key(h) for h in mapping.values()]
    if len(headers) != len(set(headers)):
        raise InputError("同一列不能对应两个字段，请检查列对应关系", code="duplicate_column")
    taken = session.scalar(select(AgencySource.id).where(AgencySource.name == values["name"],
                                                         AgencySource.id != (source.id or 0)))
    if taken is not None:
        raise InputError(f"来源名称“{values['name']}”已存在", code="duplicate_source", details={"field": "name"})
    if source.id is not None and source.kind != values["kind"] and session.scalar(
            select(AgencyList.id).where(AgencyList.source_id == source.id).limit(1)) is not None:
        raise InputError("该来源已导入过名单，不能更改名单类型；请新建一个来源", code="kind_locked",
                         details={"field": "kind"})
    source.kind, source.name = values["kind"], values["name"]
    source.retention_days = values.get("retention_days") or source.retention_days or 90
    source.mapping = mapping
    if source.id is None:
        session.add(source)
    session.flush()
    return source


def lists_of(session: Session, source: AgencySource, limit: int = 50) -> list[AgencyList]:
    return list(session.scalars(select(AgencyList).where(AgencyList.source_id == source.id)
                                .order_by(AgencyList.id.desc()).limit(limit)))


def get_list(session: Session, actor: Actor, list_id: int) -> AgencyList:
    _require_manager(session, actor)
    found = session.get(AgencyList, list_id)
    if found is None:
        raise NotFound(f"导入记录 {list_id} 不存在", code="list_not_found")
    return found


def review_counts(session: Session, agency_list: AgencyList) -> dict[str, Any]:
    """The reviews a list produced: in all, open, by kind and by reviewing unit (no personal data)."""
    from hotline.directory.models import AgencyUnit

    rows = session.execute(select(MatchReview.kind, MatchReview.status, AgencyUnit.name, func.count())
                           .join(AgencyUnit, AgencyUnit.id == MatchReview.unit_id)
                           .where(MatchReview.list_id == agency_list.id)
                           .group_by(MatchReview.kind, MatchReview.status, AgencyUnit.name)).all()
    by_kind: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    for kind, _, unit, n in rows:
        by_kind[kind] = by_kind.get(kind, 0) + n
        by_unit[unit] = by_unit.get(unit, 0) + n
    return {"reviews": sum(r[3] for r in rows), "open": sum(r[3] for r in rows if r[1] == "open"),
            "by_kind": by_kind, "by_unit": dict(sorted(by_unit.items()))}


# --- reading a file -------------------------------------------------------------------------------------------


def _header_key(text: Any) -> str:
    """A header as compared: full-width folded, without blanks (``姓 名`` is ``姓名``)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).lstrip("\ufeff")


def _cell(value: Any) -> str:
    """A cell as text: dates as ISO dates, whole numbers without ``.0`` (an ID typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 Excel 默认的 CSV 格式", code="unreadable_file") from None


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise InputError("无法读取 CSV 文件（格式有误），请用 Excel 另存为 CSV 后重试", code="unreadable_file") from None


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise InputError("无法读取 Excel 文件，请确认是 .xlsx 格式且未加密", code="unreadable_file") from None
    try:
        if not book.worksheets:
            return
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
            raise InputError("无法读取 Excel 文件（内容损坏）", code="unreadable_file") from None
    finally:
        book.close()


def _blank(cells: list[Any]) -> bool:
    return not any(_cell(c) for c in cells)


def read_table(filename: str, data: bytes, *, name_header: str | None = None
               ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """``(headers, rows)`` of an uploaded CSV or XLSX: each row is ``(line number in the file, cells as
    text)``, blank rows left out. The header row is the first of the first rows that holds ``name_header``
    (or a common name header), else the first non-blank row. InputError (Chinese) for an unknown file type,
    an unreadable file, a file without data rows, or more than ``MAX_ROWS`` rows."""
    if not filename:
        raise InputError("请选择要导入的名单文件（.csv 或 .xlsx）", code="missing_file")
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        raw = _csv_rows(data)
    elif suffix == ".xlsx":
        raw = _xlsx_rows(data)
    elif suffix in (".xls", ".et", ".wps"):
        raise InputError("暂不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传", code="bad_file_type")
    else:
        raise InputError("只能导入 .csv 或 .xlsx 文件", code="bad_file_type")
    wanted = {_header_key(name_header)} if name_header else {_header_key(h) for h in COMMON_HEADERS["name"]}
    leading: list[list[Any]] = []
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for line, cells in enumerate(raw, start=1):
        if _blank(cells):
            continue
        if headers is None:
            if any(_header_key(c) in wanted for c in cells):
                headers, leading = [_cell(c) for c in cells], []
                continue
            leading.append([line, cells])
            if len(leading) < HEADER_SEARCH_ROWS:
                continue
            headers = _first_as_header(leading, rows)
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError(f"名单超过 {MAX_ROWS} 行，请拆分后分批导入", code="too_many_rows")
        rows.append((line, [_cell(c) for c in cells]))
    if headers is None:
        if not leading:
            raise InputError("文件是空的，没有表头和数据行", code="empty_file")
        headers = _first_as_header(leading, rows)
    if not rows:
        raise InputError("文件中只有表头，没有数据行", code="empty_file")
    return headers, rows


def _first_as_header(leading: list[list[Any]], rows: list[tuple[int, list[str]]]) -> list[str]:
    """No recognisable name header: the first non-blank row is the header, the rows after it are data."""
    rows.extend((line, [_cell(c) for c in cells]) for line, cells in leading[1:])
    return [_cell(c) for c in leading[0][1]]


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Our field → the header it is probably in, from common headers (a field not found is left out)."""
    found: dict[str, str] = {}
    used: set[str] = set()
    keys = [(h, _header_key(h)) for h in headers if _header_key(h)]
    for field, names in COMMON_HEADERS.items():
        wanted = [_header_key(n) for n in names]
        for name in wanted:  # the most usual spelling first
            hit = next((h for h, k in keys if k == name and h not in used), None)
            if hit is not None:
                found[field] = hit
                used.add(hit)
                break
    if "id_number" not in found:
        hit = next((h for h, k in keys if "身份" in k and h not in used), None)
        if hit is not None:
            found["id_number"] = hit
            used.add(hit)
    if "date" not in found:
        hit = next((h for h, k in keys if k.endswith(("日期", "时间")) and "出生" not in k and h not in used), None)
        if hit is not None:
            found["date"] = hit
    return found


_LONG_NUMBER = re.compile(r"\d{6,}")


def _shown_headers(headers: list[str]) -> list[str]:
    """The headers as an error message names them; a long number (a data row taken for the header: an ID
    number) is masked."""
    return [_LONG_NUMBER.sub(lambda m: m.group()[:2] + "*" * (len(m.group()) - 2), h[:30]) for h in headers if h][:40]


def _columns(headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """Our field → column index; InputError naming the file's headers when a mapped column is missing."""
    index: dict[str, int] = {}
    for i, header in enumerate(headers):
        index.setdefault(_header_key(header), i)
    missing = [f"{MAPPED_FIELDS[k]}（{h}）" for k, h in mapping.items() if _header_key(h) not in index]
    if missing:
        shown = "、".join(_shown_headers(headers)) or "（无）"
        raise InputError(f"文件中找不到这些列：{'、'.join(missing)}。文件的表头是：{shown}。请核对来源的列对应关系",
                         code="missing_columns", details={"headers": _shown_headers(headers)})
    return {key: index[_header_key(h)] for key, h in mapping.items()}


# --- importing -----------------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What one import did: the stored list (with its ``rows`` and ``matched``) and the reviews created."""

    agency_list: AgencyList | None = None
    reviews: int = 0
    #: matches already under an open review (a file imported twice): no second review
    duplicates: int = 0
    #: the mapping was guessed from the headers (no saved mapping): offered for confirmation
    guessed: dict[str, str] | None = None
    #: reviewing unit name → reviews created for it
    by_unit: dict[str, int] | None = None


def _records(rows: list[tuple[int, list[str]]], columns: dict[str, int], kind: str) -> list[dict[str, Any]]:
    def value(cells: list[str], key: str) -> str | None:
        i = columns.get(key)
        return (cells[i] or None) if i is not None and i < len(cells) else None

    out = []
    for line, cells in rows:
        record = {"record_id": line, "source": kind, **{key: value(cells, key) for key in MAPPED_FIELDS}}
        if record["name"] or record["id_number"]:
            out.append(record)
    return out


def _clean_filename(filename: str) -> str:
    return re.split(r"[\\/]", filename or "")[-1][:200] or "未命名"


def import_list(session: Session, actor: Actor, source_id: int, filename: str, data: bytes, *,
                cipher: FieldCipher, now: datetime, working_days: int, calendar: WorkCalendar,
                workday_start: time = DEFAULT_WORKDAY_START) -> ImportOutcome:
    """Read an agency's list, match every row against the register (children of all counties) and put each
    match in the reviewing county's queue. Only matched rows are stored."""
    from hotline.children import reviews

    _require_manager(session, actor)
    source = get_source(session, source_id)
    saved = dict(source.mapping or {})
    headers, rows = read_table(filename, data, name_header=saved.get("name"))
    guessed = None
    if saved.get("name"):
        mapping = saved
    else:
        mapping = guessed = guess_mapping(headers)
        if "name" not in mapping:
            shown = "、".join(_shown_headers(headers)) or "（无）"
            raise InputError(f"无法识别“姓名”列。文件的表头是：{shown}。请在来源页面填写列对应关系后再导入",
                             code="missing_columns", details={"headers": _shown_headers(headers)})
    columns = _columns(headers, mapping)
    records = _records(rows, columns, source.kind)
    agency_list = AgencyList(source=source, filename=_clean_filename(filename), imported_at=now,
                             imported_by=actor.label, rows=len(rows), matched=0)
    session.add(agency_list)
    session.flush()
    try:
        created = reviews.review_list(session, agency_list, records, cipher=cipher, now=now,
                                      working_days=working_days, calendar=calendar, workday_start=workday_start)
    finally:
        # the matcher caches normalised names; an imported list's names must not stay in memory
        matching.clean_name.cache_clear()
        matching.name_pinyin.cache_clear()
    created.guessed, created.agency_list = guessed, agency_list
    session.flush()
    log.info("agency list %s imported: %d rows, %d matched, %d reviews", agency_list.id, agency_list.rows,
             agency_list.matched, created.reviews)
    return created


def import_path(runtime: Any, source: str, path: Path, *, actor: Actor = SYSTEM,
                now: datetime | None = None) -> ImportOutcome:
    """For a command line (``hotline lists import``): import a file from disk into the source named (or
    numbered) ``source``, in one transaction — bigger lists than the console's upload limit."""
    from hotline.timeutil import utcnow

    with runtime.db.transaction() as session:
        found = session.scalar(select(AgencySource).where(AgencySource.name == source))
        if found is None and source.isdigit():
            found = session.get(AgencySource, int(source))
        if found is None:
            raise NotFound(f"比对来源“{source}”不存在", code="source_not_found")
        result = import_list(session, actor, found.id, path.name, path.read_bytes(), cipher=runtime.cipher,
                             now=now or utcnow(), working_days=runtime.settings.review_working_days,
                             calendar=runtime.calendar, workday_start=runtime.policy.workday_start)
        session.expunge(result.agency_list)
        return result


# --- purging ---------------------------------------------------------------------------------------------------


def purge_due(session: Session, now: datetime) -> dict[str, int]:
    """Delete the records of every list whose reviews are all decided and whose source's retention has
    passed since the last decision, or that is older than ``HARD_CAP_DAYS``. Reviews stay (record_id NULL)."""
    lists = list(session.scalars(select(AgencyList).where(AgencyList.purged_at.is_(None))))
    purged = deleted = 0
    for agency_list in lists:
        open_count, last_decision = session.execute(
            select(func.count(MatchReview.id).filter(MatchReview.status == "open"), func.max(MatchReview.decided_at))
            .where(MatchReview.list_id == agency_list.id)).one()
        finished_since = last_decision or agency_list.imported_at
        due = (not open_count and now >= finished_since + timedelta(days=agency_list.source.retention_days)) or \
            now >= agency_list.imported_at + timedelta(days=HARD_CAP_DAYS)
        if not due:
            continue
        session.execute(update(MatchReview).where(MatchReview.list_id == agency_list.id,
                                                  MatchReview.record_id.is_not(None)).values(record_id=None))
        result = session.execute(delete(AgencyRecord).where(AgencyRecord.list_id == agency_list.id))
        deleted += result.rowcount or 0
        agency_list.purged_at = now
        purged += 1
    session.flush()
    return {"agency_lists_purged": purged, "agency_records_deleted": deleted}


def purge(ctx: JobContext) -> dict[str, int]:
    """The ``purge_lists`` job (daily 03:00)."""
    assert ctx.session is not None
    return purge_due(ctx.session, ctx.now)
