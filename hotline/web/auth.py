"""Login (password, then a TOTP or recovery code when the person has a second factor) and logout."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from hotline.accounts.login import CODE_FAILED, LOGIN_FAILED, log_in, record_logout, second_step
from hotline.accounts.models import User
from hotline.web import runtime
from hotline.web.sessions import pending_login, safe_next, start_pending, start_session

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    started = log_in(runtime().db, request.form.get("username", "").strip()[:64], request.form.get("password", "")[:200],
                     source_ip=request.remote_addr)
    if started is None:
        return render_template("auth/login.html", error=LOGIN_FAILED, next=request.form.get("next", "")), 401
    if started.second_factor:
        start_pending(started, request.form.get("next", ""))
        return redirect(url_for("auth.code"))
    start_session(started)
    return redirect(safe_next(request.form.get("next")))


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> Any:
    """The second step: nothing else is reachable in this state, which ends after five minutes."""
    pending = pending_login()
    if pending is None:
        flash("登录已超时或尚未输入密码，请重新登录", "error")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/code.html")
    started, next_url = pending
    done = second_step(runtime().db, started, request.form.get("code", "").strip(), runtime().cipher,
                       source_ip=request.remote_addr)
    if done is None:
        return render_template("auth/code.html", error=CODE_FAILED), 401
    start_session(done)
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout() -> Any:
    uid = session.get("uid")
    if uid:
        with runtime().db.transaction() as db:
            user = db.get(User, uid)
            if user is not None and hmac.compare_digest(user.session_nonce, session.get("nonce", "")):
                record_logout(db, user, request.remote_addr)  # the old cookie is dead everywhere (SESS-4)
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"))
