"""The OpenAPI 3.1 document served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from hotline.tickets import lifecycle
from hotline.tickets.models import CHANNELS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    descriptions = {
        400: "JSON 格式错误或编码无效",
        401: "缺少或无效的访问令牌",
        403: "角色无权执行",
        404: "工单不存在（或不属于本单位）",
        409: "状态不允许该操作，或并发修改冲突",
        413: "请求体超过 1 MB",
        415: "Content-Type 不是 application/json",
        422: "字段校验失败",
    }
    out = dict(ok)
    for code in codes:
        out[str(code)] = {"description": descriptions[code], "content": {"application/json": {"schema": _ERROR}}}
    return out


def openapi_document() -> dict[str, Any]:
    ticket_ref = {"$ref": "#/components/schemas/Ticket"}
    json_ticket = {"application/json": {"schema": ticket_ref}}
    number_param = {
        "name": "number",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "example": "12345-20261129-00042",
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 儿童关爱热线 API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/tickets": {
                "post": {
                    "summary": "登记工单（幂等：相同 external_id 或 Idempotency-Key 返回同一工单）",
                    "parameters": [
                        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 128}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Intake"}}},
                    },
                    "responses": _responses(
                        {
                            "201": {"description": "新建工单", "content": json_ticket},
                            "200": {"description": "重复提交，返回已有工单", "content": json_ticket},
                        },
                        400,
                        401,
                        403,
                        409,
                        413,
                        415,
                        422,
                    ),
                },
                "get": {
                    "summary": "工单列表（个人信息脱敏；承办单位只看到本单位工单）",
                    "parameters": [
                        {"name": n, "in": "query", "schema": {"type": t}}
                        for n, t in [
                            ("status", "string"),
                            ("category", "string"),
                            ("urgency", "string"),
                            ("prefecture", "string"),
                            ("unit", "string"),
                            ("overdue", "boolean"),
                            ("needs_review", "boolean"),
                            ("page", "integer"),
                            ("per_page", "integer"),
                        ]
                    ],
                    "responses": _responses(
                        {
                            "200": {
                                "description": "一页工单",
                                "content": {
                                    "application/json": {
                                        "schema": {
                                            "type": "object",
                                            "properties": {
                                                "items": {"type": "array", "items": ticket_ref},
                                                "total": {"type": "integer"},
                                                "page": {"type": "integer"},
                                                "per_page": {"type": "integer"},
                                            },
                                        }
                                    }
                                },
                            }
                        },
                        401,
                        422,
                    ),
                },
            },
            "/tickets/{number}": {
                "get": {
                    "summary": "工单详情与时间线",
                    "parameters": [number_param],
                    "responses": _responses({"200": {"description": "工单", "content": json_ticket}}, 401, 404),
                },
            },
            "/tickets/{number}/actions/{action}": {
                "post": {
                    "summary": "执行流转操作",
                    "description": "各操作的参数：triage{category,kind,urgency,prefecture,county}；answer{answer,callback_wanted,article_id}；"
                    "dispatch{unit,co_units,category,kind,urgency}；sign{note}；progress{note}；return{reason}；"
                    "resolve{result}；callback{satisfaction: satisfied|basically_satisfied|unsatisfied}；"
                    "request_extension{days,reason}；approve_extension{note}；refuse_extension{reason}；"
                    "supervise{note}；merge{into}；close{note}；notify_police{note}；co_input{note}（协办单位）。"
                    "任一操作可带 version（乐观锁）。",
                    "parameters": [
                        number_param,
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": sorted(lifecycle.ACTIONS)},
                        },
                    ],
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": _responses(
                        {"200": {"description": "操作后的工单", "content": json_ticket}},
                        400,
                        401,
                        403,
                        404,
                        409,
                        415,
                        422,
                    ),
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "hotline token create 生成的访问令牌"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
                },
                "Intake": {
                    "type": "object",
                    "required": ["channel", "text"],
                    "additionalProperties": False,
                    "properties": {
                        "external_id": {"type": "string", "maxLength": 64},
                        "channel": {"type": "string", "enum": list(CHANNELS)},
                        "text": {"type": "string", "minLength": 1, "maxLength": 5000},
                        "caller": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
                        },
                        "child": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "age": {"type": "integer", "minimum": 0, "maximum": 17},
                                "gender": {"type": "string", "enum": ["男", "女"]},
                            },
                        },
                        "address": {"type": "string", "maxLength": 200},
                        "received_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Ticket": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "string"},
                        "status": {"type": "string", "enum": [s.value for s in lifecycle.TicketStatus]},
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
