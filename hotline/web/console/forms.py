"""Form parsing for the console: turns request.form into service inputs (and clear errors)."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from hotline.errors import InputError
from hotline.tickets.calls import CallOutcome
from hotline.tickets.intake import IntakeRequest
from hotline.tickets.queries import TicketFilter
from hotline.web.api import schemas

LABEL_FIELDS = ("category", "kind", "urgency", "prefecture", "county")


def _clean(form: MultiDict, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def parse_call(form: MultiDict, *, max_text: int) -> tuple[IntakeRequest, CallOutcome]:
    age_raw = _clean(form, "child_age")
    if age_raw is not None and not age_raw.isdigit():
        raise InputError("儿童年龄须为 0-17 的整数", code="bad_age")
    body = {
        "channel": _clean(form, "channel") or "phone",
        "text": form.get("text", ""),
        "caller": {"name": _clean(form, "caller_name"), "phone": _clean(form, "caller_phone")},
        "child": {"name": _clean(form, "child_name"), "age": int(age_raw) if age_raw else None,
                  "gender": _clean(form, "child_gender")},
        "address": _clean(form, "address"),
    }
    request = schemas.parse_intake(body, max_text=max_text)
    outcome = CallOutcome(
        decision=_clean(form, "decision") or "",
        labels={name: _clean(form, name) for name in LABEL_FIELDS},
        answer=_clean(form, "answer"),
        article_id=_clean(form, "article_id"),
        callback_wanted=form.get("callback_wanted") == "1",
        unit=_clean(form, "unit"),
        police_notified=form.get("police_notified") == "1",
        police_note=_clean(form, "police_note"),
        merge_into=_clean(form, "merge_into"),
    )
    return request, outcome


def parse_action(form: MultiDict) -> dict:
    """Action payload from a ticket-page form (only known fields, typed)."""
    payload: dict = {}
    for name in ("note", "reason", "result", "answer", "satisfaction", "unit", "into", *LABEL_FIELDS):
        value = _clean(form, name)
        if value is not None:
            payload[name] = value
    if _clean(form, "days"):
        if not form["days"].strip().isdigit():
            raise InputError("延期天数须为整数", code="bad_days")
        payload["days"] = int(form["days"])
    if _clean(form, "version"):
        payload["version"] = int(form["version"]) if form["version"].isdigit() else -1
    if form.get("callback_wanted") == "1":
        payload["callback_wanted"] = True
    return payload


def parse_queue(args: MultiDict) -> TicketFilter:
    return schemas.parse_filter({k: v for k, v in args.items() if v != ""})
