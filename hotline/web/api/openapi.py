"""The OpenAPI 3.1 document served at /api/v1/openapi.json, derived from the same input specs and action
declarations that parse the requests: it cannot drift from what the API accepts."""

from __future__ import annotations

from typing import Any

from hotline.accounts.privacy import REVEAL_SPEC
from hotline.inputs import Spec
from hotline.tickets import lifecycle
from hotline.tickets.actions import TICKET_ACTIONS
from hotline.tickets.intake import intake_spec
from hotline.tickets.queries import FILTER_SPEC

_ERROR = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    400: "JSON 格式错误、编码无效或嵌套过深",
    401: "缺少或无效的访问令牌",
    403: "角色或单位无权执行",
    404: "工单不存在（或不属于本单位）",
    409: "状态不允许该操作、并发修改冲突，或重复提交的内容不同",
    413: "请求体超过上限",
    415: "Content-Type 不是 application/json",
    422: "字段校验失败",
}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    out = dict(ok)
    for code in codes:
        out[str(code)] = {"description": _DESCRIPTIONS[code], "content": {"application/json": {"schema": _ERROR}}}
    return out


def _query_parameters(spec: Spec) -> list[dict[str, Any]]:
    properties = spec.json_schema()["properties"]
    return [{"name": name, "in": "query", "schema": schema, "description": schema.get("description", "")}
            for name, schema in properties.items()]


def openapi_document(max_text: int) -> dict[str, Any]:
    ticket = {"application/json": {"schema": {"$ref": "#/components/schemas/Ticket"}}}
    number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
              "example": "12345-20261129-00042"}
    paths: dict[str, Any] = {
        "/tickets": {
            "post": {
                "summary": "登记工单（幂等：相同 external_id 或 Idempotency-Key 返回同一工单，内容不同返回 409）",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 128}}],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Intake"}}}},
                "responses": _responses({"201": {"description": "新建工单（个人信息只含请求中提交的内容）", "content": ticket},
                                         "200": {"description": "重复提交，返回已有工单", "content": ticket}},
                                        400, 401, 403, 409, 413, 415, 422),
            },
            "get": {
                "summary": "工单列表（个人信息一律脱敏；承办单位只看到本单位工单）",
                "parameters": _query_parameters(FILTER_SPEC),
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
                "parameters": [number],
                "responses": _responses({"200": {"description": "工单", "content": ticket}}, 401, 404),
            },
        },
        "/tickets/{number}/reveal": {
            "post": {
                "summary": "说明理由后查看完整个人信息（记审计日志）",
                "parameters": [number],
                "requestBody": {"required": True, "content": {"application/json": {"schema": REVEAL_SPEC.json_schema()}}},
                "responses": _responses({"200": {"description": "含完整个人信息的工单", "content": ticket}},
                                        400, 401, 404, 415, 422),
            },
        },
    }
    for action in TICKET_ACTIONS:
        paths[f"/tickets/{{number}}/actions/{action.name}"] = {
            "post": {
                "summary": action.title + (f"：{action.summary}" if action.summary else ""),
                "description": "可执行角色：" + "、".join(sorted(r.value for r in action.roles))
                + ("（协办单位）" if action.unit_rule.value == "co" else ""),
                "parameters": [number],
                "requestBody": {"content": {"application/json": {"schema": action.spec.json_schema()}}},
                "responses": _responses({"200": {"description": "操作后的工单", "content": ticket}},
                                        400, 401, 403, 404, 409, 415, 422),
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 儿童关爱热线 API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "hotline token create 生成的访问令牌"}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"],
                          "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}}},
                "Intake": intake_spec(max_text).json_schema(),
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
