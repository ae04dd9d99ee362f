"""The seam between ticket intake and the classifier: intake works whether or not a model is loaded."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
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
    #: 疑似特急: the model does not call it an emergency but comes close (its review reason says so)
    possible_emergency: bool = False
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
    def suggest(self, text: str, *, explain: bool | Collection[str] = True) -> TriageSuggestion | None: ...


def safe_suggest(triage: Triage | None, text: str, *, explain: bool | Collection[str] = True) -> TriageSuggestion | None:
    """Ask the classifier; a missing or failing model means manual triage, never a failed intake.
    ``explain``: every head's explanation (what intake records), or only the heads a page shows."""
    if triage is None:
        return None
    try:
        return triage.suggest(text, explain=explain)
    except Exception:  # a broken model must not lose a call
        log.exception("triage failed; ticket left for manual triage")
        return None


class ClassifierTriage:
    """Adapter from the classifier library to ticket intake. Without a model only the rule layer runs:
    the place is filled in and an emergency is flagged, but the labels wait for a person."""

    def __init__(self, classifier: Any | None, taxonomy: Any) -> None:
        self.classifier = classifier
        self.taxonomy = taxonomy

    @property
    def has_model(self) -> bool:
        return self.classifier is not None

    def suggest(self, text: str, *, explain: bool | Collection[str] = True) -> TriageSuggestion:
        from classifier import Item, apply_rules
        from classifier.schema import POSSIBLE_EMERGENCY

        if self.classifier is None:
            found = apply_rules(text, taxonomy=self.taxonomy)
            return TriageSuggestion(
                category=None,
                kind=None,
                urgency="emergency" if found.emergency else None,
                prefecture=found.prefecture,
                county=found.county,
                rules_only=True,
                explanation={"cues": list(found.cue_texts)},
            )
        p = self.classifier.predict([Item(id=0, text=text)], explain=explain)[0]
        explanation: dict[str, Any] = {
            head: [[t, round(w, 4)] for t, w in terms] for head, terms in p.explanation.items()
        }
        explanation.update(cues=list(p.cues), review_reasons=list(p.review_reasons))
        return TriageSuggestion(
            category=p.category,
            kind=p.kind,
            urgency=p.urgency,
            agency=p.agency,
            co_agencies=tuple(p.co_agencies),
            prefecture=p.prefecture,
            county=p.county,
            confidence=round(float(p.confidence), 4),
            needs_review=bool(p.needs_review),
            possible_emergency=POSSIBLE_EMERGENCY in p.review_reasons,
            explanation=explanation,
        )


def load_triage(artifact_path: Path, taxonomy: Any) -> ClassifierTriage:
    """The classifier from its artifact, or rules only (with a logged reason) when it is missing or refused."""
    from classifier import ArtifactError, load_classifier

    if not (artifact_path / "model.joblib").exists():
        log.info("no trained model at %s: tickets wait for manual triage (run `hotline train`)", artifact_path)
        return ClassifierTriage(None, taxonomy)
    try:
        return ClassifierTriage(load_classifier(artifact_path, taxonomy=taxonomy), taxonomy)
    except ArtifactError as exc:
        log.warning("model at %s refused: %s", artifact_path, exc)
        return ClassifierTriage(None, taxonomy)
