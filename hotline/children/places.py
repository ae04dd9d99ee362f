"""Townships and villages below the counties (乡镇、村), imported from a CSV an admin supplies.

The CSV has a header row; columns (Chinese or English headers): 区县 / county (``长春市/农安县`` or just
``农安县``), 乡镇（街道） / township, 村（社区） / village (blank on a township's own row) and, optionally,
区划代码 / code. Importing again adds what is new and changes nothing that exists.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hotline.children.models import Place, PlaceLevel
from hotline.directory.models import Region, RegionLevel
from hotline.errors import InputError, NotFound

HEADERS = {
    "county": ("区县", "县（市、区）", "county"),
    "township": ("乡镇（街道）", "乡镇", "街道", "township"),
    "village": ("村（社区）", "村", "社区", "village"),
    "code": ("区划代码", "统计用区划代码", "code"),
}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class PlaceImport:
    added: int
    existing: int


def _columns(header: list[str]) -> dict[str, int]:
    found = {}
    for key, names in HEADERS.items():
        for i, name in enumerate(header):
            if name.strip().lstrip("\ufeff") in names:
                found[key] = i
    missing = [HEADERS[k][0] for k in ("county", "township") if k not in found]
    if missing:
        raise InputError(f"CSV 缺少列：{'、'.join(missing)}（表头须含 区县、乡镇（街道）、村（社区））",
                         code="bad_csv")
    return found


def _counties(session: Session) -> dict[str, Region]:
    regions = list(session.scalars(select(Region).where(Region.level == RegionLevel.COUNTY)))
    by_name: dict[str, list[Region]] = {}
    for region in regions:
        by_name.setdefault(region.name, []).append(region)
    out = {r.path: r for r in regions}
    out.update({name: rs[0] for name, rs in by_name.items() if len(rs) == 1})  # a bare name only when unique
    return out


def import_places(session: Session, text: str) -> PlaceImport:
    """Add the townships and villages of a CSV (idempotent); an unknown county or a malformed row refuses
    the whole file, naming the line, so nothing is half-imported."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InputError("CSV 为空", code="bad_csv")
    if len(rows) > MAX_ROWS + 1:
        raise InputError(f"一次最多导入 {MAX_ROWS} 行", code="bad_csv")
    cols = _columns(rows[0])
    counties = _counties(session)
    existing = {(p.county_id, p.parent_id, p.name): p for p in session.scalars(select(Place))}
    added = seen = 0

    def place(county: Region, parent: Place | None, name: str, level: str, code: str | None, *,
              counted: bool) -> Place:
        nonlocal added, seen
        key = (county.id, parent.id if parent else None, name)
        if key in existing:
            seen += counted
            return existing[key]
        found = Place(name=name, level=level, county=county, parent=parent, code=code)
        session.add(found)
        session.flush()
        existing[key] = found
        added += 1
        return found

    def cell(row: list[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        county_name, township, village = cell(row, "county"), cell(row, "township"), cell(row, "village")
        code = cell(row, "code") or None
        county = counties.get(county_name)
        if county is None:
            raise InputError(f"第 {line} 行：区县“{county_name[:40]}”不是吉林省的区县（可写 长春市/农安县）",
                             code="unknown_county", details={"line": line})
        if not township or len(township) > 64 or len(village) > 64:
            raise InputError(f"第 {line} 行：乡镇（街道）不能为空，名称不超过 64 字", code="bad_csv",
                             details={"line": line})
        if code is not None and not (code.isdigit() and len(code) <= 12):
            raise InputError(f"第 {line} 行：区划代码须为不超过 12 位的数字", code="bad_csv", details={"line": line})
        town = place(county, None, township, PlaceLevel.TOWNSHIP, None if village else code, counted=not village)
        if village:
            place(county, town, village, PlaceLevel.VILLAGE, code, counted=True)
    session.flush()
    return PlaceImport(added=added, existing=seen)


def import_upload(session: Session, filename: str | None, data: bytes) -> PlaceImport:
    """An uploaded CSV (UTF-8, with or without BOM; GB18030 as Excel writes it)."""
    if not filename or not filename.lower().endswith(".csv"):
        raise InputError("请上传 .csv 文件（表头：区县,乡镇（街道）,村（社区）[,区划代码]）", code="bad_file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError("无法识别文件编码，请另存为 UTF-8 CSV", code="bad_file") from None
    return import_places(session, text)


def counts_by_county(session: Session) -> list[tuple[str, int, int]]:
    """(county path, townships, villages) for every county that has places."""
    rows = session.execute(select(Region.path, Place.level, func.count()).join(Place, Place.county_id == Region.id)
                           .group_by(Region.path, Place.level).order_by(Region.path))
    out: dict[str, list[int]] = {}
    for path, level, n in rows:
        out.setdefault(path, [0, 0])[0 if level == PlaceLevel.TOWNSHIP else 1] = n
    return [(path, t, v) for path, (t, v) in out.items()]


def find_place(session: Session, path: str) -> Place:
    """A place by id or by its path: ``长春市/农安县/合隆镇`` (township) or ``长春市/农安县/合隆镇/陈家店村``."""
    if path.isdigit():
        return get_place(session, int(path))
    parts = [p.strip() for p in path.split("/") if p.strip()]
    found: Place | None = None
    for cut in (2, 1):  # "长春市/农安县/…" or "农安县/…"
        county = _counties(session).get("/".join(parts[:cut])) if len(parts) > cut else None
        if county is None:
            continue
        rest = parts[cut:]
        found = session.scalar(select(Place).where(Place.county_id == county.id, Place.parent_id.is_(None),
                                                   Place.name == rest[0]))
        if found is not None and len(rest) == 2:
            found = session.scalar(select(Place).where(Place.parent_id == found.id, Place.name == rest[1]))
        if found is not None and len(rest) <= 2:
            return found
    raise InputError(f"找不到地点“{path[:80]}”（写法：长春市/农安县/合隆镇/陈家店村，或地点编号）",
                     code="unknown_place")


def get_place(session: Session, place_id: int) -> Place:
    found = session.get(Place, place_id)
    if found is None:
        raise NotFound(f"地点 {place_id} 不存在", code="place_not_found")
    return found


def villages_under(place_ids: frozenset[int] | set[int]) -> Select[tuple[Place]]:
    """The villages among ``place_ids`` and the villages of the townships among them."""
    return select(Place).where(Place.level == PlaceLevel.VILLAGE,
                               (Place.id.in_(place_ids)) | (Place.parent_id.in_(place_ids)))
