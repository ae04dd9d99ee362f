"""One exception hierarchy with a machine code, a Chinese message and an HTTP status."""

from __future__ import annotations

from typing import Any


class HotlineError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class InputError(HotlineError):
    status = 422
    code = "validation_error"


class Unauthorized(HotlineError):
    status = 401
    code = "unauthorized"


class Forbidden(HotlineError):
    status = 403
    code = "forbidden"


class NotFound(HotlineError):
    status = 404
    code = "not_found"


class Conflict(HotlineError):
    """The ticket changed under the caller (stale version) or the action is not allowed now."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
