"""Regions and agency units: seeding from the taxonomy, naming, lookup and routing to a unit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.directory.models import AgencyUnit, Region, RegionLevel
from hotline.errors import InputError
from hotline.taxonomy import PROVINCE, Taxonomy

#: agencies that exist only at province level
PROVINCE_ONLY = frozenset({"prison_admin"})

# How each agency is called at each level; {place} is the region as written in names.
_NAMES: dict[str, tuple[str, str]] = {
    # agency: (province form, prefecture/county form)
    "civil_affairs": ("{place}民政厅", "{place}民政局"),
    "cyberspace": ("{place}委网信办", "{place}委网信办"),
    "court": ("{place}高级人民法院", "{place}人民法院"),
    "procuratorate": ("{place}人民检察院", "{place}人民检察院"),
    "education": ("{place}教育厅", "{place}教育局"),
    "public_security": ("{place}公安厅", "{place}公安局"),
    "justice": ("{place}司法厅", "{place}司法局"),
    "finance": ("{place}财政厅", "{place}财政局"),
    "hrss": ("{place}人力资源和社会保障厅", "{place}人力资源和社会保障局"),
    "health": ("{place}卫生健康委员会", "{place}卫生健康委员会"),
    "emergency_mgmt": ("{place}应急管理厅", "{place}应急管理局"),
    "data_bureau": ("{place}政务服务和数字化建设管理局", "{place}政务服务和数字化建设管理局"),
    "women_children_committee": ("{place}妇女儿童工作委员会办公室", "{place}妇女儿童工作委员会办公室"),
    "youth_league": ("共青团{place}委员会", "共青团{place}委员会"),
    "womens_federation": ("{place}妇女联合会", "{place}妇女联合会"),
    "disabled_federation": ("{place}残疾人联合会", "{place}残疾人联合会"),
    "prison_admin": ("{place}监狱管理局", "{place}监狱管理局"),
}


def unit_name(agency: str, level: str, prefecture: str | None = None, county: str | None = None) -> str:
    province_form, local_form = _NAMES[agency]
    if level == RegionLevel.PROVINCE:
        return province_form.format(place=PROVINCE)
    place = f"{prefecture}{county}" if county else str(prefecture)
    name = local_form.format(place=place)
    if agency == "court" and level == RegionLevel.PREFECTURE:
        name = name.replace("人民法院", "中级人民法院")
    return name


def region_path(prefecture: str | None = None, county: str | None = None) -> str:
    if prefecture is None:
        return PROVINCE
    return f"{prefecture}/{county}" if county else prefecture


def seed_reference_data(session: Session, taxonomy: Taxonomy) -> int:
    """Insert missing regions and agency units (idempotent). Returns how many rows were added."""
    regions = {r.path: r for r in session.scalars(select(Region))}
    units = set(session.scalars(select(AgencyUnit.code)))
    added = 0

    def region(path: str, name: str, level: str, parent: Region | None) -> Region:
        nonlocal added
        if path not in regions:
            regions[path] = Region(path=path, name=name, level=level, parent=parent)
            session.add(regions[path])
            added += 1
        return regions[path]

    def unit(agency: str, reg: Region, prefecture: str | None, county: str | None) -> None:
        nonlocal added
        code = f"{agency}:{reg.path}"
        if code not in units:
            name = unit_name(agency, reg.level, prefecture, county)
            session.add(AgencyUnit(code=code, agency=agency, level=reg.level, region=reg, name=name))
            units.add(code)
            added += 1

    province = region(PROVINCE, PROVINCE, RegionLevel.PROVINCE, None)
    for agency in taxonomy.agencies:
        unit(agency, province, None, None)
    for prefecture, counties in taxonomy.regions.items():
        pref = region(prefecture, prefecture, RegionLevel.PREFECTURE, province)
        for agency in taxonomy.agencies:
            if agency not in PROVINCE_ONLY:
                unit(agency, pref, prefecture, None)
        for county in counties:
            reg = region(region_path(prefecture, county), county, RegionLevel.COUNTY, pref)
            for agency in taxonomy.agencies:
                if agency not in PROVINCE_ONLY:
                    unit(agency, reg, prefecture, county)
    session.flush()
    return added


def get_unit(session: Session, code: str) -> AgencyUnit:
    """The unit with this code (``civil_affairs:长春市/朝阳区``); InputError naming the code if none."""
    unit = session.scalar(select(AgencyUnit).where(AgencyUnit.code == code))
    if unit is None:
        raise InputError(
            f"承办单位代码“{code}”不存在（格式：机构代码:地区，如 civil_affairs:长春市/朝阳区）",
            code="unknown_unit",
        )
    return unit


def route_to_unit(session: Session, agency: str, prefecture: str | None, county: str | None) -> AgencyUnit:
    """The most local unit of ``agency`` for a place: county, else prefecture, else province."""
    candidates = [region_path(prefecture, county)] if county else []
    if prefecture:
        candidates.append(region_path(prefecture))
    candidates.append(PROVINCE)
    if agency in PROVINCE_ONLY:
        candidates = [PROVINCE]
    for path in candidates:
        unit = session.scalar(select(AgencyUnit).where(AgencyUnit.code == f"{agency}:{path}"))
        if unit is not None:
            return unit
    raise InputError(f"找不到机构“{agency}”的承办单位", code="unknown_unit")


def parent_unit(session: Session, unit: AgencyUnit) -> AgencyUnit | None:
    """The same agency one level up (county → prefecture → province): the unit that supervises ``unit``
    (督办) and sees what is escalated to it; None at province level."""
    parent = unit.region.parent
    while parent is not None:
        found = session.scalar(select(AgencyUnit).where(AgencyUnit.agency == unit.agency,
                                                        AgencyUnit.region_id == parent.id))
        if found is not None:
            return found
        parent = parent.parent
    return None
