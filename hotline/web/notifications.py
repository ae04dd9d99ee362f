"""Notifications in the console: the header's badge (rendered with the page, then polled), the list with
mark read / mark all read, and the admins' page for the units' webhooks and their deliveries.

The header polls ``/console/notifications/summary`` and lists refresh themselves by fetching their own
page again; both send ``X-Hotline-Poll: 1`` (``sessions.POLL_HEADER``: not the person's activity)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import EVERY_ROLE, Role
from hotline.errors import HotlineError
from hotline.notifications import inbox, webhooks
from hotline.notifications.models import Notification
from hotline.scheduling.alerts import SWEEP_TITLES
from hotline.web import runtime
from hotline.web.errors import flash_error
from hotline.web.sessions import console_view, safe_next

log = logging.getLogger(__name__)
bp = Blueprint("notifications", __name__, url_prefix="/console/notifications")
KIND_NAMES = {**SWEEP_TITLES, "callback_due": "回访到期",
              "report": "报告", "lead": "核查线索", "dispatch": "派单", "match_review": "数据比对"}
REF_NAMES = {"ticket": "工单", "lead": "线索", "report": "报告", "visit": "走访", "review": "比对复核"}
DELIVERY_STATUS = {"pending": "待投递", "delivered": "已投递", "failed": "已放弃"}


def badge_text(unread: int) -> str:
    return f"{inbox.UNREAD_CAP - 1}+" if unread >= inbox.UNREAD_CAP else str(unread)


def _badge() -> dict[str, int] | None:
    """The logged-in person's unread count and newest notification, for the header (None: no badge)."""
    if "notification_badge" in g:
        return g.notification_badge
    actor, found = g.get("actor"), None
    if actor is not None and actor.kind == "user":
        try:
            reading = g.get("read_session")  # a read-only page's own unit of work, when it is one
            if reading is not None:
                found = inbox.summary(reading, actor)
            else:  # a write must not share its transaction with the badge (nor fail with it)
                with runtime().db.transaction(readonly=True) as db:
                    found = inbox.summary(db, actor)
        except Exception:  # the page still renders (an error page may be rendering because the database failed)
            log.warning("notification badge unavailable", exc_info=True)
    g.notification_badge = found
    return found


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"notification_badge": _badge, "notification_badge_text": badge_text}


def _href(note: Notification) -> str | None:
    """The notification's console path, when it is a same-site path."""
    return note.link if note.link and safe_next(note.link) == note.link else None


def ref_label(ref: str | None) -> str | None:
    """``ticket:12345-…`` as 工单 12345-…, ``lead:XS-…`` as 线索 XS-… (others as they are)."""
    if not ref:
        return None
    kind, _, rest = ref.partition(":")
    return f"{REF_NAMES[kind]} {rest}" if kind in REF_NAMES and rest else ref


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 1


@bp.get("")
@console_view(roles=EVERY_ROLE, readonly=True)
def index(db: Session, actor: Actor) -> Any:
    found = inbox.list_notifications(db, actor, page=_page_arg())
    return render_template("notifications/list.html", page=found, unread=inbox.unread_count(db, actor),
                           kind_name=lambda k: KIND_NAMES.get(k, k), href=_href, ref_label=ref_label)


@bp.get("/summary")
@console_view(roles=EVERY_ROLE, readonly=True)
def summary(db: Session, actor: Actor) -> Any:
    """``{"unread": n, "latest_id": m}``: what the header polls."""
    return jsonify(inbox.summary(db, actor))


@bp.post("/<int:notification_id>/read")
@console_view(roles=EVERY_ROLE)
def read(db: Session, actor: Actor, notification_id: int) -> Any:
    inbox.mark_read(db, actor, notification_id)
    return redirect(safe_next(request.form.get("next") or url_for("notifications.index")))


@bp.post("/read-all")
@console_view(roles=EVERY_ROLE)
def read_all(db: Session, actor: Actor) -> Any:
    inbox.mark_all_read(db, actor)
    flash("已全部标为已读", "ok")
    return redirect(url_for("notifications.index"))


# --- the units' webhooks (admins) ------------------------------------------------------------------------


@bp.route("/webhooks", methods=["GET", "POST"])
@console_view(roles=(Role.ADMIN,))
def webhook_admin(db: Session, actor: Actor) -> Any:
    status = 200
    if request.method == "POST":
        try:
            with db.begin_nested():
                values = webhooks.WEBHOOK_SPEC.parse(request.form, source="text")
                hook, secret = webhooks.create_webhook(db, values["unit"], values["url"])
            return _webhook_page(db, hook.id, secret=secret, status=201)
        except HotlineError as exc:
            flash_error(exc)
            status = exc.status
    return render_template("notifications/webhooks.html", rows=webhooks.webhooks(db), spec=webhooks.WEBHOOK_SPEC,
                           units=webhooks.unit_choices(db)), status


def _webhook_page(db: Session, webhook_id: int, *, secret: str | None = None, status: int = 200) -> Any:
    hook = webhooks.get_webhook(db, webhook_id)
    return render_template("notifications/webhook.html", hook=hook, secret=secret,
                           deliveries=webhooks.recent_deliveries(db, hook.id), status_names=DELIVERY_STATUS,
                           url_field=webhooks.URL_SPEC.field("url")), status


@bp.get("/webhooks/<int:webhook_id>")
@console_view(roles=(Role.ADMIN,), readonly=True)
def webhook(db: Session, actor: Actor, webhook_id: int) -> Any:
    return _webhook_page(db, webhook_id)


@bp.post("/webhooks/<int:webhook_id>/url")
@console_view(roles=(Role.ADMIN,))
def webhook_url(db: Session, actor: Actor, webhook_id: int) -> Any:
    try:
        with db.begin_nested():
            webhooks.set_url(db, webhook_id, webhooks.URL_SPEC.parse(request.form, source="text")["url"])
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        return _webhook_page(db, webhook_id, status=exc.status)
    flash("推送地址已更新", "ok")
    return redirect(url_for("notifications.webhook", webhook_id=webhook_id))


@bp.post("/webhooks/<int:webhook_id>/secret")
@console_view(roles=(Role.ADMIN,))
def webhook_secret(db: Session, actor: Actor, webhook_id: int) -> Any:
    """A new signing secret, shown in this answer only (never stored in the session or shown again)."""
    _, secret = webhooks.rotate_secret(db, webhook_id)
    return _webhook_page(db, webhook_id, secret=secret)


@bp.post("/webhooks/<int:webhook_id>/active")
@console_view(roles=(Role.ADMIN,))
def webhook_active(db: Session, actor: Actor, webhook_id: int) -> Any:
    hook = webhooks.set_active(db, webhook_id, request.form.get("active") == "true")
    flash("已启用推送" if hook.active else "已停用推送", "ok")
    return redirect(url_for("notifications.webhook", webhook_id=webhook_id))


@bp.post("/deliveries/<int:delivery_id>/retry")
@console_view(roles=(Role.ADMIN,))
def delivery_retry(db: Session, actor: Actor, delivery_id: int) -> Any:
    try:
        with db.begin_nested():
            delivery = webhooks.retry_delivery(db, delivery_id)
    except HotlineError as exc:
        if exc.status == 404:
            raise
        flash_error(exc)
        return redirect(url_for("notifications.webhook_admin"))
    flash("已重新排队，下一次推送任务运行时投递", "ok")
    return redirect(url_for("notifications.webhook", webhook_id=delivery.webhook_id))

