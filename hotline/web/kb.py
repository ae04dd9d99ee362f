"""Knowledge-base pages: search, article with its passages, and (admins) editing with history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import HotlineError, NotFound
from hotline.knowledge import content as knowledge
from hotline.timeutil import SHANGHAI, utcnow
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.sessions import console_view

bp = Blueprint("kb", __name__, url_prefix="/kb")


@bp.get("")
@console_view(readonly=True)
def search(db: Session, actor: Actor) -> Any:
    state = runtime()
    query = request.args.get("q", "").strip()[:200]
    category = request.args.get("category") or None
    if category not in state.taxonomy.categories:
        category = None
    result = state.knowledge.search(query, limit=20, category=category) if query else None
    return render_template("kb/search.html", q=query, category=category, result=result)


@bp.get("/articles/<article_id>")
@console_view(readonly=True)
def article(db: Session, actor: Actor, article_id: str) -> Any:
    found = knowledge.get_article(db, article_id)
    return render_template("kb/article.html", a=found, passages=knowledge.article_passages(db, article_id),
                           versions=knowledge.versions(db, article_id))


@bp.get("/articles/<article_id>/versions/<int:version>")
@console_view(readonly=True)
def version(db: Session, actor: Actor, article_id: str, version: int) -> Any:
    found = knowledge.get_article(db, article_id)
    old = next((v for v in knowledge.versions(db, article_id) if v.version == version), None)
    if old is None:
        raise NotFound(f"版本 {version} 不存在", code="version_not_found")
    return render_template("kb/version.html", a=found, v=old)


@bp.route("/articles/<article_id>/edit", methods=["GET", "POST"])
@console_view(roles=(Role.ADMIN,))
def edit(db: Session, actor: Actor, article_id: str) -> Any:
    found = knowledge.get_article(db, article_id)
    if request.method == "GET":
        return render_template("kb/edit.html", a=found)
    try:
        with db.begin_nested():
            edit = knowledge.ArticleEdit.from_input(knowledge.EDIT_SPEC.parse(request.form, source="text"), found)
            knowledge.save_article(db, article_id, edit, actor)
    except HotlineError as exc:
        flash_error(exc)
        return render_template("kb/edit.html", a=found, form=request.form), exc.status
    flash(f"已保存为版本 {found.version}", "ok")
    return redirect(url_for("kb.article", article_id=article_id))


@bp.post("/articles/<article_id>/versions/<int:version>/restore")
@console_view(roles=(Role.ADMIN,))
def restore(db: Session, actor: Actor, article_id: str, version: int) -> Any:
    restored = knowledge.restore_version(db, article_id, version, actor)
    flash(f"已恢复版本 {version} 的内容（保存为版本 {restored.version}）", "ok")
    return redirect(url_for("kb.article", article_id=article_id))


@bp.get("/review")
@console_view(roles=(Role.ADMIN, Role.SUPERVISOR), readonly=True)
def review(db: Session, actor: Actor) -> Any:
    today = utcnow().astimezone(SHANGHAI).date()
    return render_template("kb/review.html", due=knowledge.due_for_review(db, today), today=today)
