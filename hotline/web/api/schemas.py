"""Request parsing and response shaping for /api/v1 (strict: unknown fields are refused)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Request

from hotline.accounts.privacy import mask_address, mask_name, mask_phone
from hotline.errors import HotlineError, InputError
from hotline.tickets import lifecycle
from hotline.tickets.intake import IntakeRequest
from hotline.tickets.models import CHANNELS, Ticket
from hotline.tickets.queries import TicketFilter
from hotline.timeutil import SHANGHAI, iso_local

_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{2,19}$")
_INTAKE_FIELDS = {"external_id", "channel", "text", "caller", "child", "address", "received_at"}


class BadJson(HotlineError):
    status = 400
    code = "malformed_json"


class UnsupportedMediaType(HotlineError):
    status = 415
    code = "unsupported_media_type"


def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object: 415 / 400 / 422 with a clear message otherwise."""
    raw = request.get_data(cache=True)  # MAX_CONTENT_LENGTH -> 413 before we get here
    if not raw and not required:
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("请使用 Content-Type: application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("请求内容不是有效的 UTF-8 编码", code="invalid_utf8") from None
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise BadJson(f"JSON 格式错误：第 {getattr(exc, 'lineno', '?')} 行附近") from None
    if not isinstance(body, dict):
        raise InputError("请求体必须是 JSON 对象", code="wrong_type")
    return body


def _str(body: dict, name: str, label: str, *, max_len: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InputError(f"缺少必填字段：{label}（{name}）", code="missing_field", details={"field": name})
        return None
    if not isinstance(value, str):
        raise InputError(f"{label}（{name}）必须是字符串", code="wrong_type", details={"field": name})
    value = value.strip()
    if required and not value:
        raise InputError(f"{label}（{name}）不能为空", code="missing_field", details={"field": name})
    if len(value) > max_len:
        raise InputError(f"{label}（{name}）不能超过 {max_len} 字", code="too_long", details={"field": name})
    return value or None


def _object(body: dict, name: str, fields: set[str]) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{name} 必须是 JSON 对象", code="wrong_type", details={"field": name})
    unknown = sorted(set(value) - fields)
    if unknown:
        raise InputError(
            f"{name} 含有未知字段：{', '.join(unknown)}", code="unknown_field", details={"fields": unknown}
        )
    return value


def parse_intake(body: dict, *, max_text: int) -> IntakeRequest:
    unknown = sorted(set(body) - _INTAKE_FIELDS)
    if unknown:
        raise InputError(f"含有未知字段：{', '.join(unknown)}", code="unknown_field", details={"fields": unknown})
    channel = _str(body, "channel", "来源渠道", max_len=16, required=True)
    if channel not in CHANNELS:
        raise InputError(
            f"来源渠道“{channel}”无效，可选：{', '.join(CHANNELS)}", code="unknown_code", details={"field": "channel"}
        )
    text = _str(body, "text", "诉求内容", max_len=max_text, required=True)
    caller = _object(body, "caller", {"name", "phone"})
    phone = _str(caller, "phone", "来电号码", max_len=20)
    if phone and not _PHONE.match(phone):
        raise InputError("来电号码格式不正确", code="bad_phone", details={"field": "caller.phone"})
    child = _object(body, "child", {"name", "age", "gender"})
    age = child.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 17):
        raise InputError("儿童年龄须为 0-17 的整数", code="bad_age", details={"field": "child.age"})
    gender = _str(child, "gender", "儿童性别", max_len=8)
    if gender not in (None, "男", "女", "male", "female"):
        raise InputError("儿童性别须为 男/女", code="bad_gender", details={"field": "child.gender"})
    return IntakeRequest(
        channel=channel,
        text=text,
        external_id=_str(body, "external_id", "外部编号", max_len=64),
        caller_name=_str(caller, "name", "来电人姓名", max_len=64),
        caller_phone=phone,
        child_name=_str(child, "name", "儿童姓名", max_len=64),
        child_age=age,
        child_gender={"male": "男", "female": "女"}.get(gender or "", gender),
        address=_str(body, "address", "地址", max_len=200),
        received_at=_datetime(body.get("received_at")),
    )


def _datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError("received_at 必须是 ISO 8601 时间字符串", code="wrong_type", details={"field": "received_at"})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError("received_at 不是有效的 ISO 8601 时间", code="bad_datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)  # local time when no offset


def parse_filter(args: dict[str, str]) -> TicketFilter:
    def flag(name: str) -> bool | None:
        raw = args.get(name)
        if raw is None or raw == "":
            return None
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no"):
            return False
        raise InputError(f"参数 {name} 须为 true/false", code="bad_parameter", details={"field": name})

    def number(name: str, default: int, upper: int) -> int:
        raw = args.get(name) or str(default)
        if not raw.isdigit() or not 1 <= int(raw) <= upper:
            raise InputError(f"参数 {name} 须为 1-{upper} 的整数", code="bad_parameter", details={"field": name})
        return int(raw)

    status = args.get("status") or None
    if status and status not in lifecycle.TicketStatus.__members__.values():
        raise InputError(f"未知状态“{status}”", code="bad_parameter", details={"field": "status"})
    return TicketFilter(
        status=status,
        category=args.get("category") or None,
        urgency=args.get("urgency") or None,
        prefecture=args.get("prefecture") or None,
        unit_code=args.get("unit") or None,
        extension_state="requested" if flag("extension_requested") else None,
        overdue=flag("overdue"),
        needs_review=flag("needs_review"),
        page=number("page", 1, 100000),
        per_page=number("per_page", 50, 200),
    )


def _iso(moment: datetime | None) -> str | None:
    return iso_local(moment) if moment else None


def ticket_json(ticket: Ticket, *, masked: bool, with_events: bool = False) -> dict[str, Any]:
    name, phone = ticket.caller_name, ticket.caller_phone
    child_name, address = ticket.child_name, ticket.address
    if masked:
        name, phone, child_name, address = (
            mask_name(name),
            mask_phone(phone),
            mask_name(child_name),
            mask_address(address),
        )
    body: dict[str, Any] = {
        "number": ticket.number,
        "external_id": ticket.external_id,
        "channel": ticket.channel,
        "status": ticket.status,
        "status_name": lifecycle.STATUS_NAMES_ZH[lifecycle.TicketStatus(ticket.status)],
        "text": ticket.text,
        "caller": {"name": name, "phone": phone},
        "child": {"name": child_name, "age": ticket.child_age, "gender": ticket.child_gender},
        "address": address,
        "received_at": _iso(ticket.received_at),
        "triage": {
            "mode": ticket.triage_mode,
            "needs_review": ticket.needs_review,
            "confidence": ticket.confidence,
            "predicted": ticket.predicted,
        },
        "category": ticket.category,
        "kind": ticket.kind,
        "urgency": ticket.urgency,
        "prefecture": ticket.prefecture,
        "county": ticket.county,
        "lead_unit": {"code": ticket.lead_unit.code, "name": ticket.lead_unit.name} if ticket.lead_unit else None,
        "co_units": [{"code": u.code, "name": u.name} for u in ticket.co_units],
        "deadlines": {
            "sign": _iso(ticket.sign_due_at),
            "first_feedback": _iso(ticket.first_feedback_due_at),
            "resolve": _iso(ticket.resolve_due_at),
            "return": _iso(ticket.return_due_at),
            "callback": _iso(ticket.callback_due_at),
        },
        "dispatched_at": _iso(ticket.dispatched_at),
        "signed_at": _iso(ticket.signed_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "result": ticket.result,
        "satisfaction": ticket.satisfaction,
        "extension": {"state": ticket.extension_state, "days": ticket.extension_days},
        "supervision_count": ticket.supervision_count,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "version": ticket.version,
        "allowed_actions": lifecycle.allowed_actions(ticket.status),
    }
    if with_events:
        body["events"] = [
            {
                "at": _iso(e.at),
                "action": e.action,
                "action_name": lifecycle.ACTION_NAMES_ZH.get(e.action, e.action),
                "from": e.from_status,
                "to": e.to_status,
                "actor": e.actor,
                "role": e.actor_role,
                "note": e.note,
                "data": e.data,
            }
            for e in ticket.events
        ]
    return body
