"""Template globals: labels in Chinese, Beijing times, the clocks, the role's navigation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from flask import Flask
from markupsafe import Markup, escape

from hotline.accounts.models import ROLE_NAMES_ZH, Role
from hotline.reports.dashboard import UnitFigures
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


def _ticket_link(href: str, number: str) -> str:
    """``<a>`` to a ticket's page, escaped; ``href`` is the page's URL without the number."""
    return f'<a href="{escape(href + quote(number, safe="/"))}">{escape(number)}</a>'


class TicketRows:
    """The rows of the long ticket tables in Python, not Jinja: the list, the inbox and the callbacks (up to 200
    rows) and the dashboard's overdue list (up to 100). A Jinja row cost 15–30 µs of CPU, this one a few."""

    def __init__(self, badges: Mapping[str | None, Markup], categories: Mapping[str, str],
                 statuses: Mapping[str, str]) -> None:
        self.badges = badges
        # the labels of closed sets, escaped once
        self.categories = {code: str(escape(name)) for code, name in categories.items()}
        self.statuses = {code: str(escape(name)) for code, name in statuses.items()}

    def queue(self, items: Iterable, now: datetime, href: str, *, callback: bool = False,
              with_countdown: bool = False) -> Markup:
        """Rows of the ticket list; ``href`` is the ticket page's URL without the number."""
        escaped = "".join(self._row(t, now, href, callback, with_countdown) for t in items)
        return Markup(escaped)  # noqa: S704 - every field of a row is escaped in _row

    def overdue(self, items: Iterable, now: datetime, href: str) -> Markup:
        """Rows of the dashboard's overdue list: which clocks ran out, and the resolve deadline."""
        escaped = "".join(
            f'<tr class="overdue"><td>{_ticket_link(href, t.number)}</td>'
            f'<td>{self.badges.get(t.urgency, "")}</td><td>{escape(t.lead_unit_name or "—")}</td>'
            f'<td>{escape("、".join(c.title for c in clocks.missed(t, now)))}</td>'
            f'<td>{countdown(t.resolve_due_at, now)}</td></tr>' for t in items)
        return Markup(escaped)  # noqa: S704 - every field is escaped above

    def _row(self, t, now: datetime, href: str, callback: bool, with_countdown: bool) -> str:  # noqa: ANN001
        due = t.callback_due_at if callback else t.resolve_due_at
        missed = [] if callback else clocks.missed(t, now)
        late = (callback and due is not None and due < now) or missed
        marks = "".join(f' <span class="badge emergency">{escape(c.title)}超时</span>' for c in missed)
        if t.extension_state == "requested":
            marks += ' <span class="badge">延期申请</span>'
        if t.supervision_count:
            marks += ' <span class="badge">督办</span>'
        review = ' <span class="badge review">待确认</span>' if t.needs_review else ""
        category = self.categories.get(t.category) or _escaped(t.category) if t.category else "未分类"
        when = countdown(due, now) if with_countdown else escape(local_minute(due))
        text = t.text or ""
        summary = f'{escape(text[:40])}{"…" if len(text) > 40 else ""}'
        return (f'<tr class="{"overdue" if late else ""}">'
                f'<td>{_ticket_link(href, t.number)}</td>'
                f'<td>{self.badges.get(t.urgency, "")}{review}</td>'
                f'<td>{self.statuses.get(t.status) or _escaped(t.status)}{marks}</td>'
                f'<td>{category}</td>'
                f'<td>{_escaped(t.prefecture or "—")} {_escaped(t.county or "")}</td>'
                f'<td>{_escaped(t.lead_unit_name or "—")}</td>'
                f'<td>{when}</td>'
                f'<td>{summary}</td></tr>')


def _percent(part: int, whole: int) -> str:
    rate = UnitFigures.rate(part, whole)
    return "—" if rate is None else f"{rate * 100:.0f}%"


def unit_rows(units: Iterable[UnitFigures]) -> Markup:
    """Rows of the dashboard's per-unit table (up to 50 units): on-time sign and resolve rates, satisfaction."""
    escaped = "".join(
        f"<tr><td>{_escaped(u.unit)}</td><td>{u.dispatched}</td>"
        f"<td>{_percent(u.signed_on_time, u.sign_due)}</td><td>{_percent(u.resolved_on_time, u.resolve_due)}</td>"
        f"<td>{_percent(u.satisfied, u.rated)}</td></tr>" for u in units)
    return Markup(escaped)  # noqa: S704 - the unit's name is escaped, the rest are numbers


def _chart_data(categories: Mapping[str, str]) -> Callable[[Mapping[str, Any]], dict[str, list]]:
    """The dashboard's charts as JSON values: volume by category, place and day, and the category names."""
    codes = sorted(categories)
    names = [categories[c] for c in codes]

    def chart_data(data: Mapping[str, Any]) -> dict[str, list]:
        series = {key: [list(row) for row in data[f"by_{key}"]] for key in ("category", "prefecture", "day")}
        return {**series, "names": names, "codes": codes}

    return chart_data


def _filter_options(sets: Mapping[str, Mapping[str, str]]) -> Callable[[str, str | None], Markup]:
    """``filter_options(set, selected)``: the ``<option>``s of a filter form's closed set (statuses, categories,
    urgency levels, prefectures), escaped once here rather than on every page."""
    # per set: (code, the code escaped, the label escaped)
    choices = {name: [(code, str(escape(code)), str(escape(label))) for code, label in labels.items()]
               for name, labels in sets.items()}

    def filter_options(name: str, selected: str | None) -> Markup:
        escaped = "".join(f'<option value="{value}"{" selected" if code == selected else ""}>{label}</option>'
                          for code, value, label in choices[name])
        return Markup(escaped)  # noqa: S704 - every part escaped above

    return filter_options


@lru_cache(maxsize=4096)
def _escaped(value: str) -> str:
    """Escaped text of the few thousand values rows repeat (places, unit names)."""
    return str(escape(value))


def register_template_globals(app: Flask) -> None:
    app.jinja_env.filters["highlight"] = highlight
    runtime = app.extensions["hotline"]
    badges: dict[str | None, Markup] = {code: _badge(code, name) for code, name in runtime.taxonomy.urgency.items()}
    status_names = {s.value: n for s, n in lifecycle.STATUS_NAMES_ZH.items()}
    category_names = {c: v.name for c, v in runtime.taxonomy.categories.items()}
    app.jinja_env.globals.update(
        taxonomy=runtime.taxonomy,
        channels=CHANNELS,
        status_names=status_names,
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
        ticket_rows=TicketRows(badges, category_names, status_names),
        unit_rows=unit_rows,
        chart_data=_chart_data(category_names),
        filter_options=_filter_options({"status": status_names, "category": category_names,
                                        "urgency": runtime.taxonomy.urgency,
                                        "prefecture": {p: p for p in runtime.taxonomy.regions}}),
        alert_flags=flags,
        clock_titles=clocks.CLOCK_TITLES,
        utcnow=utcnow,
    )
