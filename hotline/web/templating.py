"""Template globals: labels in Chinese, Beijing times, the clocks, the role's navigation."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from hotline.accounts.models import ROLE_NAMES_ZH, Role
from hotline.scheduling.alerts import flags
from hotline.sentiment import leads
from hotline.sentiment.desk import RISK_NAMES
from hotline.tickets import clocks, lifecycle
from hotline.tickets.actions import event_title
from hotline.tickets.models import CHANNELS
from hotline.timeutil import iso_local, local_minute, utcnow
from hotline.web.home import nav_items


def highlight(snippet: str) -> Markup:
    """A library snippet (matches inside 【】) as HTML: escaped first, then the marks."""
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace("【", "<mark>").replace("】", "</mark>"))  # noqa: S704 - escaped above


def _badge(css: str, label: str) -> Markup:
    escaped = f'<span class="badge {escape(css)}">{escape(label)}</span>'
    return Markup(escaped)  # noqa: S704 - escaped above


def countdown(due: datetime | None, now: datetime) -> Markup | str:
    """A deadline in Beijing time; console.js turns it into a live countdown (the ISO time carries +08:00)."""
    if due is None:
        return "—"
    late = " late" if due < now else ""
    escaped = f'<span class="countdown{late}" data-due="{escape(iso_local(due))}">{escape(local_minute(due))}</span>'
    return Markup(escaped)  # noqa: S704 - escaped above


def register_template_globals(app: Flask) -> None:
    app.jinja_env.filters["highlight"] = highlight
    runtime = app.extensions["hotline"]
    badges: dict[str | None, Markup] = {code: _badge(code, name) for code, name in runtime.taxonomy.urgency.items()}
    app.jinja_env.globals.update(
        taxonomy=runtime.taxonomy,
        channels=CHANNELS,
        status_names={s.value: n for s, n in lifecycle.STATUS_NAMES_ZH.items()},
        status_name=lambda s: lifecycle.STATUS_NAMES_ZH.get(lifecycle.TicketStatus(s), s),
        action_name=event_title,
        satisfaction_name=lambda s: lifecycle.SATISFACTION_NAMES_ZH.get(s, s),
        role_name=lambda r: ROLE_NAMES_ZH[Role(r)],
        nav_items=nav_items,
        risk_names=RISK_NAMES,
        lead_status_name=lambda s: leads.STATUS_NAMES_ZH.get(s, s),
        lead_action_name=leads.event_title,
        verdict_name=lambda v: leads.VERDICTS.get(v, v),
        #: every time a person reads is Beijing time, whatever the browser's zone
        local_time=local_minute,
        iso_local=iso_local,
        missed_clocks=clocks.missed,
        # Python, not macros: they are called once per row of long lists
        urgency_badge=lambda code: badges.get(code, ""),
        countdown=countdown,
        alert_flags=flags,
        clock_titles=clocks.CLOCK_TITLES,
        utcnow=utcnow,
    )
