"""数据比对: other agencies' lists (sources with saved column mappings, imports) and the county's review queue.

- The queue and a review's page: civil-affairs staff (their area), dispatchers, supervisors and the admin.
- Deciding a review: civil-affairs staff of a county or above (their area) and the admin; dispatchers and
  supervisors read only.
- Sources and imports: the admin, dispatchers and civil-affairs staff.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.children import agency_lists, privacy, reviews, rules
from hotline.children.models import AgencySource
from hotline.errors import Forbidden, HotlineError
from hotline.timeutil import utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.forms import list_filters
from hotline.web.sessions import console_view

bp = Blueprint("matching", __name__, url_prefix="/console/matching")
R = Role
READERS = (R.AGENCY_STAFF, R.DISPATCHER, R.SUPERVISOR, R.ADMIN)
MANAGERS = (R.AGENCY_STAFF, R.DISPATCHER, R.ADMIN)


def _upload_limit() -> str:
    size = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _names() -> dict[str, Any]:
    return {"kind_names": reviews.KIND_NAMES, "status_names": reviews.STATUS_NAMES,
            "source_kinds": agency_lists.SOURCE_KINDS, "action_names": reviews.ACTION_NAMES,
            "relation_name": lambda r: "儿童本人" if r == "child" else rules.RELATION_NAMES.get(r, r)}


# --- the queue and a review ---------------------------------------------------------------------------------


@bp.get("/")
@console_view(roles=READERS, readonly=True)
def queue(db: Session, actor: Actor) -> Any:
    flt, status = list_filters(reviews.QUEUE_SPEC, request.args)
    now = utcnow()
    page = reviews.queue(db, actor, flt, now)
    return render_template("matching/queue.html", page=page, flt=flt, spec=reviews.QUEUE_SPEC, now=now,
                           view=lambda c: privacy.view_child(actor, c), overdue=reviews.is_overdue,
                           can_manage=agency_lists.may_manage(db, actor), **_names()), status


def _review_page(db: Session, actor: Actor, review: Any, status: int = 200, form: Any = None) -> Any:
    record = reviews.record_of(db, review)
    guardian = reviews.guardian_of(db, review)
    now = utcnow()
    return render_template(
        "matching/review.html", r=review, child=privacy.view_child(actor, review.child),
        record=privacy.view_record(actor, record) if record is not None else None,
        purged_text=reviews.RECORD_PURGED, guardian=guardian,
        guardian_name=privacy.guardian_name(actor, guardian),
        source=review.source_list.source, now=now, overdue=reviews.is_overdue(review, now),
        planned=reviews.planned_change(db, review) if review.status == "open" else None,
        can_decide=review.status == "open" and reviews.may_decide(db, actor), spec=reviews.DECIDE_SPEC,
        form=form or {}, rules=rules, subject=agency_lists.SUBJECT_NAMES[
            agency_lists.SOURCE_SUBJECTS[review.source_list.source.kind]], **_names()), status


@bp.get("/reviews/<number>")
@console_view(roles=READERS, readonly=True)
def review(db: Session, actor: Actor, number: str) -> Any:
    return _review_page(db, actor, reviews.get_review(db, actor, number))


@bp.post("/reviews/<number>/decide")
@console_view(roles=(R.AGENCY_STAFF, R.ADMIN))
def decide(db: Session, actor: Actor, number: str) -> Any:
    try:
        with db.begin_nested():
            reviews.decide(db, actor, number, reviews.DECIDE_SPEC.parse(request.form, source="text"), utcnow())
    except HotlineError as exc:
        if exc.status in (403, 404):
            raise
        flash_error(exc)
        return _review_page(db, actor, reviews.get_review(db, actor, number), exc.status, request.form)
    flash(f"比对复核 {number} 已处理", "ok")
    return redirect(url_for("matching.review", number=number))


# --- sources and imports --------------------------------------------------------------------------------------


def _require_manager(db: Session, actor: Actor) -> None:
    if not agency_lists.may_manage(db, actor):
        raise Forbidden("只有系统管理员、调度员和县级以上民政部门人员可以管理比对来源、导入名单", code="forbidden")


@bp.route("/sources", methods=["GET", "POST"])
@console_view(roles=MANAGERS)
def sources(db: Session, actor: Actor) -> Any:
    _require_manager(db, actor)
    status, form = 200, agency_lists.source_form(None)
    if request.method == "POST":
        try:
            with db.begin_nested():
                source = agency_lists.save_source(db, agency_lists.SOURCE_SPEC.parse(request.form, source="text"),
                                                  actor=actor)
            flash(f"已登记比对来源“{source.name}”", "ok")
            return redirect(url_for("matching.source", source_id=source.id))
        except HotlineError as exc:
            flash_error(exc)
            status, form = exc.status, request.form
    return render_template("matching/sources.html", sources=agency_lists.sources(db), spec=agency_lists.SOURCE_SPEC,
                           form=form, subjects=agency_lists.SOURCE_SUBJECTS,
                           subject_names=agency_lists.SUBJECT_NAMES, **_names()), status


def _source_page(db: Session, source: AgencySource, status: int = 200, form: Any = None) -> Any:
    return render_template("matching/source.html", s=source, spec=agency_lists.SOURCE_SPEC,
                           form=form if form is not None else agency_lists.source_form(source),
                           lists=agency_lists.lists_of(db, source), mapped=agency_lists.MAPPED_FIELDS,
                           upload_limit=_upload_limit(), max_rows=agency_lists.MAX_ROWS,
                           hard_cap=agency_lists.HARD_CAP_DAYS, **_names()), status


@bp.route("/sources/<int:source_id>", methods=["GET", "POST"])
@console_view(roles=MANAGERS)
def source(db: Session, actor: Actor, source_id: int) -> Any:
    _require_manager(db, actor)
    found = agency_lists.get_source(db, source_id)
    if request.method == "GET":
        return _source_page(db, found)
    try:
        with db.begin_nested():
            agency_lists.save_source(db, agency_lists.SOURCE_SPEC.parse(request.form, source="text"),
                                     source_id=source_id, actor=actor)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        db.refresh(found)
        return _source_page(db, found, exc.status, request.form)
    flash("已保存比对来源及列对应关系", "ok")
    return redirect(url_for("matching.source", source_id=source_id))


@bp.post("/sources/<int:source_id>/import")
@console_view(roles=MANAGERS)
def import_list(db: Session, actor: Actor, source_id: int) -> Any:
    state = runtime()
    found = agency_lists.get_source(db, source_id)
    upload = request.files.get("file")
    try:
        with db.begin_nested():
            outcome = agency_lists.import_list(
                db, actor, source_id, (upload.filename or "") if upload else "", upload.read() if upload else b"",
                cipher=state.cipher, now=utcnow(), working_days=state.settings.review_working_days,
                calendar=state.calendar, workday_start=state.policy.workday_start)
    except HotlineError as exc:
        if exc.status in (403, 404):
            raise
        flash_error(exc)
        return _source_page(db, found, exc.status)
    imported = outcome.agency_list
    guessed_form = agency_lists.source_form(found, outcome.guessed) if outcome.guessed is not None else None
    return render_template("matching/imported.html", l=imported, outcome=outcome, s=found,
                           counts=agency_lists.review_counts(db, imported),
                           guessed_form=guessed_form, spec=agency_lists.SOURCE_SPEC,
                           mapped=agency_lists.MAPPED_FIELDS, working_days=state.settings.review_working_days,
                           **_names())


@bp.get("/lists/<int:list_id>")
@console_view(roles=MANAGERS, readonly=True)
def list_result(db: Session, actor: Actor, list_id: int) -> Any:
    found = agency_lists.get_list(db, actor, list_id)
    return render_template("matching/imported.html", l=found, outcome=None, s=found.source, guessed_form=None,
                           counts=agency_lists.review_counts(db, found), spec=agency_lists.SOURCE_SPEC,
                           mapped=agency_lists.MAPPED_FIELDS, working_days=None, **_names())
