"""What the operator sees while typing: the triage suggestion, the deadlines a dispatch would get,
the knowledge-base passages and answer scripts most likely needed, eligibility hints (政策找人) and the
caller's / child's history."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.knowledge import content as knowledge
from hotline.knowledge.eligibility import eligibility_hints
from hotline.state import AppState
from hotline.tickets import calls
from hotline.tickets.triage import safe_suggest
from hotline.timeutil import iso_local, utcnow

log = logging.getLogger(__name__)


def assist_call(
    session: Session,
    actor: Actor,
    text: str,
    state: AppState,
    *,
    phone: str | None = None,
    child_name: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    suggestion = safe_suggest(state.triage, text) if text.strip() else None
    body: dict[str, Any] = {"suggestion": suggestion.as_record() if suggestion else None, "deadlines": None}
    if suggestion and suggestion.urgency and suggestion.kind:
        body["deadlines"] = state.policy.for_dispatch(utcnow(), suggestion.urgency, suggestion.kind).as_contract()
    if suggestion and suggestion.category:
        tax = state.taxonomy
        body["names"] = {
            "category": tax.categories[suggestion.category].name,
            "kind": tax.kinds.get(suggestion.kind or "", ""),
            "urgency": tax.urgency.get(suggestion.urgency or "", ""),
            "agency": tax.agencies.get(suggestion.agency or "", ""),
            "co_agencies": [tax.agencies[a] for a in suggestion.co_agencies],
        }
    county = suggestion.county if suggestion else None
    history = calls.related_history(session, actor, phone=(phone or "").strip() or None,
                                    child_name=(child_name or "").strip() or None, county=county,
                                    address=(address or "").strip() or None)
    if text.strip():
        hits = knowledge.related(state.kb, state.kb_store, text, category=suggestion.category if suggestion else None)
        body["kb"] = [
            {"id": h.id, "article_id": h.id.split("#")[0], "title": h.title, "snippet": h.snippet, "text": h.text,
             "source": h.source}
            for h in hits
        ]
        body["eligibility"] = [hint.__dict__ for hint in eligibility_hints(text)]
    body["history"] = [
        {"number": t.number, "status": t.status, "received_at": iso_local(t.received_at), "text": t.text[:60]}
        for t in history
    ]
    return body


def warm_up(state: AppState) -> None:
    """Pay the one-off costs (segmenter dictionary, first prediction, knowledge-base vocabulary and
    typo index) at start-up instead of on the first operator's keystroke."""
    safe_suggest(state.triage, "孩子父母外出务工，孩子一个人在家")
    try:
        knowledge.related(state.kb, state.kb_store, "孩子父母外出务工")
    except Exception:  # a missing knowledge base must not stop the server; searches will say so
        log.exception("knowledge-base warm-up failed")
