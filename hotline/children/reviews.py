"""The county civil-affairs bureau's review queue (数据比对复核): what matching an agency's list against the
register found, one item per record and child, with a deadline, the reasons, and what was done.

Matching: the register (active children of every county, with their guardians; sealed ID numbers opened)
is built once per import and each record goes through :func:`matching.match_record` unchanged. A
guardian is identified in the register lines by ``relation = "g<guardian id>"``; the matcher only carries
that label through, so two guardians with the same relation stay apart.

The kind of each review follows this table (``kind_for``):

=====================================  ==============================================================
record                                 kind
=====================================  ==============================================================
guardian: 收监, 强制隔离戒毒, 死亡,        疑似新增 (newly_eligible) unless the child's category or its
失踪, 重病, 残疾人证, 低保, 特困          special-concern situations already cover it (``GUARDIAN_COVER``),
                                       else 情况变化 (changed)
guardian: 刑满释放                       应退未退? (should_exit) when the guardian is recorded as 服刑在押,
                                       else 情况变化
child: 残疾人证, 重病, 低保, 特困          疑似新增 unless covered (``CHILD_COVER``), else 情况变化
child: 死亡, 失踪                        情况变化
child: 收监, 刑满释放, 强制隔离戒毒        情况变化 (a guardian's kind of list naming the child itself)
=====================================  ==============================================================

Each review goes to the civil-affairs bureau of the child's county and is due ``working_days`` working
days after the import; the deadline sweep follows it from its first reminder (2/3 of the time) like a
lead: overdue, then 督办 by the prefecture and the province. The same record
matching the same child and guardian again (a file imported twice) while a review of the same source kind
and event date is open creates no second review.

Deciding: county, prefecture and province civil-affairs staff (within their area) and the admin decide;
dispatchers and supervisors read only. Every confirmed action (已核实-更新档案 / 纳入保障 / 退出保障) means
the record is about this person and true, so the fact it carries is written to the register — the
guardian's situation (服刑在押 after a 收监, 正常履责 after a release of a guardian recorded as 服刑在押,
死亡 after a death …) or the child's special-concern situation (残疾, 重病, 家庭贫困) — with a version
row (reason ``match``). The child's category and status stay with the record form (they re-plan visits).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, false, func, select, text, true
from sqlalchemy.orm import Session, aliased

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.children import matching, register, rules
from hotline.children.agency_lists import (
    SOURCE_KINDS,
    SOURCE_SUBJECTS,
    SUBJECT_GUARDIAN,
    ImportOutcome,
)
from hotline.children.models import (
    AgencyList,
    AgencyRecord,
    AgencySource,
    Category,
    Child,
    Guardian,
    GuardianStatus,
    MatchReview,
    Place,
    ReviewKind,
)
from hotline.children.scopes import county_ids_of_unit
from hotline.crypto import FieldCipher
from hotline.directory.models import AgencyUnit, Region, RegionLevel
from hotline.errors import Conflict, Forbidden, InputError, NotFound
from hotline.inputs import Boolean, Choice, Integer, Spec, Text
from hotline.notifications.service import Notifier
from hotline.scheduling.alerts import ClockRun, first_moment, levels_above
from hotline.timeutil import SHANGHAI

if TYPE_CHECKING:
    from hotline.tickets.workcalendar import WorkCalendar

KIND_NAMES = {
    ReviewKind.NEWLY_ELIGIBLE.value: "疑似新增符合条件",
    ReviewKind.CHANGED.value: "情况变化",
    ReviewKind.SHOULD_EXIT.value: "应退未退？",
}
STATUS_NAMES = {"open": "待复核", "confirmed": "已核实", "rejected": "已排除"}
#: action → (Chinese name, the status it sets)
ACTIONS = {
    "update_record": ("已核实-更新档案", "confirmed"),
    "include": ("已核实-纳入保障", "confirmed"),
    "exit": ("已核实-退出保障", "confirmed"),
    "not_same_person": ("不是同一人", "rejected"),
    "wrong_info": ("信息有误", "rejected"),
}
ACTION_NAMES = {key: name for key, (name, _) in ACTIONS.items()}
DECIDE_SPEC = Spec([
    Choice(name="action", label="处理结果", choices=ACTION_NAMES, required=True),
    Text(name="note", label="核实情况说明", max_length=1000, multiline=True, required=True),
])
QUEUE_SPEC = Spec([
    Choice(name="status", label="状态", choices=STATUS_NAMES),
    Choice(name="kind", label="类型", choices=KIND_NAMES),
    Choice(name="source_kind", label="名单类型", choices=SOURCE_KINDS),
    Boolean(name="overdue", label="仅逾期"),
    Integer(name="page", label="页码", minimum=1, maximum=100_000),
], code="bad_parameter")
PER_PAGE = 50
RECORD_PURGED = "原始记录已按保存期限删除"

_C = Category
#: a guardian's record kind → (categories, special-concern situations) of the child that already cover it
GUARDIAN_COVER: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "prison_admission": (frozenset({_C.GUARDIANSHIP_HARDSHIP}), frozenset({"parent_prison_rehab", "de_facto_unsupported"})),
    "drug_rehab": (frozenset({_C.GUARDIANSHIP_HARDSHIP}), frozenset({"parent_prison_rehab", "de_facto_unsupported"})),
    "death": (frozenset({_C.GUARDIANSHIP_HARDSHIP}), frozenset({"de_facto_unsupported", "scattered_orphan"})),
    "missing": (frozenset({_C.GUARDIANSHIP_HARDSHIP}), frozenset({"de_facto_unsupported", "scattered_orphan"})),
    "serious_illness": (frozenset({_C.FAMILY_HARDSHIP, _C.GUARDIANSHIP_HARDSHIP}), frozenset({"de_facto_unsupported"})),
    "disability": (frozenset({_C.FAMILY_HARDSHIP, _C.GUARDIANSHIP_HARDSHIP}), frozenset({"de_facto_unsupported"})),
    "dibao": (frozenset({_C.FAMILY_HARDSHIP}), frozenset({"poor_family"})),
    "tekun": (frozenset({_C.FAMILY_HARDSHIP}), frozenset({"poor_family"})),
}
#: the child's own record kind → what already covers it
CHILD_COVER: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "disability": (frozenset({_C.SELF_HARDSHIP}), frozenset({"disabled"})),
    "serious_illness": (frozenset({_C.SELF_HARDSHIP}), frozenset({"seriously_ill"})),
    "dibao": (frozenset({_C.FAMILY_HARDSHIP}), frozenset({"poor_family"})),
    "tekun": (frozenset({_C.FAMILY_HARDSHIP, _C.GUARDIANSHIP_HARDSHIP}),
              frozenset({"poor_family", "scattered_orphan", "de_facto_unsupported"})),
}
_G = GuardianStatus
#: what a confirmed guardian record makes of the guardian's situation
GUARDIAN_STATUS_AFTER = {
    "prison_admission": _G.IMPRISONED.value, "prison_release": _G.NORMAL.value, "death": _G.DECEASED.value,
    "drug_rehab": _G.DRUG_REHAB.value, "missing": _G.MISSING.value, "serious_illness": _G.SERIOUSLY_ILL.value,
    "disability": _G.DISABLED.value,
}
#: the special-concern situation a confirmed record adds to the child (the child's own, or a guardian's 低保/特困)
CHILD_CONCERN_AFTER = {"disability": "disabled", "serious_illness": "seriously_ill", "dibao": "poor_family",
                       "tekun": "poor_family"}
GUARDIAN_CONCERN_AFTER = {"dibao": "poor_family", "tekun": "poor_family"}
#: the matcher's reasons in Chinese
REASON_NAMES = {
    "id:same": "身份证号一致", "id:near": "身份证号仅一位不同或两位颠倒（疑似录入错误）", "id:different": "身份证号不同",
    "id:unknown": "一方无身份证号", "name:exact": "姓名一致", "name:homophone": "姓名同音（疑似输入法错字）",
    "name:typo": "姓名仅一字不同", "name:no": "姓名不同", "birth:same": "出生日期一致", "birth:different": "出生日期不同",
    "birth:unknown": "一方无出生日期", "county:same": "区县一致", "county:different": "区县不同",
    "county:unknown": "区县无法比较", "village:same": "村（社区）一致",
}
#: who decides: civil-affairs staff (within their area) and the admin
DECIDER_ROLES = frozenset({Role.AGENCY_STAFF, Role.ADMIN})
#: who reads every review
READ_ALL_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


# --- the register as the matcher reads it ------------------------------------------------------------------


def register_lines(session: Session, cipher: FieldCipher) -> list[dict[str, Any]]:
    """Every active child of every county, with its guardians, shaped like the ``hotline match`` register
    (``child_id`` is the database id; a guardian's ``relation`` is ``g<guardian id>``). Plain rows, not ORM
    objects: a province's register is a million children and two million guardians."""
    village, township = aliased(Place), aliased(Place)
    children = session.execute(
        select(Child.id, Child.name, Child.id_number_sealed, Child.birth_date, Child.gender, Child.residence_address,
               Region.name, Region.path, township.name, village.name)
        .join(village, village.id == Child.village_id).join(Region, Region.id == Child.county_id)
        .outerjoin(township, township.id == village.parent_id)
        .where(Child.status == "active").order_by(Child.id))
    guardians: dict[int, list[dict[str, Any]]] = {}
    active = select(Child.id).where(Child.status == "active")
    for gid, child_id, name, sealed, birth in session.execute(
            select(Guardian.id, Guardian.child_id, Guardian.name, Guardian.id_number_sealed, Guardian.birth_date)
            .where(Guardian.child_id.in_(active)).order_by(Guardian.id)):
        guardians.setdefault(child_id, []).append({
            "relation": f"g{gid}", "name": name, "id_number": cipher.open(sealed),
            "birth_date": birth.isoformat() if birth else None})
    lines = []
    for cid, name, sealed, birth, gender, address, county, path, town, vill in children:
        # the village label last: the matcher takes the village from the last 村 of the address
        label = " ".join(p for p in (path.replace("/", ""), town, vill) if p)
        lines.append({
            "child_id": str(cid), "name": name, "id_number": cipher.open(sealed),
            "birth_date": birth.isoformat() if birth else None, "gender": gender, "county": county,
            "address": " ".join(p for p in (address, label) if p), "guardians": guardians.get(cid, []),
        })
    return lines


def build_register(session: Session, cipher: FieldCipher) -> matching.Register:
    counties = session.scalars(select(Region.name).where(Region.level == RegionLevel.COUNTY))
    return matching.Register.build(register_lines(session, cipher), matching.Places(counties))


# --- the rule table -----------------------------------------------------------------------------------------


def _covered(child: Child, cover: tuple[frozenset[str], frozenset[str]]) -> bool:
    categories, concerns = cover
    return child.category in categories or bool(set(child.concerns or ()) & concerns)


def kind_for(source_kind: str, child: Child, guardian: Guardian | None) -> str:
    """The review's kind by the module's rule table."""
    if guardian is not None:
        if source_kind == "prison_release":
            return (ReviewKind.SHOULD_EXIT if guardian.status == GuardianStatus.IMPRISONED
                    else ReviewKind.CHANGED).value
        cover = GUARDIAN_COVER.get(source_kind)
    else:
        cover = CHILD_COVER.get(source_kind) if SOURCE_SUBJECTS[source_kind] != SUBJECT_GUARDIAN else None
    if cover is None:
        return ReviewKind.CHANGED.value
    return (ReviewKind.CHANGED if _covered(child, cover) else ReviewKind.NEWLY_ELIGIBLE).value


def reasons_zh(reasons: tuple[str, ...] | list[str]) -> list[str]:
    return [REASON_NAMES.get(r, r) for r in reasons]


# --- creating reviews ---------------------------------------------------------------------------------------


class _Numbers:
    """``BD-YYYYMMDD-NNNNN``: per Beijing day, continuing from the day's highest number. On PostgreSQL an
    advisory lock held to the end of the transaction keeps two imports from numbering at once."""

    def __init__(self, session: Session, now: datetime) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext('hotline.match_review_numbers'))"))
        self.prefix = f"BD-{now.astimezone(SHANGHAI):%Y%m%d}-"
        last = session.scalar(select(func.max(MatchReview.number)).where(MatchReview.number.like(f"{self.prefix}%")))
        self.last = int(last.rsplit("-", 1)[1]) if last else 0

    def next(self) -> str:
        self.last += 1
        return f"{self.prefix}{self.last:05d}"


