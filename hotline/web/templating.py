"""Template globals: labels in Chinese, local times, masking helpers, the role's navigation."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

from hotline.accounts.models import ROLE_NAMES_ZH, Role
from hotline.accounts.privacy import mask_address, mask_name, mask_phone
from hotline.tickets import lifecycle
from hotline.tickets.models import CHANNELS
from hotline.timeutil import utcnow
from hotline.web.console.views import local_time, nav_items


def highlight(snippet: str) -> Markup:
    """A library snippet (matches inside 【】) as HTML: escaped first, then the marks."""
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace("【", "<mark>").replace("】", "</mark>"))  # noqa: S704 - escaped above


def register_template_globals(app: Flask) -> None:
    app.jinja_env.filters["highlight"] = highlight
    state = app.extensions["hotline"]
    app.jinja_env.globals.update(
        taxonomy=state.taxonomy,
        channels=CHANNELS,
        status_names={s.value: n for s, n in lifecycle.STATUS_NAMES_ZH.items()},
        status_name=lambda s: lifecycle.STATUS_NAMES_ZH.get(lifecycle.TicketStatus(s), s),
        action_name=lambda a: lifecycle.ACTION_NAMES_ZH.get(a, a),
        satisfaction_name=lambda s: lifecycle.SATISFACTION_NAMES_ZH.get(s, s),
        role_name=lambda r: ROLE_NAMES_ZH[Role(r)],
        nav_items=nav_items,
        local_time=local_time,
        utcnow=utcnow,
        mask_name=mask_name,
        mask_phone=mask_phone,
        mask_address=mask_address,
    )
