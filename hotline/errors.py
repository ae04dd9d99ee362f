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


class RetryLater(HotlineError):
    """Refused for now, not for good: the answer carries ``Retry-After`` (seconds)."""

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = max(1, int(retry_after))


class TooManyRequests(RetryLater):
    """A rate limit (login per IP or account, intake per token, live triage per session) was reached."""

    status = 429
    code = "too_many_requests"


class ServiceUnavailable(RetryLater):
    """The database is unreachable, locked too long, or kept failing a transaction: nothing was written."""

    status = 503
    code = "service_unavailable"