def _unit_of(session: Session, county_id: int, cache: dict[int, AgencyUnit]) -> AgencyUnit:
    """The civil-affairs bureau of the county (else the nearest one above it)."""
    if county_id not in cache:
        region = session.get(Region, county_id)
        unit = None
        while region is not None and unit is None:
            unit = session.scalar(select(AgencyUnit).where(AgencyUnit.agency == "civil_affairs",
                                                           AgencyUnit.region_id == region.id))
            region = region.parent
        if unit is None:
            raise InputError("找不到儿童所在县的民政部门，请联系管理员初始化机构数据", code="unknown_unit")
        cache[county_id] = unit
    return cache[county_id]


_GENDERS = {"男": "male", "m": "male", "male": "male", "女": "female", "f": "female", "female": "female"}


def _gender_code(raw: str | None) -> str | None:
    return _GENDERS.get((raw or "").strip().lower())


def _store_record(list_id: int, record: dict[str, Any], cipher: FieldCipher, places: matching.Places) -> AgencyRecord:
    parsed = matching.parse_id(record.get("id_number"))
    id_number = parsed.value[:24] if parsed else None
    birth = matching.parse_date(record.get("birth_date")) or (parsed.birth if parsed and parsed.valid else None)
    return AgencyRecord(
        list_id=list_id, row_number=int(record["record_id"]), name=(record.get("name") or "")[:32],
        id_number_sealed=cipher.seal(id_number), id_number_masked=register.mask_id_number(id_number),
        birth_date=birth, gender=_gender_code(record.get("gender")),
        county=(places.county(record.get("county"), record.get("address")) or record.get("county") or "")[:64] or None,
        address=(record.get("address") or "")[:200] or None, date=matching.parse_date(record.get("date")),
    )


