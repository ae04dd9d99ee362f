"""People's sessions in the console: login state in a signed cookie, validated against the database
on every request (nonce for revocation, 30-minute idle and 12-hour absolute timeouts), CSRF tokens for
every state-changing form (the JSON API uses bearer tokens and never reads the cookie), and the unit of
work of a console request."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from hotline.accounts.actor import Actor
from hotline.accounts.login import SECOND_STEP_TIMEOUT, SessionStart
from hotline.accounts.models import CASEWORK_ROLES, Role, User
from hotline.accounts.passwords import password_expired
from hotline.accounts.totp import totp_required
from hotline.accounts.users import actor_for
from hotline.db import retrying
from hotline.errors import Forbidden
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import wants_json
from hotline.web.units import unit_of_work

IDLE_TIMEOUT = timedelta(minutes=30)
#: requests a page makes on its own (the notification badge, lists refreshing themselves) carry this header
#: and leave the idle clock alone: the 30-minute idle timeout still ends a session nobody touches
POLL_HEADER = "X-Hotline-Poll"
ABSOLUTE_TIMEOUT = timedelta(hours=12)
SEEN_RESOLUTION_SECONDS = 60
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# C0 controls, DEL and whitespace: browsers drop tabs and newlines from URLs ("/\t/evil" -> "//evil")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def start_session(started: SessionStart) -> None:
    """Fresh session at login: nothing planted before login survives (SESS-2)."""
    session.clear()
    now = utcnow().timestamp()
    session.update(uid=started.user_id, nonce=started.session_nonce, login_at=now, seen=now,
                   csrf=secrets.token_urlsafe(32))
    session.permanent = True


def start_pending(started: SessionStart, next_url: str) -> None:
    """The half-logged-in state after a right password: it opens only the code step, for five minutes."""
    session.clear()
    session.update(pending_uid=started.user_id, pending_nonce=started.session_nonce, pending_at=utcnow().timestamp(),
                   pending_next=next_url[:500], csrf=secrets.token_urlsafe(32))


def pending_login() -> tuple[SessionStart, str] | None:
    """The login waiting for its code and where to go afterwards; None (and the state dropped) after 5 minutes."""
    uid, nonce, at = session.get("pending_uid"), session.get("pending_nonce"), session.get("pending_at", 0)
    if not uid or not nonce:
        return None
    if utcnow().timestamp() - at > SECOND_STEP_TIMEOUT.total_seconds():
        session.clear()
        return None
    return SessionStart(uid, nonce, second_factor=True), session.get("pending_next", "")


def renew_nonce(nonce: str) -> None:
    """Keep this session alive after the person's own password change (every other session ended); the
    absolute timeout still counts from the login."""
    session["nonce"] = nonce
    session["csrf"] = secrets.token_urlsafe(32)


def _account_gate(user: User) -> Any | None:
    """Before any other page: an initial, reset or expired password is changed (AUTH-2, AUTH-6), then an
    admin or dispatcher without a second factor enrols one (AUTH-5). JSON calls get 403 with a code."""
    if user.must_change_password or password_expired(user.password_changed_at, utcnow(),
                                                     runtime().settings.password_max_age_days):
        if wants_json():
            raise Forbidden("密码已过期或须在首次登录时修改，请先修改密码", code="password_expired")
        return redirect(url_for("account.password", next=request.full_path.rstrip("?")))
    if totp_required(user.role) and not user.totp_secret_sealed:
        if wants_json():
            raise Forbidden("此角色须先绑定双因素认证（身份验证器）", code="totp_enrolment_required")
        return redirect(url_for("account.totp"))
    return None


#: every request reads its user: one statement built once (places only for the roles that have them)
_USER = select(User).where(User.id == bindparam("uid")).options(lazyload(User.places))


def _session_user(db: Session) -> User | None:
    uid, nonce = session.get("uid"), session.get("nonce")
    if not uid or not nonce:
        return None
    now = utcnow().timestamp()
    if now - session.get("login_at", 0) > ABSOLUTE_TIMEOUT.total_seconds() or now - session.get("seen", 0) > IDLE_TIMEOUT.total_seconds():
        session.clear()
        return None
    user = db.execute(_USER, {"uid": uid}).scalar_one_or_none()
    if user is None or not user.active or not hmac.compare_digest(user.session_nonce, nonce):
        session.clear()
        return None
    # a page's background poll is not the person's activity; a minute's precision is enough for the idle
    # clock, and an unchanged session is not signed and sent again (SESSION_REFRESH_EACH_REQUEST is off)
    if request.headers.get(POLL_HEADER) != "1" and now - session.get("seen", 0) >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = now
    return user


def _enter(db: Session, allowed: frozenset[Role], gate: bool = True) -> Actor | Any:
    """The logged-in actor, or the response that sends the visitor to log in (401 for fetch calls), to
    change their password or to enrol a second factor (``gate``; off for those pages themselves)."""
    user = _session_user(db)
    if user is None:
        if wants_json():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    actor = actor_for(user)
    if actor.role not in allowed:
        abort(403)
    if gate:
        blocked = _account_gate(user)
        if blocked is not None:
            return blocked
    g.actor = actor
    # a plain snapshot for templates: error pages render after the transaction has ended
    g.viewer = {"name": user.display_name, "unit": user.unit.name if user.unit else None}
    return actor


def console_view(*, roles: Iterable[Role] | None = None, readonly: bool = False, own_transaction: bool = False,
                 gate: bool = True) -> Callable:
    """A console request: the logged-in user checked, then one unit of work around the view, which is
    called as ``view(db, actor, **kwargs)``. With ``own_transaction`` the session is checked in a
    short read and the view, called as ``view(actor, **kwargs)``, opens its own unit of work (to
    classify a call before the write transaction begins). Without ``roles`` the view is open to the
    casework roles: deny by default for the auditor and any role added later to that side. ``gate=False``
    only for the account pages a person must reach first (password change, second-factor enrolment)."""
    allowed = frozenset(roles) if roles else CASEWORK_ROLES

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        def attempt(**kwargs: Any) -> Any:
            if own_transaction:
                with runtime().db.transaction(readonly=True) as check:
                    actor = _enter(check, allowed, gate)
                return view(actor, **kwargs) if isinstance(actor, Actor) else actor

            def run(session: Session) -> Any:
                actor = _enter(session, allowed, gate)
                if readonly:  # the page's chrome (the notification badge) reads in it too
                    g.read_session = session
                try:
                    return view(session, actor, **kwargs) if isinstance(actor, Actor) else actor
                finally:
                    g.pop("read_session", None)

            return unit_of_work(run, readonly=readonly)

        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            return retrying(lambda: attempt(**kwargs))  # a deadlock victim runs again from the start

        return wrapper

    return decorate


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def register_csrf(app: Flask) -> None:
    @app.before_request
    def _check_csrf() -> None:
        if request.method not in _UNSAFE or request.path.startswith("/api/") or request.routing_exception is not None:
            return  # the bearer-token API never reads the session cookie; unknown routes get 404/405
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
        expected = session.get("csrf") or ""
        if not expected or not hmac.compare_digest(sent, expected):
            abort(400, description="csrf")

    app.jinja_env.globals["csrf_token"] = csrf_token


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: one leading slash, then no slash or backslash, and no character a
    browser would drop or reinterpret (tab, newline, other controls, spaces). An open redirect is refused (IN-4)."""
    if target and target.startswith("/") and target[1:2] not in ("/", "") and not _URL_UNSAFE.search(target):
        return target
    return url_for("home.console")
