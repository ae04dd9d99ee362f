"""Every rate limit of the HTTP edge, declared once (AUTH-3, API-4): which endpoint, counted by what, how
much (``HOTLINE_RATE_LIMIT_*``), and the Chinese message of the 429 (with ``Retry-After``).

Logins are throttled per client address first, so that an attacker from one place is stopped before
accounts suffer: a lockout must not become a way to lock named operators out during an emergency. From one
address, an account takes at most 4 failures per 15 minutes — below the 5 that lock it — so nobody locks an
operator out from one machine; an address takes at most 30 failures per 15 minutes over all accounts
(password spraying). Only failed logins count (a call centre behind one NAT address logs in all at once
without spending anything); the per-account ceiling (100 failures an hour, whatever the address) stops an
attack spread over many addresses. Intake is
counted per API token (by its hash), live triage per console session. Counters are shared by every worker
(``hotline/ratelimit``): the database, or Redis when ``HOTLINE_RATE_LIMIT_URL`` is set.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request, session

from hotline.config import Settings
from hotline.ratelimit.service import Limiter, Rule, make_limiter
from hotline.web import runtime

log = logging.getLogger(__name__)


def _client_address() -> str | None:
    return request.remote_addr or "-"


def _username() -> str | None:
    name = request.form.get("username", "").strip()[:64]
    return name or None


def _address_and_username() -> str | None:
    name = _username()
    return None if name is None else f"{_client_address()}\n{name}"


def _api_token() -> str | None:
    """The SHA-256 of the bearer token (what ``api_tokens`` stores), never the token itself."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None  # the view answers 401
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _console_session() -> str | None:
    uid, started = session.get("uid"), session.get("login_at")
    if not uid or not started:
        return None  # the view sends the visitor to log in
    return f"{uid}:{started}:{session.get('csrf', '')}"


@dataclass(frozen=True)
class Limit:
    name: str
    #: the Flask endpoints (POST only) it applies to
    endpoints: frozenset[str]
    #: what is counted: an identity of the request, or None when it does not apply
    identity: Callable[[], str | None]
    #: the ``Settings`` field holding (count, seconds)
    setting: str
    #: count only failed attempts (401 answers), and refuse once the window's failures reach the limit
    failures_only: bool
    #: the 429's Chinese message; ``{seconds}`` is the wait
    message: str

    def rule(self, settings: Settings) -> Rule:
        count, seconds = getattr(settings, self.setting)
        return Rule(self.name, count, seconds)


LIMITS: tuple[Limit, ...] = (
    Limit("login_ip_account", frozenset({"auth.login"}), _address_and_username, "rate_login_ip_account", True,
          "该账号在本机登录失败次数过多，请 {seconds} 秒后再试"),
    Limit("login_ip", frozenset({"auth.login", "auth.code"}), _client_address, "rate_login_ip", True,
          "本机登录失败次数过多，请 {seconds} 秒后再试"),
    Limit("login_account", frozenset({"auth.login"}), _username, "rate_login_account", True,
          "该账号登录失败次数过多，请 {seconds} 秒后再试"),
    Limit("intake_token", frozenset({"api.create_ticket"}), _api_token, "rate_intake_token", False,
          "该令牌提交工单过于频繁，请 {seconds} 秒后再试"),
    Limit("triage_session", frozenset({"desk.live_triage"}), _console_session, "rate_triage_session", False,
          "智能分拣请求过于频繁，请 {seconds} 秒后再试"),
)
_BY_ENDPOINT: dict[str, tuple[Limit, ...]] = {}
for _limit in LIMITS:
    for _endpoint in _limit.endpoints:
        _BY_ENDPOINT[_endpoint] = (*_BY_ENDPOINT.get(_endpoint, ()), _limit)


def limiter() -> Limiter:
    return current_app.extensions["hotline_limiter"]


def register_limits(app: Flask) -> None:
    """Build the app's limiter and check every limited request before its view runs."""
    hotline = app.extensions["hotline"]
    app.extensions["hotline_limiter"] = make_limiter(hotline.db, hotline.settings.rate_limit_url)

    @app.before_request
    def _apply_limits() -> None:
        if request.method != "POST" or request.endpoint not in _BY_ENDPOINT:
            return
        settings, found = runtime().settings, limiter()
        pending = []
        for limit in _BY_ENDPOINT[request.endpoint]:
            identity = limit.identity()
            if identity is None:
                continue
            rule = limit.rule(settings)
            if limit.failures_only:
                found.refuse_if_spent(rule, identity, limit.message)
                pending.append((rule, identity))
            else:
                found.hit(rule, identity, limit.message)
        g.rate_failures = pending

    @app.after_request
    def _count_failures(response: Response) -> Response:
        pending = g.pop("rate_failures", None)
        if pending and response.status_code == 401:
            try:
                for rule, identity in pending:
                    limiter().count(rule, identity)
            except Exception:  # noqa: BLE001 - the answer is already decided; the next request re-checks
                log.exception("could not count a failed login")
        return response
