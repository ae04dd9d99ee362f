"""账号安全: a person's own password change and second-factor (TOTP) enrolment. These pages stay reachable
while the account gate (forced or expired password, missing second factor) holds every other page."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidTag
from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from hotline.accounts import totp
from hotline.accounts.actor import Actor
from hotline.accounts.models import EVERY_ROLE, User
from hotline.accounts.passwords import HISTORY_DEPTH, MAX_LENGTH, MIN_LENGTH
from hotline.accounts.users import change_own_password
from hotline.errors import InputError
from hotline.web import runtime
from hotline.web.sessions import console_view, renew_nonce, safe_next

bp = Blueprint("account", __name__, url_prefix="/account")
_PENDING_SECRET = "totp_pending"  # noqa: S105 - a session key, not a secret


@bp.get("/")
@console_view(roles=EVERY_ROLE, readonly=True, gate=False)
def security(db: Session, actor: Actor) -> Any:
    user = db.get(User, actor.id)
    return render_template("account/security.html", user=user, required=totp.totp_required(user.role),
                           codes_left=totp.recovery_codes_left(db, user) if user.totp_secret_sealed else 0,
                           max_age=runtime().settings.password_max_age_days)


def _password_page(user: User, next_url: str, error: str | None = None) -> str:
    return render_template("account/password.html", user=user, next=next_url, error=error, min_length=MIN_LENGTH,
                           max_length=MAX_LENGTH, history=HISTORY_DEPTH,
                           max_age=runtime().settings.password_max_age_days)


@bp.get("/password")
@console_view(roles=EVERY_ROLE, readonly=True, gate=False)
def password(db: Session, actor: Actor) -> Any:
    return _password_page(db.get(User, actor.id), request.args.get("next", ""))


@bp.post("/password")
@console_view(roles=EVERY_ROLE, gate=False, own_transaction=True)
def change_password(actor: Actor) -> Any:
    """The hashes are checked outside any write transaction (``change_own_password`` is its own unit of work)."""
    form = request.form
    next_url = form.get("next", "")
    new = form.get("new_password", "")[:MAX_LENGTH + 1]
    try:
        if new != form.get("confirm_password", "")[:MAX_LENGTH + 1]:
            raise InputError("两次输入的新密码不一致", code="password_mismatch")
        changed = change_own_password(runtime().db, actor, form.get("current_password", "")[:200], new,
                                      source_ip=request.remote_addr)
    except InputError as exc:
        with runtime().db.transaction(readonly=True) as db:
            page = _password_page(db.get(User, actor.id), next_url, exc.message)
        return page, 422
    renew_nonce(changed.session_nonce)
    flash("密码已修改；其他已登录的会话均已退出")
    return redirect(safe_next(next_url))


@bp.get("/totp", endpoint="totp")
@console_view(roles=EVERY_ROLE, readonly=True, gate=False)
def totp_page(db: Session, actor: Actor) -> Any:
    user = db.get(User, actor.id)
    if user.totp_secret_sealed:
        return redirect(url_for("account.security"))
    # the same secret until enrolment succeeds (the app may have it already); the cookie carries it sealed
    secret = _pending_secret() or totp.new_secret()
    session[_PENDING_SECRET] = runtime().cipher.seal(secret)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("account/totp.html", secret=grouped, uri=totp.provisioning_uri(secret, user.username),
                           required=totp.totp_required(user.role))


@bp.post("/totp")
@console_view(roles=EVERY_ROLE, gate=False)
def enrol_totp(db: Session, actor: Actor) -> Any:
    try:
        codes = totp.enrol_second_factor(db, actor, _pending_secret(), request.form.get("code", "")[:16], runtime().cipher,
                                         request.remote_addr)
    except InputError as exc:
        flash(f"{exc.message}（代码：{exc.code}）", "error")
        return redirect(url_for("account.totp"))
    session.pop(_PENDING_SECRET, None)
    response = make_response(render_template("account/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"  # shown once: never cached by the browser or a proxy
    return response


def _pending_secret() -> str | None:
    try:
        return runtime().cipher.open(session.get(_PENDING_SECRET))
    except (ValueError, InvalidTag):  # another key since (rotation): start again
        return None
