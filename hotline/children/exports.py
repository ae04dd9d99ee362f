"""Exporting the register: asked for with a reason, approved by a supervisor (督导) who is not the requester,
downloaded once by the requester, within the requester's scope, audited. ID numbers and phones are
masked unless the approval was for an unmasked export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.models import Role
from hotline.children import rules
from hotline.children.models import Child, ExportRequest
from hotline.children.privacy import view_child
from hotline.children.scopes import may_see_register, visible_children
from hotline.crypto import FieldCipher
from hotline.errors import Conflict, Forbidden, InputError, NotFound
from hotline.inputs import Boolean, Choice, Spec, Text

MAX_ROWS = 50_000
#: who may ask (operators answer calls; they do not take the register away)
REQUESTERS = frozenset({Role.CHILD_SUPERVISOR, Role.CHILD_DIRECTOR, Role.AGENCY_STAFF, Role.DISPATCHER,
                        Role.ADMIN, Role.SUPERVISOR})
APPROVERS = frozenset({Role.SUPERVISOR})
STATUS_NAMES = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回", "downloaded": "已下载"}
REQUEST_SPEC = Spec([
    Choice(name="category", label="儿童类别", choices=rules.CATEGORY_NAMES),
    Choice(name="assessment", label="监护状况评估", choices=rules.ASSESSMENT_NAMES),
    Text(name="reason", label="导出用途", max_length=200, required=True),
    Boolean(name="unmasked", label="需要完整身份证号和电话（须说明用途）"),
])
DECIDE_SPEC = Spec([Choice(name="decision", label="审批", choices={"approve": "批准", "reject": "驳回"}, required=True)])
HEADER = ["档案号", "姓名", "身份证号", "出生日期", "性别", "县（市、区）", "乡镇（街道）", "村（社区）", "居住地址",
          "儿童类别", "监护状况", "重点关注情形", "监护人", "状态"]


def request_export(session: Session, actor: Actor, values: dict[str, Any], now: datetime) -> ExportRequest:
    if actor.role not in REQUESTERS or not may_see_register(session, actor):
        raise Forbidden("您的角色不能导出儿童档案", code="forbidden")
    found = ExportRequest(requested_by=actor.label, requested_at=now, reason=values["reason"],
                          unmasked=bool(values.get("unmasked")), status="pending",
                          scope={k: values.get(k) for k in ("category", "assessment") if values.get(k)})
    session.add(found)
    session.flush()
    record_audit(session, actor, "export_request", f"register_export:{found.id}",
                 f"unmasked={found.unmasked}", None, reason=found.reason)
    return found


def requests_for(session: Session, actor: Actor) -> list[ExportRequest]:
    """Approvers see every request; everyone else their own."""
    stmt = select(ExportRequest).order_by(ExportRequest.id.desc()).limit(200)
    if actor.role not in APPROVERS:
        stmt = stmt.where(ExportRequest.requested_by == actor.label)
    return list(session.scalars(stmt))


def _get(session: Session, request_id: int) -> ExportRequest:
    found = session.get(ExportRequest, request_id)
    if found is None:
        raise NotFound(f"导出申请 {request_id} 不存在", code="export_not_found")
    return found


def decide(session: Session, actor: Actor, request_id: int, decision: str, now: datetime,
           source_ip: str | None) -> ExportRequest:
    if actor.role not in APPROVERS:
        raise Forbidden("只有督导可以审批儿童档案导出", code="forbidden")
    found = _get(session, request_id)
    if found.status != "pending":
        raise Conflict("该申请已处理", code="already_decided")
    if found.requested_by == actor.label:
        raise Forbidden("不能审批自己的导出申请", code="own_request")
    found.status = "approved" if decision == "approve" else "rejected"
    found.decided_by, found.decided_at = actor.label, now
    record_audit(session, actor, f"export_{found.status}", f"register_export:{found.id}", None, source_ip)
    session.flush()
    return found


def _row(actor: Actor, child: Child, cipher: FieldCipher, unmasked: bool) -> list[str]:
    shown = view_child(actor, child)
    village = child.village
    guardians = "；".join(
        f"{rules.RELATION_NAMES.get(g.relation, g.relation)} {g.name if unmasked else view.name} "
        f"{(cipher.open(g.phone_sealed) if unmasked else view.phone) or ''} "
        f"{rules.GUARDIAN_STATUS_NAMES.get(g.status, g.status)}"
        for g, view in zip(child.guardians, shown.guardians, strict=True))
    return [
        child.number, child.name if unmasked else shown.name,
        (cipher.open(child.id_number_sealed) if unmasked else shown.id_number) or "",
        child.birth_date.isoformat() if child.birth_date else "", rules.GENDER_NAMES.get(child.gender or "", ""),
        village.county.path.replace("/", ""), village.parent.name if village.parent else "", village.name,
        (child.residence_address if unmasked else shown.residence_address) or "",
        rules.CATEGORY_NAMES.get(child.category, child.category), rules.ASSESSMENT_NAMES.get(child.assessment, ""),
        "、".join(rules.CONCERNS.get(c, c) for c in child.concerns or []), guardians,
        "在册" if child.status == "active" else "已退出",
    ]


def download(session: Session, actor: Actor, request_id: int, *, cipher: FieldCipher, now: datetime,
             source_ip: str | None) -> list[list[str]]:
    """The approved export's rows, once, by its requester, within the requester's scope; audited."""
    found = _get(session, request_id)
    if found.requested_by != actor.label:
        raise NotFound(f"导出申请 {request_id} 不存在", code="export_not_found")
    if found.status != "approved":
        raise Conflict("该申请尚未批准或已下载过", code="not_approved")
    stmt = visible_children(session, actor)
    for key in ("category", "assessment"):
        if found.scope.get(key):
            stmt = stmt.where(getattr(Child, key) == found.scope[key])
    total = session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
    if total > MAX_ROWS:
        raise InputError(f"导出结果 {total} 行，超过上限 {MAX_ROWS} 行，请缩小范围", code="export_too_large")
    rows = [_row(actor, c, cipher, found.unmasked) for c in session.scalars(stmt.order_by(Child.id))]
    found.status = "downloaded"
    record_audit(session, actor, "export", f"register_export:{found.id}",
                 f"rows={len(rows)} unmasked={found.unmasked}", source_ip, reason=found.reason)
    session.flush()
    return rows
