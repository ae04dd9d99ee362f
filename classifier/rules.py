"""The deterministic rule layer: place, emergency cues and routing.

Everything here works without a trained model, so the app can still fill in the place and flag an
emergency when no model artifact is available (:func:`apply_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .cues import Cue, find_emergency_cues
from .regions import Region, find_region
from .taxonomy import Taxonomy, load_taxonomy
from .text import item_text, normalize

URGENCY_ORDER = ("normal", "urgent", "emergency")


@dataclass(frozen=True)
class RuleFindings:
    """What the rules alone say about a text."""

    prefecture: str | None
    county: str | None
    emergency: bool
    cues: tuple[Cue, ...] = ()

    @property
    def cue_texts(self) -> tuple[str, ...]:
        return tuple(f"{c.family}:{c.text}" for c in self.cues)


def apply_rules(text: str, title: str | None = None, taxonomy: Taxonomy | None = None) -> RuleFindings:
    """Region (boundary rule 13) and emergency cues (rule 12) for a raw text; no model needed."""
    norm = normalize(item_text(text, title))
    return findings_for_normalized(norm, taxonomy)


def findings_for_normalized(norm: str, taxonomy: Taxonomy | None = None) -> RuleFindings:
    region: Region = find_region(norm, taxonomy)
    cues = tuple(find_emergency_cues(norm))
    return RuleFindings(region.prefecture, region.county, bool(cues), cues)


def raise_urgency(model_urgency: str, emergency_cue: bool) -> str:
    """Cues can only raise urgency, to emergency; they never lower what the model said."""
    if emergency_cue and URGENCY_ORDER.index(model_urgency) < URGENCY_ORDER.index("emergency"):
        return "emergency"
    return model_urgency


def route(category: str, emergency: bool, taxonomy: Taxonomy | None = None) -> tuple[str, tuple[str, ...]]:
    """Lead agency and co-agencies for a category; an emergency always adds public security
    (强制报告) as a co-agency unless it already leads."""
    tax = taxonomy or load_taxonomy()
    cat = tax.categories[category]
    co = list(cat.co)
    if emergency and cat.lead != "public_security" and "public_security" not in co:
        co.append("public_security")
    return cat.lead, tuple(co)
