"""Map every error to a JSON body ``{"code", "message"}`` (Chinese message); never a traceback."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, flash, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from hotline.db import is_unavailable
from hotline.errors import HotlineError, RetryLater

log = logging.getLogger(__name__)
#: seconds a client is asked to wait when the database is unavailable
DATABASE_RETRY_AFTER = 5

_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "需要登录或提供访问令牌"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大（上限 1 MB）"),
    415: ("unsupported_media_type", "请使用 Content-Type: application/json"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def wants_json() -> bool:
    """The caller reads JSON (the API, a fetch call): errors and refusals answer in JSON, not as a page."""
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def _respond(status: int, code: str, message: str, details: object = None):  # noqa: ANN202
    if wants_json():
        body: dict = {"code": code, "message": message}
        if details is not None:
            body["details"] = details
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message, code=code), status


def flash_error(exc: HotlineError) -> None:
    """Show a refused input on the next page, with its machine code (what support staff ask for)."""
    flash(f"{exc.message}（代码：{exc.code}）", "error")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HotlineError)
    def _hotline_error(exc: HotlineError):
        response = app.make_response(_respond(exc.status, exc.code, exc.message, exc.details))
        if isinstance(exc, RetryLater):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("http_error", exc.name))
        if status == 400 and exc.description == "csrf":
            code, message = "csrf_failed", "页面已过期或来源不明，请刷新页面后重试"
        response, status = _respond(status, code, message)
        if status == 405 and getattr(exc, "valid_methods", None):
            response = app.make_response((response, status))
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response, status

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError):
        if not is_unavailable(exc):
            return _unexpected(exc)
        # unreachable, locked, read-only, full or a conflict retried in vain: the transaction rolled back,
        # nothing was written; the client may simply try again
        request_id = uuid.uuid4().hex[:12]
        log.warning("database unavailable %s: %s", request_id, type(getattr(exc, "orig", exc)).__name__)
        response = app.make_response(_respond(503, "database_unavailable",
                                              f"数据库暂时不可用，本次操作未保存，请稍后重试（请求编号 {request_id}）"))
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        request_id = uuid.uuid4().hex[:12]
        log.error("unhandled error %s: %s", request_id, type(exc).__name__, exc_info=exc)
        return _respond(500, "internal_error", f"系统内部错误，请稍后重试（请求编号 {request_id}）")
