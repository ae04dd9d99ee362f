"""Login and logout for people (the console)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from hotline.accounts.login import LOGIN_FAILED, log_in
from hotline.accounts.models import User
from hotline.accounts.users import rotate_session_nonce
from hotline.web import runtime
from hotline.web.sessions import safe_next, start_session

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    started = log_in(runtime().db, request.form.get("username", "").strip()[:64], request.form.get("password", "")[:200])
    if started is None:
        return render_template("auth/login.html", error=LOGIN_FAILED, next=request.form.get("next", "")), 401
    start_session(started)
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    uid = session.get("uid")
    if uid:
        with runtime().db.transaction() as db:
            user = db.get(User, uid)
            if user is not None:
                rotate_session_nonce(user)  # the old cookie is dead everywhere (SESS-4)
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"))
