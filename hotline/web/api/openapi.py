"""The OpenAPI 3.1 document served at /api/v1/openapi.json, derived from the same input specs and action
declarations that parse the requests: it cannot drift from what the API accepts."""

from __future__ import annotations

from typing import Any

from hotline.accounts.privacy import REVEAL_SPEC
from hotline.inputs import Spec
from hotline.sentiment import leads
from hotline.sentiment.ingest import ITEM_SPEC, MAX_BATCH
from hotline.sentiment.leads import LEAD_ACTIONS
from hotline.tickets import lifecycle
from hotline.tickets.actions import TICKET_ACTIONS
from hotline.tickets.intake import intake_spec
from hotline.tickets.queries import FILTER_SPEC
from hotline.workflow import Registry

_ERROR = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    400: "JSON 格式错误、编码无效或嵌套过深",
    401: "缺少、无效、已吊销或已过期的访问令牌（invalid_token / token_revoked / token_expired）；签名令牌的请求缺少签名头"
         "（signature_required）、签名错误（bad_signature）、时间戳与服务器相差超过 300 秒（stale_timestamp）或 nonce 重复"
         "（replayed_nonce）",
    403: "角色或单位无权执行",
    404: "工单或线索不存在（或不属于本单位）",
    409: "状态不允许该操作、并发修改冲突，或重复提交的内容不同",
    413: "请求体超过上限",
    415: "Content-Type 不是 application/json",
    422: "字段校验失败",
    429: "超过该令牌的请求频率上限，Retry-After 秒后再试",
    503: "数据库暂时不可用或繁忙，未写入任何内容；Retry-After 秒后用同一 Idempotency-Key 重试",
}
_RETRY_AFTER = {"Retry-After": {"description": "建议等待的秒数", "schema": {"type": "integer", "minimum": 1}}}
#: HMAC request signing (tokens created with ``--signed``); other tokens may omit these headers
_SIGNING = [{"$ref": f"#/components/parameters/{name}"} for name in ("Timestamp", "Nonce", "Signature")]


