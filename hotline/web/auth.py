"""Login and logout for people (the console)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from hotline.accounts.models import User
from hotline.accounts.users import LOGIN_FAILED, rotate_session_nonce
from hotline.accounts.users import login as check_login
from hotline.web import runtime
from hotline.web.session_auth import safe_next, start_session

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")[:200]
    with runtime().db.transaction() as db:  # committed either way: failures must be counted
        user = check_login(db, username, password)
        if user is not None:
            start_session(user)
    if user is None:
        return render_template("auth/login.html", error=LOGIN_FAILED, next=request.form.get("next", "")), 401
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
