"""Console forms → service inputs, through the same specs the API uses (form values are text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hotline.errors import HotlineError
from hotline.inputs import Spec
from hotline.tickets.calls import OUTCOME_SPEC, CallOutcome
from hotline.tickets.intake import IntakeRequest, intake_spec
from hotline.tickets.queries import FILTER_SPEC, TicketFilter
from hotline.web.errors import flash_error


def call_request(form: Mapping[str, str], *, max_text: int) -> IntakeRequest:
    """The call on the new-ticket screen (flat form fields) as the API's intake body."""
    body = {
        "channel": form.get("channel") or "phone",
        "text": form.get("text", ""),
        "caller": {"name": form.get("caller_name", ""), "phone": form.get("caller_phone", "")},
        "child": {"name": form.get("child_name", ""), "age": form.get("child_age", ""),
                  "gender": form.get("child_gender", "")},
        "address": form.get("address", ""),
    }
    return IntakeRequest.from_input(intake_spec(max_text).parse(body, source="text"))


def call_outcome(form: Mapping[str, str]) -> CallOutcome:
    return CallOutcome(OUTCOME_SPEC.parse(form, source="text"))


def list_filters(spec: Spec, args: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """A list page's filters from the query string; a bad one is flashed and the list shown unfiltered
    with its 4xx status (a list page never refuses to show)."""
    try:
        return spec.parse(args, source="text"), 200
    except HotlineError as exc:
        flash_error(exc)
        return {}, exc.status


def queue_filter(args: Mapping[str, Any]) -> TicketFilter:
    return TicketFilter.from_input(FILTER_SPEC.parse(args, source="text"))