def _open_keys(session: Session, child_ids: set[int], source_kind: str) -> set[tuple[int, int | None, str | None]]:
    """(child, guardian, event date) of the open reviews of this source kind for these children."""
    keys = set()
    for chunk in _chunks(child_ids):
        rows = session.execute(
            select(MatchReview.child_id, MatchReview.guardian_id, AgencyRecord.date)
            .join(AgencyList, AgencyList.id == MatchReview.list_id)
            .join(AgencySource, AgencySource.id == AgencyList.source_id)
            .outerjoin(AgencyRecord, AgencyRecord.id == MatchReview.record_id)
            .where(MatchReview.status == "open", AgencySource.kind == source_kind, MatchReview.child_id.in_(chunk)))
        keys.update((c, g, d) for c, g, d in rows)
    return keys


def _chunks(ids: set[int], size: int = 500) -> list[list[int]]:
    """IN lists of a bounded length (SQLite limits the parameters of one statement)."""
    ordered = sorted(ids)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


_GUARDIAN = re.compile(r"^g(\d+)$")


def review_list(session: Session, agency_list: AgencyList, records: list[dict[str, Any]], *, cipher: FieldCipher,
                now: datetime, working_days: int, calendar: WorkCalendar,
                workday_start: time = time(8, 30)) -> ImportOutcome:
    """Match ``records`` (dicts shaped like ``hotline match`` records) against the register and queue a
    review for each match; stores the matched records only and sets the list's ``matched``."""
    source_kind = agency_list.source.kind
    register_index = build_register(session, cipher)
    found = [(record, matching.match_record(register_index, record)) for record in records]
    found = [(record, matches) for record, matches in found if matches]
    child_ids = {int(m.child_id) for _, matches in found for m in matches}
    children = {c.id: c for chunk in _chunks(child_ids) for c in session.scalars(select(Child).where(Child.id.in_(chunk)))}
    open_keys = _open_keys(session, child_ids, source_kind)
    due_at = calendar.add_working_days(now, working_days, workday_start)
    numbers = _Numbers(session, now) if found else None
    units: dict[int, AgencyUnit] = {}
    outcome = ImportOutcome()
    per_unit: Counter[AgencyUnit] = Counter()
    for record, matches in found:
        stored: AgencyRecord | None = None
        event_date = matching.parse_date(record.get("date"))
        for match in matches:
            child = children[int(match.child_id)]
            hit = _GUARDIAN.match(match.relation)
            guardian = next((g for g in child.guardians if hit and g.id == int(hit.group(1))), None)
            key = (child.id, guardian.id if guardian else None, event_date)
            if key in open_keys:
                outcome.duplicates += 1
                continue
            open_keys.add(key)
            if stored is None:
                stored = _store_record(agency_list.id, record, cipher, register_index.places)
                session.add(stored)
                session.flush()
            unit = _unit_of(session, child.county_id, units)
            assert numbers is not None
            session.add(MatchReview(
                number=numbers.next(), list_id=agency_list.id, record_id=stored.id, child_id=child.id,
                guardian_id=guardian.id if guardian else None,
                relation=guardian.relation if guardian else "child", confidence=match.confidence,
                reasons=reasons_zh(match.reasons), kind=kind_for(source_kind, child, guardian), unit_id=unit.id,
                status="open", created_at=now, due_at=due_at, alerts={}, supervision_count=0,
                alert_at=first_moment(ClockRun("resolve", now, due_at))))  # its first reminder
            per_unit[unit] += 1
            outcome.reviews += 1
    agency_list.matched = len(found)
    outcome.by_unit = {unit.name: count for unit, count in per_unit.items()}
    notifier = Notifier(session, now)
    for unit, count in per_unit.items():
        notifier.send(kind="match_review", title=f"数据比对：{agency_list.source.name}新增 {count} 条待复核",
                      body=f"请在 {working_days} 个工作日内核实并处理。", link="/console/matching/?status=open",
                      unit=unit, dedupe_key=f"match_list:{agency_list.id}:{unit.id}")
    session.flush()
    return outcome


