"""The library's input and output records."""

from __future__ import annotations

from dataclasses import dataclass, field

ITEM_TYPES = ("ticket", "sentiment")

CONTRACT_FIELDS = (
    "id",
    "category",
    "kind",
    "urgency",
    "agency",
    "co_agencies",
    "prefecture",
    "county",
    "relevant",
    "polarity",
    "risk",
    "confidence",
    "needs_review",
)

#: the review reason of a ticket the model does not call an emergency but whose P(emergency) is close to it:
#: the operator asks the caller whether the child is safe right now (疑似特急)
POSSIBLE_EMERGENCY = "possible emergency"


@dataclass(frozen=True)
class Item:
    """One text to classify: a 12345 ticket or a public-sentiment post (with an optional title)."""

    id: str | int
    text: str
    type: str = "ticket"
    title: str | None = None

    def __post_init__(self):
        if self.type not in ITEM_TYPES:
            raise ValueError(f"item type must be 'ticket' or 'sentiment', not {self.type!r}")
        if not isinstance(self.text, str):
            raise ValueError("item text must be a string")


@dataclass(frozen=True)
class Prediction:
    """Everything the classifier says about one item.

    ``to_contract()`` gives the `hotline classify` line; the other fields are for the console:
    ``explanation`` maps a head ("category", "kind", ...) to its heaviest terms ``[(term, weight)]``,
    ``cues`` lists the emergency cues the rule layer found, ``review_reasons`` why ``needs_review``.
    """

    id: str | int
    type: str
    category: str
    agency: str
    co_agencies: tuple[str, ...] = ()
    kind: str | None = None
    urgency: str | None = None
    prefecture: str | None = None
    county: str | None = None
    relevant: bool | None = None
    polarity: str | None = None
    risk: str | None = None
    confidence: float = 0.0
    needs_review: bool = True
    explanation: dict[str, list[tuple[str, float]]] = field(default_factory=dict, compare=False)
    #: per-head probability of the chosen label
    scores: dict[str, float] = field(default_factory=dict, compare=False)
    cues: tuple[str, ...] = ()
    review_reasons: tuple[str, ...] = ()

    def to_contract(self) -> dict:
        ticket = self.type == "ticket"
        return {
            "id": self.id,
            "category": self.category,
            "kind": self.kind if ticket else None,
            "urgency": self.urgency if ticket else None,
            "agency": self.agency,
            "co_agencies": list(self.co_agencies),
            "prefecture": self.prefecture,
            "county": self.county,
            "relevant": None if ticket else bool(self.relevant),
            "polarity": None if ticket else self.polarity,
            "risk": None if ticket else self.risk,
            "confidence": round(float(min(max(self.confidence, 0.0), 1.0)), 4),
            "needs_review": bool(self.needs_review),
        }
