"""What the classifier and the grouping fingerprint make of an item, computed before any write
transaction (it takes milliseconds per item, and a batch holds up to a thousand)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from classifier.rules import apply_rules
from classifier.schema import Item
from classifier.stories import Fingerprint, StoryParams, fingerprint, group
from hotline.timeutil import SHANGHAI

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    #: None when no model is installed: the desk then shows the item as not yet judged
    relevant: bool | None
    category: str | None
    polarity: str | None
    risk: str | None
    confidence: float | None
    prefecture: str | None
    county: str | None
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Text:
    """The part of an item analysis needs."""

    text: str
    title: str | None
    published_at: datetime
    author: str | None = None


def analyze(classifier: Any | None, items: Sequence[Text]) -> list[Analysis]:
    """Classify (relevance, category, polarity, risk, place) and fingerprint a batch, in order. Without a
    model, or when it fails, the rule layer still gives the place and raises risk on emergency cues."""
    predictions: list[Any] = [None] * len(items)
    if classifier is not None and items:
        try:
            predictions = classifier.predict(
                [Item(id=i, text=it.text, title=it.title, type="sentiment") for i, it in enumerate(items)],
                explain=False)
        except Exception:  # a broken model must not lose items: they are grouped by the rules
            log.exception("sentiment classification failed; items grouped without labels")
    out = []
    for it, p in zip(items, predictions, strict=True):
        if p is None:
            found = apply_rules(it.text, it.title)
            place = (found.prefecture, found.county)
            labels = (None, None, None, "high" if found.emergency else None, None)
        else:
            place = (p.prefecture, p.county)
            labels = (p.relevant, p.category, p.polarity, p.risk, round(float(p.confidence), 4))
        fp = fingerprint(it.text, it.title, published_at=it.published_at, prefecture=place[0], county=place[1],
                         category=labels[1] if labels[0] else None, author=it.author)
        out.append(Analysis(*labels, *place, fp))
    return out


def group_rows(classifier: Any | None, rows: Sequence[Mapping[str, Any]],
               params: StoryParams | None = None) -> dict[str, str]:
    """The event of each row (``{"id", "text", "title"?, "published_at"?, "author"?}``), by id, grouped in
    memory: what `hotline sentiment dedupe` answers and what the grouping benchmark scores."""
    texts = [Text(r["text"], r.get("title"), _moment(r.get("published_at")), r.get("author")) for r in rows]
    return group([(str(r["id"]), a.fingerprint) for r, a in zip(rows, analyze(classifier, texts), strict=True)],
                 params)


def _moment(raw: object) -> datetime | None:
    """An ISO time; one without a zone is Beijing time."""
    if not isinstance(raw, str) or not raw:
        return None
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
