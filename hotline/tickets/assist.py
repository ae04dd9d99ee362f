"""What the operator sees while typing: the triage suggestion, the deadlines a dispatch would get,
the knowledge-base passages and answer scripts most likely needed, eligibility hints (政策找人) and the
caller's / child's history."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.crypto import FieldCipher
from hotline.knowledge.eligibility import eligibility_hints
from hotline.knowledge.search import KnowledgeService
from hotline.taxonomy import Taxonomy
from hotline.tickets import calls
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.tickets.triage import Triage, safe_suggest
from hotline.timeutil import iso_local, utcnow

#: the explanation the desk page shows while the operator types (the category's words, console.js); intake
#: records every head's when the call is taken
LIVE_EXPLAINED = ("category",)


def assist_call(
    session: Session,
    actor: Actor,
    text: str,
    *,
    triage: Triage | None,
    policy: DeadlinePolicy,
    taxonomy: Taxonomy,
    knowledge: KnowledgeService,
    cipher: FieldCipher,
    phone: str | None = None,
    child_name: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    suggestion = safe_suggest(triage, text, explain=LIVE_EXPLAINED) if text.strip() else None
    body: dict[str, Any] = {"suggestion": suggestion.as_record() if suggestion else None, "deadlines": None}
    if suggestion and suggestion.urgency and suggestion.kind:
        body["deadlines"] = policy.for_dispatch(utcnow(), suggestion.urgency, suggestion.kind).as_contract()
    if suggestion and suggestion.category:
        body["names"] = {
            "category": taxonomy.categories[suggestion.category].name,
            "kind": taxonomy.kinds.get(suggestion.kind or "", ""),
            "urgency": taxonomy.urgency.get(suggestion.urgency or "", ""),
            "agency": taxonomy.agencies.get(suggestion.agency or "", ""),
            "co_agencies": [taxonomy.agencies[a] for a in suggestion.co_agencies],
        }
    county = suggestion.county if suggestion else None
    history = calls.related_history(session, actor, cipher=cipher, phone=(phone or "").strip() or None,
                                    child_name=(child_name or "").strip() or None, county=county,
                                    address=(address or "").strip() or None)
    if text.strip():
        hits = knowledge.related(text, category=suggestion.category if suggestion else None)
        body["kb"] = [
            {"id": h.id, "article_id": h.id.split("#")[0], "title": h.title, "snippet": h.snippet, "text": h.text,
             "source": h.source, "cites": [c.to_contract() for c in h.cites]}
            for h in hits
        ]
        body["eligibility"] = [hint.__dict__ for hint in eligibility_hints(text)]
    body["history"] = [
        {"number": t.number, "status": t.status, "received_at": iso_local(t.received_at), "text": t.text[:60]}
        for t in history
    ]
    return body
