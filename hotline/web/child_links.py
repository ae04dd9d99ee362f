"""Children and calls: likely registered children while a call is typed, and linking tickets and leads."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.children import links
from hotline.children.scopes import EDITORS, may_see_register
from hotline.errors import Forbidden, HotlineError, InputError
from hotline.inputs import Integer, Spec, Text
from hotline.timeutil import SHANGHAI, utcnow
from hotline.web import runtime
from hotline.web.api.body import json_body
from hotline.web.errors import flash_error
from hotline.web.sessions import console_view

bp = Blueprint("child_links", __name__, url_prefix="/console/children")

#: what the desk's script sends while the operator types (the lengths of the new-call form's inputs)
SUGGEST_SPEC = Spec([
    Text(name="name", label="儿童姓名", max_length=64),
    Text(name="phone", label="来电号码", max_length=32, pattern=r"[0-9+\-\s()（）]*"),
    Text(name="address", label="地址", max_length=200),
    Text(name="county", label="县（市、区）", max_length=64),
    Integer(name="limit", label="条数", minimum=1, maximum=links.MAX_SUGGESTIONS),
], code="bad_parameter")
_NUMBER = r"[A-Za-z0-9\-]{1,24}"
LINK_SPEC = Spec([
    Text(name="child", label="儿童档案号", max_length=24, pattern=_NUMBER, required=True),
    Text(name="ticket", label="工单编号", max_length=24, pattern=_NUMBER),
    Text(name="lead", label="核查线索编号", max_length=24, pattern=_NUMBER),
])


@bp.route("/suggest", methods=["GET", "POST"])
@console_view(readonly=True)
def suggest(db: Session, actor: Actor) -> Any:
    """JSON for the desk's script: query arguments (GET) or a JSON body (POST, what the script uses, so that
    what the caller said stays out of URLs and access logs). Names are masked per ``privacy.view_child``."""
    try:
        if not may_see_register(db, actor):
            raise Forbidden("您无权查看儿童档案", code="forbidden")
        raw = json_body(request) if request.method == "POST" else request.args
        source = "json" if request.method == "POST" else "text"
        values = SUGGEST_SPEC.parse(raw, source=source)
        found = links.suggest(db, actor, name=values["name"], phone=values["phone"], address=values["address"],
                              county=values["county"], cipher=runtime().cipher, limit=values["limit"] or 5)
    except HotlineError as exc:
        return jsonify(exc.to_dict()), exc.status
    today = utcnow().astimezone(SHANGHAI).date()
    return jsonify({"suggestions": [links.card(actor, s.child, today, s).as_json() for s in found]})


def _back(values: dict[str, Any] | None) -> Any:
    """To the ticket or lead page the form was on (what was sent, when the form itself was refused)."""
    if values is None:
        values = {k: v for k in ("ticket", "lead") if re.fullmatch(_NUMBER, v := request.form.get(k, ""))}
    if values.get("ticket"):
        return redirect(url_for("tickets.ticket", number=values["ticket"]))
    if values.get("lead"):
        return redirect(url_for("sentiment.lead", number=values["lead"]))
    return redirect(url_for("children.register"))


def _change(db: Session, actor: Actor, linking: bool) -> Any:
    values = None
    try:
        with db.begin_nested():  # a refused link changes nothing
            values = LINK_SPEC.parse(request.form, source="text")
            if bool(values["ticket"]) == bool(values["lead"]):
                raise InputError("请指定一张工单或一条核查线索（只能一个）", code="bad_link_target")
            kw = {"ticket_number": values["ticket"], "lead_number": values["lead"], "now": utcnow()}
            if linking:
                links.link(db, actor, values["child"], **kw)
                flash(f"已关联儿童档案 {values['child']}", "ok")
            elif links.unlink(db, actor, values["child"], **kw):
                flash(f"已取消关联儿童档案 {values['child']}", "ok")
            else:
                flash(f"儿童档案 {values['child']} 未与此关联", "ok")
    except HotlineError as exc:
        if exc.status == 404 and exc.code != "child_not_found":
            raise  # the ticket or lead itself: the same answer as a wrong number
        flash_error(exc)
    return _back(values)


@bp.post("/link")
@console_view(roles=tuple(EDITORS))
def link(db: Session, actor: Actor) -> Any:
    """确认关联 (form: child, and ticket or lead); back to the ticket or lead page with a message."""
    return _change(db, actor, linking=True)


@bp.post("/unlink")
@console_view(roles=tuple(EDITORS))
def unlink(db: Session, actor: Actor) -> Any:
    return _change(db, actor, linking=False)
