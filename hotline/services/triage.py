"""The seam between ticket intake and the classifier: intake works whether or not a model is loaded."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriageSuggestion:
    category: str | None
    kind: str | None
    urgency: str | None
    agency: str | None = None
    co_agencies: tuple[str, ...] = ()
    prefecture: str | None = None
    county: str | None = None
    confidence: float | None = None
    needs_review: bool = True
    #: True when only the rule layer ran (no model): labels may be missing
    rules_only: bool = False
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return bool(self.category and self.kind and self.urgency)

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["co_agencies"] = list(self.co_agencies)
        return record


class Triage(Protocol):
    def suggest(self, text: str) -> TriageSuggestion | None: ...


def safe_suggest(triage: Triage | None, text: str) -> TriageSuggestion | None:
    """Ask the classifier; a missing or failing model means manual triage, never a failed intake."""
    if triage is None:
        return None
    try:
        return triage.suggest(text)
    except Exception:  # a broken model must not lose a call
        log.exception("triage failed; ticket left for manual triage")
        return None