_BATCH_RESULT = {
    "type": "object",
    "properties": {
        "accepted": {"type": "integer"}, "duplicate": {"type": "integer"}, "rejected": {"type": "integer"},
        "results": {"type": "array", "items": {"type": "object", "required": ["index", "status"], "properties": {
            "index": {"type": "integer"}, "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
            "id": {"type": "integer"}, "duplicate_of": {"type": "integer"}, "code": {"type": "string"},
            "reason": {"type": "string"}}}},
    },
}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    """The success answers plus the listed errors; every operation may also answer 503 (database unavailable)."""
    out = dict(ok)
    for code in (*codes, 503):
        out[str(code)] = {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": _ERROR}}}
        if code in (429, 503):
            out[str(code)]["headers"] = _RETRY_AFTER
    return out


def _query_parameters(spec: Spec) -> list[dict[str, Any]]:
    properties = spec.json_schema()["properties"]
    return [{"name": name, "in": "query", "schema": schema, "description": schema.get("description", "")}
            for name, schema in properties.items()]


def _action_paths(prefix: str, registry: Registry, number: dict[str, Any], content: dict[str, Any],
                  result: str) -> dict[str, Any]:
    """One path per declared action, its body schema from the action's own spec."""
    return {
        f"{prefix}/{{number}}/actions/{action.name}": {
            "post": {
                "summary": action.title + (f"：{action.summary}" if action.summary else ""),
                "description": "可执行角色：" + "、".join(sorted(r.value for r in action.roles))
                + ("（协办单位）" if action.unit_rule.value == "co" else ""),
                "parameters": [number, *_SIGNING],
                "requestBody": {"content": {"application/json": {"schema": action.spec.json_schema()}}},
                "responses": _responses({"200": {"description": result, "content": content}},
                                        400, 401, 403, 404, 409, 415, 422),
            }
        }
        for action in registry
    }


def openapi_document(max_text: int) -> dict[str, Any]:
    ticket = {"application/json": {"schema": {"$ref": "#/components/schemas/Ticket"}}}
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
              "example": "12345-20261129-00042"}
    paths: dict[str, Any] = {
        "/tickets": {
            "post": {
                "summary": "登记工单（幂等：相同 external_id 或本令牌的相同 Idempotency-Key 返回同一工单，内容不同返回 409）",
                "description": "Idempotency-Key 按令牌区分：不同接入方使用相同的键互不影响。校验失败的请求不保存键，可修正后重试；"
                               "原请求仍在处理时的重试会等待其完成并返回同一工单。",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 128},
                                "description": "幂等键（如话务平台的来电编号），按令牌区分"}, *_SIGNING],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Intake"}}}},
                "responses": _responses({"201": {"description": "新建工单（个人信息只含请求中提交的内容）", "content": ticket},
                                         "200": {"description": "重复提交，返回已有工单（同一工单编号）", "content": ticket,
                                                 "headers": {"Idempotent-Replayed": {
                                                     "description": "true：这是对先前请求的重放", "schema": {"type": "string"}}}}},
                                        400, 401, 403, 409, 413, 415, 422, 429),
            },
            "get": {
                "summary": "工单列表（个人信息一律脱敏；承办单位只看到本单位工单）",
                "parameters": [*_query_parameters(FILTER_SPEC), *_SIGNING],
                "responses": _responses({"200": {"description": "一页工单", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
                                   "total": {"type": "integer"}, "page": {"type": "integer"},
                                   "per_page": {"type": "integer"}}}}}}}, 401, 422),
            },
        },
        "/tickets/{number}": {
            "get": {
                "summary": "工单详情与时间线（主办单位与受理人 24 小时内看到完整个人信息，其余脱敏；完整查看均记审计日志）",
                "parameters": [number, *_SIGNING],
                "responses": _responses({"200": {"description": "工单", "content": ticket}}, 401, 404),
            },
        },
        "/tickets/{number}/reveal": {
            "post": {
                "summary": "说明理由后查看完整个人信息（记审计日志）",
                "parameters": [number, *_SIGNING],
                "requestBody": {"required": True, "content": {"application/json": {"schema": REVEAL_SPEC.json_schema()}}},
                "responses": _responses({"200": {"description": "含完整个人信息的工单", "content": ticket}},
                                        400, 401, 404, 415, 422),
            },
        },
    }
    paths.update(_action_paths("/tickets", TICKET_ACTIONS, number, ticket, "操作后的工单"))
    lead = {"application/json": {"schema": {"$ref": "#/components/schemas/Lead"}}}
    lead_number = {**number, "example": "XS-20261203-00007"}
    paths["/sentiment/items"] = {
        "post": {
            "summary": f"提交一批舆情条目（最多 {MAX_BATCH} 条；同一 external_id 或链接只存一次；单条错误不影响其他条目）",
            "parameters": _SIGNING,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "array", "maxItems": MAX_BATCH, "items": ITEM_SPEC.json_schema()}}}},
            "responses": _responses({"200": {"description": "逐条结果：accepted / duplicate（duplicate_of）/ rejected（code、reason）",
                                             "content": {"application/json": {"schema": _BATCH_RESULT}}}},
                                    400, 401, 403, 413, 415, 422),
        },
    }
    paths["/leads"] = {
        "get": {
            "summary": "待办核查线索（承办单位只看到本单位的线索），时限最近的在前",
            "parameters": _SIGNING,
            "responses": _responses({"200": {"description": "线索列表", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"items": {"type": "array",
                                                           "items": {"$ref": "#/components/schemas/Lead"}}}}}}}}, 401),
        },
    }
    paths["/leads/{number}"] = {
        "get": {"summary": "核查线索详情、舆情条目摘录与时间线", "parameters": [lead_number, *_SIGNING],
                "responses": _responses({"200": {"description": "线索", "content": lead}}, 401, 404)},
    }
    paths.update(_action_paths("/leads", LEAD_ACTIONS, lead_number, lead, "操作后的线索"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 儿童关爱热线 API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "hotline token create 生成的访问令牌（有效期默认 365 天）。以 --signed 创建的令牌，"
                                          "每个请求还须带 X-Hotline-Timestamp、X-Hotline-Nonce 和 X-Hotline-Signature 三个头"}
            },
            "parameters": {
                "Timestamp": {"name": "X-Hotline-Timestamp", "in": "header", "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                              "description": "签名令牌必填：Unix 时间（秒），与服务器时间相差不得超过 300 秒"},
                "Nonce": {"name": "X-Hotline-Nonce", "in": "header",
                          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                          "description": "签名令牌必填：每个请求不同的随机串（8-64 位），重复使用返回 401"},
                "Signature": {"name": "X-Hotline-Signature", "in": "header", "schema": {"type": "string"},
                              "description": "签名令牌必填：v1=<十六进制 HMAC-SHA256(签名密钥, 时间戳 + \".\" + nonce + \".\" + 原始请求体)>；"
                                             "更换密钥期间可带多个，以逗号分隔"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"],
                          "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}},
                "Intake": intake_spec(max_text).json_schema(),
                "Lead": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": list(leads.STATUS_NAMES_ZH)},
                        "risk": {"type": "string", "enum": ["high", "medium", "low"]},
                        "unit": {"type": "string"},
                        "due_at": {"type": "string", "format": "date-time"},
                        "overdue": {"type": "boolean"},
                        "verdict": {"type": ["string", "null"], "enum": [*leads.VERDICTS, None]},
                        "public_response_needed": {"type": ["boolean", "null"]},
                        "version": {"type": "integer"},
                        "event": {"type": "object"},
                        "events": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "Ticket": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": [s.value for s in lifecycle.TicketStatus]},
                        "personal_data_masked": {"type": "boolean"},
                        "category": {"type": ["string", "null"]},
                        "kind": {"type": ["string", "null"]},
                        "urgency": {"type": ["string", "null"]},
                        "deadlines": {"type": "object"},
                        "version": {"type": "integer"},
                        "events": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
    }
