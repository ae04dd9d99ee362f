"""Reading a JSON request body: 415 / 400 with a clear message and a code, never a 500."""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from hotline.errors import HotlineError, InputError


class BadJson(HotlineError):
    status = 400
    code = "malformed_json"


class UnsupportedMediaType(HotlineError):
    status = 415
    code = "unsupported_media_type"


def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object."""
    if not request.get_data(cache=True) and not required:
        return {}
    body = json_value(request)
    if not isinstance(body, dict):
        raise InputError("请求体必须是 JSON 对象", code="wrong_type")
    return body


def json_value(request: Request) -> Any:
    """The request body as any JSON value."""
    raw = request.get_data(cache=True)  # MAX_CONTENT_LENGTH -> 413 before we get here
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("请使用 Content-Type: application/json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("请求内容不是有效的 UTF-8 编码", code="invalid_utf8") from None
    try:
        body = json.loads(text)
    except RecursionError:  # "[[[[…" thousands deep exhausts Python's parser
        raise BadJson("JSON 嵌套层数过多", code="json_too_deep") from None
    except ValueError as exc:
        raise BadJson(f"JSON 格式错误：第 {getattr(exc, 'lineno', '?')} 行附近") from None
    if "\\ud" in text.lower() and _has_lone_surrogate(body):  # "\ud800" parses, but no UTF-8 can hold it
        raise BadJson("JSON 中含有无效的 Unicode 转义（孤立代理项）", code="invalid_unicode")
    return body


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
