"""Adding children to the register and changing their records: validation (GB 11643 ID numbers, places in
the actor's scope), sealed ID numbers and phones, and a version row for every change (who, when, what).

Services flush, never commit; the request or command that calls them commits.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role, User
from hotline.children import rules, visits
from hotline.children.matching import parse_id
from hotline.children.models import Child, ChildVersion, Guardian, Place, PlaceLevel
from hotline.children.scopes import EDITORS, get_child, villages_in_scope
from hotline.crypto import FieldCipher
from hotline.errors import Conflict, Forbidden, InputError
from hotline.inputs import Choice, Day, Integer, Spec, Text, TextList

MAX_GUARDIANS = 4
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")

GUARDIAN_SPEC = Spec([
    Choice(name="relation", label="与儿童关系", choices=rules.RELATION_NAMES, required=True),
    Text(name="name", label="监护人姓名", max_length=32, required=True),
    Text(name="id_number", label="监护人身份证号", max_length=24),
    Day(name="birth_date", label="监护人出生日期"),
    Text(name="phone", label="监护人电话", max_length=20, pattern=r"\+?[0-9][0-9\- ]{4,19}"),
    Choice(name="status", label="监护人状况", choices=rules.GUARDIAN_STATUS_NAMES),
])
CHILD_SPEC = Spec([
    Text(name="name", label="儿童姓名", max_length=32, required=True),
    Text(name="id_number", label="身份证号", max_length=24, help="18 位，按 GB 11643 校验；15 位旧号自动升位"),
    Day(name="birth_date", label="出生日期", help="有身份证号时可不填"),
    Choice(name="gender", label="性别", choices=rules.GENDER_NAMES, aliases={"男": "male", "女": "female"}),
    Integer(name="residence_place", label="居住地（村、社区）", minimum=1, maximum=2**31 - 1, required=True),
    Text(name="residence_address", label="居住地详细地址", max_length=200),
    Integer(name="household_place", label="户籍地（村、社区）", minimum=1, maximum=2**31 - 1,
            help="与居住地不同时填写"),
    Text(name="household_address", label="户籍地详细地址", max_length=200),
    Integer(name="village", label="负责村（社区）", minimum=1, maximum=2**31 - 1,
            help="由哪个村的儿童主任负责；默认居住地（两地民政部门另有约定时改填）"),
    Choice(name="category", label="儿童类别", choices=rules.CATEGORY_NAMES, required=True),
    Choice(name="assessment", label="监护状况评估", choices=rules.ASSESSMENT_NAMES, required=True,
           help="较好每三个月、一般每月、重点关注每两周入户走访一次"),
    TextList(name="concerns", label="重点关注情形", item=Choice(name="concern", label="情形", choices=rules.CONCERNS),
             max_items=len(rules.CONCERNS)),
    Text(name="director", label="负责的儿童主任（用户名）", max_length=64),
    Choice(name="status", label="状态", choices={"active": "在册", "exited": "已退出"}),
    Text(name="notes", label="备注", max_length=2000, multiline=True),
    #: the version the edit form was opened at: a change saved meanwhile by someone else is not overwritten
    Integer(name="version", label="档案版本", minimum=0, maximum=2**31 - 1),
])


def parse_child_form(form: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The console's child form: the child's fields, and guardians as ``g1_name``, ``g1_relation`` … ``g4_*``
    (a guardian block left blank is skipped)."""
    values = CHILD_SPEC.parse(form, source="text")
    guardians = []
    for i in range(1, MAX_GUARDIANS + 1):
        block = {f.name: form.get(f"g{i}_{f.name}", "") for f in GUARDIAN_SPEC.fields}
        if any(str(v).strip() for k, v in block.items() if k not in ("relation", "status")):
            guardians.append(GUARDIAN_SPEC.parse(block, source="text", prefix=f"g{i}_"))
    return values, guardians