# --- the queue ----------------------------------------------------------------------------------------------


def _scope(session: Session, actor: Actor) -> ColumnElement[bool]:
    """County civil-affairs staff: their unit's reviews; prefecture staff: their counties'; province staff,
    dispatchers, supervisors and the admin: all; anyone else: none."""
    if actor.role in READ_ALL_ROLES:
        return true()
    if actor.role is Role.AGENCY_STAFF:
        counties = county_ids_of_unit(session, actor.unit_id)
        if counties is None:
            return true()
        if not counties:
            return false()
        units = select(AgencyUnit.id).where(AgencyUnit.agency == "civil_affairs", AgencyUnit.region_id.in_(counties))
        return MatchReview.unit_id.in_(units) | (MatchReview.unit_id == actor.unit_id)
    return false()


def may_see_queue(session: Session, actor: Actor) -> bool:
    return actor.role in READ_ALL_ROLES or (actor.role is Role.AGENCY_STAFF
                                            and county_ids_of_unit(session, actor.unit_id) != frozenset())


def may_decide(session: Session, actor: Actor) -> bool:
    return actor.role is Role.ADMIN or (actor.role is Role.AGENCY_STAFF
                                        and county_ids_of_unit(session, actor.unit_id) != frozenset())


@dataclass(frozen=True)
class QueuePage:
    reviews: list[MatchReview]
    total: int
    page: int
    has_next: bool


