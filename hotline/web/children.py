"""The children register (儿童档案): the list, a child's page (history, benefits, versions, audited reveal),
registering (also from a ticket) and editing, and exports approved by a supervisor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.children import exports, history, listing, places, privacy, register, rules
from hotline.children.models import Child
from hotline.children.scopes import EDITORS, get_child, villages_in_scope
from hotline.children.visits import local_day
from hotline.errors import HotlineError
from hotline.reports.exports import to_csv, to_xlsx
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.forms import list_filters
from hotline.web.sessions import console_view

bp = Blueprint("children", __name__, url_prefix="/console/children")


@bp.route("/", methods=["GET", "POST"], endpoint="register")
@console_view(readonly=True)
def register_list(db: Session, actor: Actor) -> Any:
    """The filter form posts (a child's name stays out of URLs and logs, SESS-5); a plain GET lists everyone."""
    flt, status = list_filters(listing.LIST_SPEC, request.form if request.method == "POST" else request.args)
    page = listing.list_children(db, actor, flt)
    return render_template("children/list.html", page=page, flt=flt, spec=listing.LIST_SPEC,
                           view=lambda c: privacy.view_child(actor, c), can_edit=actor.role in EDITORS,
                           rules=rules, page_today=local_day(utcnow())), status


def _form_page(db: Session, actor: Actor, child: Child | None, form: Any, status: int = 200,
               ticket: str | None = None) -> Any:
    return render_template("children/form.html", child=child, form=form, spec=register.CHILD_SPEC,
                           guardian_spec=register.GUARDIAN_SPEC, max_guardians=register.MAX_GUARDIANS,
                           villages=villages_in_scope(db, actor), ticket=ticket, rules=rules), status


@bp.route("/new", methods=["GET", "POST"])
@console_view(roles=tuple(EDITORS))
def new(db: Session, actor: Actor) -> Any:
    ticket = request.values.get("ticket") or None
    if request.method == "GET":
        initial = {}
        if ticket:
            from hotline.children.links import prefill_from_ticket

            initial = prefill_from_ticket(db, actor, ticket, cipher=runtime().cipher)
        return _form_page(db, actor, None, initial, ticket=ticket)
    try:
        with db.begin_nested():
            values, guardians = register.parse_child_form(request.form)
            child = register.create_child(db, actor, values, guardians, cipher=runtime().cipher, now=utcnow(),
                                          ticket_number=ticket)
    except HotlineError as exc:
        flash_error(exc)
        return _form_page(db, actor, None, request.form, exc.status, ticket=ticket)
    flash(f"已登记儿童档案 {child.number}", "ok")
    return redirect(url_for("children.child", number=child.number))


@bp.route("/<number>/edit", methods=["GET", "POST"])
@console_view(roles=tuple(EDITORS))
def edit(db: Session, actor: Actor, number: str) -> Any:
    child = get_child(db, number, actor)
    if request.method == "GET":
        return _form_page(db, actor, child, register.form_values(child))
    try:
        with db.begin_nested():
            values, guardians = register.parse_child_form(request.form)
            register.update_child(db, actor, number, values, guardians, cipher=runtime().cipher, now=utcnow())
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        return _form_page(db, actor, child, request.form, exc.status)
    flash("已保存", "ok")
    return redirect(url_for("children.child", number=number))


def _child_page(db: Session, actor: Actor, child: Child, shown: privacy.ChildView, status: int = 200) -> Any:
    return render_template("children/child.html", c=child, shown=shown, h=history.child_history(db, child),
                           benefits=history.benefits(child), rules=rules, can_edit=actor.role in EDITORS,
                           reveal_reasons=privacy.REVEAL_REASONS, now=utcnow(),
                           field_names=register.FIELD_NAMES), status


@bp.get("/<number>")
@console_view(readonly=True)
def child(db: Session, actor: Actor, number: str) -> Any:
    found = get_child(db, number, actor)
    return _child_page(db, actor, found, privacy.view_child(actor, found))


@bp.post("/<number>/reveal")
@console_view()
def reveal(db: Session, actor: Actor, number: str) -> Any:
    """The full record for a reason; audited (who, when, which child, why, from where)."""
    found = get_child(db, number, actor)
    try:
        shown = privacy.reveal_child(db, actor, found, privacy.REVEAL_SPEC.parse(request.form, source="text"),
                                     cipher=runtime().cipher, source_ip=request.remote_addr)
    except HotlineError as exc:
        flash_error(exc)
        return _child_page(db, actor, found, privacy.view_child(actor, found), exc.status)
    return _child_page(db, actor, found, shown)


@bp.route("/places", methods=["GET", "POST"])
@console_view(roles=(Role.ADMIN,))
def place_admin(db: Session, actor: Actor) -> Any:
    """乡镇、村名单: the admin uploads the CSV (the same format as ``hotline places import``)."""
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            with db.begin_nested():
                result = places.import_upload(db, upload.filename if upload else None,
                                              upload.read() if upload else b"")
            flash(f"新增 {result.added} 个地点，已存在 {result.existing} 个", "ok")
            return redirect(url_for("children.place_admin"))
        except HotlineError as exc:
            flash_error(exc)
            status = exc.status
    return render_template("children/places.html", counts=places.counts_by_county(db)), status


@bp.route("/exports", methods=["GET", "POST"])
@console_view(roles=tuple(exports.REQUESTERS | exports.APPROVERS))
def export_requests(db: Session, actor: Actor) -> Any:
    status = 200
    if request.method == "POST":
        try:
            with db.begin_nested():
                exports.request_export(db, actor, exports.REQUEST_SPEC.parse(request.form, source="text"), utcnow())
            flash("已提交导出申请，待督导审批", "ok")
            return redirect(url_for("children.export_requests"))
        except HotlineError as exc:
            flash_error(exc)
            status = exc.status
    return render_template("children/exports.html", requests=exports.requests_for(db, actor), actor=actor,
                           spec=exports.REQUEST_SPEC, can_approve=actor.role in exports.APPROVERS,
                           status_names=exports.STATUS_NAMES), status


@bp.post("/exports/<int:request_id>/decide")
@console_view(roles=tuple(exports.APPROVERS))
def export_decide(db: Session, actor: Actor, request_id: int) -> Any:
    try:
        with db.begin_nested():
            decision = exports.DECIDE_SPEC.parse(request.form, source="text")["decision"]
            exports.decide(db, actor, request_id, decision, utcnow(), request.remote_addr)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
    return redirect(url_for("children.export_requests"))


@bp.post("/exports/<int:request_id>/download")
@console_view(roles=tuple(exports.REQUESTERS))
def export_download(db: Session, actor: Actor, request_id: int) -> Any:
    fmt = "xlsx" if request.form.get("format") == "xlsx" else "csv"
    try:
        with db.begin_nested():
            rows = exports.download(db, actor, request_id, cipher=runtime().cipher, now=utcnow(),
                                    source_ip=request.remote_addr)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        return redirect(url_for("children.export_requests"))
    body = to_xlsx(rows, exports.HEADER, "儿童档案") if fmt == "xlsx" else to_csv(rows, exports.HEADER)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                else "text/csv; charset=utf-8")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=children-{request_id}.{fmt}", "Cache-Control": "no-store"})