def parse_child_json(body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The API's child: CHILD_SPEC's fields plus ``guardians``, a list of GUARDIAN_SPEC objects."""
    if not isinstance(body, dict):
        raise InputError("请求体必须是 JSON 对象", code="wrong_type")
    raw = body.get("guardians") or []
    if not isinstance(raw, list) or len(raw) > MAX_GUARDIANS:
        raise InputError(f"guardians 必须是不超过 {MAX_GUARDIANS} 项的列表", code="bad_guardians")
    values = CHILD_SPEC.parse({k: v for k, v in body.items() if k != "guardians"}, source="json")
    return values, [GUARDIAN_SPEC.parse(g, source="json", prefix=f"guardians[{i}].") for i, g in enumerate(raw)]


def mask_id_number(value: str | None) -> str | None:
    """220122********123X"""
    if not value:
        return None
    return value[:6] + "*" * max(0, len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return None
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value[:2] + "*" * (len(value) - 2)


def normalise_id(raw: str | None, field: str) -> str | None:
    """An 18-character ID number that passes GB 11643, from any way it was written; InputError otherwise."""
    if raw is None:
        return None
    parsed = parse_id(raw)
    if parsed is None:
        return None
    if not parsed.valid:
        raise InputError("身份证号校验不通过（GB 11643 校验码或出生日期不对），请核对", code="bad_id_number",
                         details={"field": field})
    return parsed.value


def phone_digits(raw: str | None) -> str | None:
    return re.sub(r"[^0-9+]", "", raw) if raw else None


def _seal(target: Child | Guardian, prefix: str, value: str | None, cipher: FieldCipher,
          mask: Any = mask_id_number) -> None:
    setattr(target, f"{prefix}_sealed", cipher.seal(value))
    setattr(target, f"{prefix}_digest", cipher.digest(value))
    setattr(target, f"{prefix}_masked", mask(value))


def _birth_and_gender(id_number: str | None, birth: date | None, gender: str | None) -> tuple[date | None, str | None]:
    if id_number is None:
        return birth, gender
    from_id = date.fromisoformat(f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}")
    if birth is not None and birth != from_id:
        raise InputError("出生日期与身份证号不一致", code="birth_date_mismatch", details={"field": "birth_date"})
    id_gender = "male" if int(id_number[16]) % 2 else "female"
    if gender is not None and gender != id_gender:
        raise InputError("性别与身份证号不一致", code="gender_mismatch", details={"field": "gender"})
    return from_id, id_gender


def _place(session: Session, actor: Actor, place_id: int | None, field: str, *, in_scope: bool) -> Place | None:
    if place_id is None:
        return None
    place = session.get(Place, place_id)
    if place is None or place.level != PlaceLevel.VILLAGE:
        raise InputError("请选择一个村（社区）", code="unknown_place", details={"field": field})
    if in_scope and place.id not in {p.id for p in villages_in_scope(session, actor)}:
        raise Forbidden("该村（社区）不在您的管辖范围内", code="place_out_of_scope")
    return place


def _director(session: Session, username: str | None, village: Place) -> User | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.role != Role.CHILD_DIRECTOR.value:
        raise InputError(f"“{username}”不是儿童主任账号", code="unknown_director", details={"field": "director"})
    if village.id not in {p.id for p in user.places}:
        raise InputError(f"儿童主任“{username}”不负责{village.name}", code="director_out_of_scope",
                         details={"field": "director"})
    return user


def _snapshot(child: Child) -> dict[str, Any]:
    """What a version records: plain fields as they are; sealed fields only by their digest."""
    return {
        "name": child.name, "id_number": child.id_number_digest, "birth_date": child.birth_date and child.birth_date.isoformat(),
        "gender": child.gender, "residence_place_id": child.residence_place_id,
        "residence_address": child.residence_address, "household_place_id": child.household_place_id,
        "household_address": child.household_address, "village_id": child.village_id,
        "category": child.category, "assessment": child.assessment, "concerns": sorted(child.concerns or []),
        "director_id": child.director_id, "status": child.status, "notes": child.notes,
        "guardians": [
            {"relation": g.relation, "name": g.name, "id_number": g.id_number_digest, "phone": g.phone_digest,
             "birth_date": g.birth_date and g.birth_date.isoformat(), "status": g.status}
            for g in child.guardians
        ],
    }


_SEALED = ("id_number", "phone")
#: how a version's changed fields are named on the child's page
FIELD_NAMES = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "gender": "性别",
               "residence_place_id": "居住地", "residence_address": "居住地址", "household_place_id": "户籍地",
               "household_address": "户籍地址", "village_id": "负责村", "category": "类别", "assessment": "监护状况",
               "concerns": "重点关注情形", "director_id": "儿童主任", "status": "状态", "notes": "备注",
               "guardians": "监护人", "ticket": "关联工单", "lead": "关联核查线索"}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        if key in _SEALED:
            changes[key] = ["已更改"]
        elif key == "guardians":
            changes[key] = [[_guardian_label(g) for g in old or []], [_guardian_label(g) for g in new]]
        else:
            changes[key] = [old, new]
    return changes


def _guardian_label(g: dict[str, Any]) -> str:
    return f"{rules.RELATION_NAMES.get(g['relation'], g['relation'])} {g['name']}（" \
           f"{rules.GUARDIAN_STATUS_NAMES.get(g['status'], g['status'])}）"


def lock_child(session: Session, child: Child) -> None:
    """Two changes to one child at once (an edit, a visit, a link): on PostgreSQL the second waits here
    until the first commits, then reads its version (SQLite writes one transaction at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        child.version = session.scalar(select(Child.version).where(Child.id == child.id).with_for_update())


def record_version(session: Session, child: Child, actor: Actor, reason: str, changes: dict[str, Any],
                   now: datetime) -> ChildVersion | None:
    """One version row (nothing when nothing changed); the child's ``version`` counts them."""
    if not changes:
        return None
    if child.id:
        lock_child(session, child)
    child.version = (child.version or 0) + 1 if child.id else 1
    child.updated_at = now
    version = ChildVersion(child_id=child.id, version=child.version, at=now, actor=actor.label, reason=reason,
                           changes=changes)
    session.add(version)
    return version


def _apply(session: Session, actor: Actor, child: Child, values: dict[str, Any],
           guardians: list[dict[str, Any]], cipher: FieldCipher) -> None:
    # a sealed field left blank on an edit keeps what is stored (the form never shows it)
    id_number = normalise_id(values.get("id_number"), "id_number")
    if id_number is None and child.id_number_sealed:
        id_number = cipher.open(child.id_number_sealed)
    birth, gender = _birth_and_gender(id_number, values.get("birth_date"), values.get("gender"))
    residence = _place(session, actor, values["residence_place"], "residence_place", in_scope=True)
    if id_number is not None:  # after the scope check: nobody probes the register from outside it
        duplicate = session.scalar(select(Child.number).where(Child.id_number_digest.in_(cipher.digests(id_number)),
                                                              Child.id != (child.id or 0)))
        if duplicate:
            raise InputError(f"该身份证号已登记（档案号 {duplicate}）", code="duplicate_child",
                             details={"field": "id_number", "number": duplicate})
    household = _place(session, actor, values.get("household_place"), "household_place", in_scope=False)
    village = _place(session, actor, values.get("village"), "village", in_scope=False) or residence
    assert residence is not None and village is not None
    director = _director(session, values.get("director"), village)
    child.name = values["name"]
    _seal(child, "id_number", id_number, cipher)
    child.birth_date, child.gender = birth, gender
    child.residence_place, child.residence_address = residence, values.get("residence_address")
    child.household_place, child.household_address = household, values.get("household_address")
    child.village_id, child.township_id, child.county_id = village.id, village.township_id, village.county_id
    child.category, child.assessment = values["category"], values["assessment"]
    child.concerns = sorted(set(values.get("concerns") or []))
    child.director_id = director.id if director else None
    child.status = values.get("status") or child.status or "active"
    child.notes = values.get("notes")
    existing = list(child.guardians)
    for i, g in enumerate(guardians):
        target = existing[i] if i < len(existing) else Guardian()
        if i >= len(existing):
            child.guardians.append(target)
        gid = normalise_id(g.get("id_number"), f"g{i + 1}_id_number") or cipher.open(target.id_number_sealed)
        phone = phone_digits(g.get("phone")) or cipher.open(target.phone_sealed)
        target.relation, target.name = g["relation"], g["name"]
        _seal(target, "id_number", gid, cipher)
        _seal(target, "phone", phone, cipher, mask_phone)
        target.birth_date = g.get("birth_date") or (date.fromisoformat(f"{gid[6:10]}-{gid[10:12]}-{gid[12:14]}")
                                                    if gid else None)
        target.status = g.get("status") or "normal"
    for extra in existing[len(guardians):]:
        child.guardians.remove(extra)


def create_child(session: Session, actor: Actor, values: dict[str, Any], guardians: list[dict[str, Any]], *,
                 cipher: FieldCipher, now: datetime, ticket_number: str | None = None) -> Child:
    """Register a child (in a village of the actor's scope) and plan its first home visit; with
    ``ticket_number`` (创建自工单) the ticket is linked to the new child."""
    if actor.role not in EDITORS:
        raise Forbidden("您的角色不能登记儿童", code="forbidden")
    child = Child(number=f"tmp-{secrets.token_hex(8)}", version=0, created_at=now, updated_at=now, guardians=[])
    _apply(session, actor, child, values, guardians, cipher)
    session.add(child)
    session.flush()
    child.number = f"ET{child.id:08d}"
    record_version(session, child, actor, "create", _diff({}, _snapshot(child)), now)
    visits.schedule_next(session, child, since=now, now=now)
    if ticket_number:
        from hotline.children.links import link

        link(session, actor, child.number, ticket_number=ticket_number, now=now)
    session.flush()
    return child


def update_child(session: Session, actor: Actor, number: str, values: dict[str, Any],
                 guardians: list[dict[str, Any]], *, cipher: FieldCipher, now: datetime) -> Child:
    """Change a child's record; a new assessment re-plans the next visit from the last one."""
    if actor.role not in EDITORS:
        raise Forbidden("您的角色不能修改儿童档案", code="forbidden")
    child = get_child(session, number, actor)
    lock_child(session, child)
    if values.get("version") is not None and values["version"] != child.version:
        raise Conflict(f"儿童档案已被他人修改（当前第 {child.version} 版），请刷新后重新填写", code="stale_version")
    before = _snapshot(child)
    _apply(session, actor, child, values, guardians, cipher)
    session.flush()
    record_version(session, child, actor, "update", _diff(before, _snapshot(child)), now)
    if before["assessment"] != child.assessment or child.status != before["status"]:
        visits.schedule_next(session, child, since=visits.last_visit_day(session, child) or now, now=now)
    session.flush()
    return child


def form_values(child: Child) -> dict[str, Any]:
    """The edit form's initial values (sealed fields stay empty: typing a new ID number replaces it)."""
    values: dict[str, Any] = {
        "name": child.name, "birth_date": child.birth_date.isoformat() if child.birth_date else "",
        "gender": child.gender, "residence_place": child.residence_place_id,
        "residence_address": child.residence_address, "household_place": child.household_place_id,
        "household_address": child.household_address, "village": child.village_id, "category": child.category,
        "assessment": child.assessment, "concerns": child.concerns or [], "status": child.status,
        "notes": child.notes, "director": child.director.username if child.director else None,
        "version": child.version,
    }
    for i, g in enumerate(child.guardians, start=1):
        values.update({f"g{i}_relation": g.relation, f"g{i}_name": g.name, f"g{i}_status": g.status,
                       f"g{i}_birth_date": g.birth_date.isoformat() if g.birth_date else ""})
    return values


def versions(session: Session, child: Child) -> list[ChildVersion]:
    return list(session.scalars(select(ChildVersion).where(ChildVersion.child_id == child.id)
                                .order_by(ChildVersion.version.desc())))