def queue(session: Session, actor: Actor, filters: dict[str, Any], now: datetime) -> QueuePage:
    """The reviews ``actor`` may see, filtered (``QUEUE_SPEC``): open ones first, the earliest deadline first."""
    stmt = select(MatchReview).where(_scope(session, actor))
    if filters.get("status"):
        stmt = stmt.where(MatchReview.status == filters["status"])
    if filters.get("kind"):
        stmt = stmt.where(MatchReview.kind == filters["kind"])
    if filters.get("source_kind"):
        lists = select(AgencyList.id).join(AgencySource, AgencySource.id == AgencyList.source_id).where(
            AgencySource.kind == filters["source_kind"])
        stmt = stmt.where(MatchReview.list_id.in_(lists))
    if filters.get("overdue"):
        stmt = stmt.where(MatchReview.status == "open", MatchReview.due_at < now)
    page = filters.get("page") or 1
    total = session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    order = (MatchReview.status != "open", MatchReview.due_at, MatchReview.id)
    found = list(session.scalars(stmt.order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return QueuePage(found, total, page, page * PER_PAGE < total)


def get_review(session: Session, actor: Actor, number: str) -> MatchReview:
    """The review with this number if ``actor`` may see it; otherwise the same NotFound as a wrong number."""
    found = session.scalar(select(MatchReview).where(MatchReview.number == number, _scope(session, actor)))
    if found is None:
        raise NotFound(f"比对复核 {number} 不存在", code="review_not_found")
    return found


def record_of(session: Session, review: MatchReview) -> AgencyRecord | None:
    return session.get(AgencyRecord, review.record_id) if review.record_id else None


def guardian_of(session: Session, review: MatchReview) -> Guardian | None:
    return session.get(Guardian, review.guardian_id) if review.guardian_id else None


def is_overdue(review: MatchReview, now: datetime) -> bool:
    return review.status == "open" and review.due_at < now


def planned_change(session: Session, review: MatchReview) -> str | None:
    """What a confirmation would write to the register, in Chinese (None: nothing)."""
    source_kind = review.source_list.source.kind
    guardian = guardian_of(session, review)
    if guardian is not None:
        status = GUARDIAN_STATUS_AFTER.get(source_kind)
        if status and (source_kind != "prison_release" or guardian.status == GuardianStatus.IMPRISONED) \
                and guardian.status != status:
            relation = rules.RELATION_NAMES.get(guardian.relation, guardian.relation)
            return f"{relation}的状况改为“{rules.GUARDIAN_STATUS_NAMES[status]}”"
        concern = GUARDIAN_CONCERN_AFTER.get(source_kind)
    elif review.relation == "child" and SOURCE_SUBJECTS.get(source_kind) != SUBJECT_GUARDIAN:
        concern = CHILD_CONCERN_AFTER.get(source_kind)
    else:
        concern = None
    if concern and concern not in (review.child.concerns or []):
        return f"重点关注情形加上“{rules.CONCERNS[concern]}”"
    return None


def decide(session: Session, actor: Actor, number: str, values: dict[str, Any], now: datetime) -> MatchReview:
    """Record what was done (``DECIDE_SPEC``); a confirmation writes the record's fact to the register."""
    if not may_decide(session, actor):
        raise Forbidden("只有县级以上民政部门人员和系统管理员可以处理比对复核", code="forbidden")
    review = get_review(session, actor, number)
    if review.status != "open":
        raise Conflict(f"比对复核 {number} 已处理（{STATUS_NAMES[review.status]}）", code="review_decided")
    action = values["action"]
    if action not in ACTIONS:
        raise InputError("处理结果无效", code="unknown_code", details={"field": "action"})
    if not (values.get("note") or "").strip():
        raise InputError("请填写核实情况说明（note）", code="missing_field", details={"field": "note"})
    review.action, review.note = action, values["note"]
    review.status = ACTIONS[action][1]
    review.decided_by, review.decided_at = actor.label, now
    review.alert_at = None  # decided: nothing left for the deadline sweep
    if review.status == "confirmed":
        _apply(session, actor, review, now)
    session.flush()
    return review


def _apply(session: Session, actor: Actor, review: MatchReview, now: datetime) -> None:
    child = review.child
    register.lock_child(session, child)
    before = register._snapshot(child)
    source_kind = review.source_list.source.kind
    guardian = guardian_of(session, review)
    concern = None
    if guardian is not None:
        status = GUARDIAN_STATUS_AFTER.get(source_kind)
        if status and (source_kind != "prison_release" or guardian.status == GuardianStatus.IMPRISONED):
            guardian.status = status
        concern = GUARDIAN_CONCERN_AFTER.get(source_kind)
    elif review.relation == "child" and SOURCE_SUBJECTS.get(source_kind) != SUBJECT_GUARDIAN:
        concern = CHILD_CONCERN_AFTER.get(source_kind)
    if concern and concern not in (child.concerns or []):
        child.concerns = sorted({*(child.concerns or []), concern})
    session.flush()
    changes = register._diff(before, register._snapshot(child))
    if changes:
        register.record_version(session, child, actor, "match", changes, now)


def running_clocks(review: MatchReview) -> list[ClockRun]:
    """The deadline sweep's clock on an open review: the county's decision (复核时限), escalated like a
    ticket's (督办 by the prefecture's, then the province's civil-affairs department)."""
    if review.status != "open":
        return []
    return [ClockRun("resolve", review.created_at, review.due_at, levels_above(review.unit))]
