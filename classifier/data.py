"""Labelled corpus: JSON Lines reader and the fixed held-out split.

Ticket lines: ``{"id","type":"ticket","text","category","kind","urgency","prefecture","county","rule"}``;
sentiment lines: ``{"id","type":"sentiment","title","text","relevant","category","polarity","risk",
"prefecture","county","repost_group"}``.

The split is a pure function of the item: an item is held out when the hash of its group key (the
``repost_group`` when present, else the item id) falls in the lowest ``test_share`` of the hash range.
So the split never changes for an item when the corpus grows, reposts of one story are never on both
sides, and since the hash is independent of the label every category is held out at the same rate
(stratified in expectation; the realised per-category counts go into the model card).
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .schema import Item
from .taxonomy import Taxonomy, load_taxonomy

SPLIT_SALT = "hotline-heldout-v1"
TEST_SHARE = 0.2

TICKET_HEADS = ("category", "kind", "urgency")
SENTIMENT_HEADS = ("relevant", "category", "polarity", "risk")
POLARITIES = ("negative", "neutral", "positive")
RISKS = ("high", "medium", "low")


@dataclass(frozen=True)
class LabelledItem:
    item: Item
    #: gold labels: category, kind, urgency (tickets) / relevant, category, polarity, risk (sentiment),
    #: prefecture, county (both, may be None), agency (optional). Heads missing from the dict are simply not scored/trained.
    labels: dict = field(default_factory=dict)
    group: str | None = None
    source: str = ""

    @property
    def group_key(self) -> str:
        return str(self.group or self.item.id)


@dataclass
class Corpus:
    items: list[LabelledItem]
    problems: list[str]
    sha256: str
    files: list[str]


def _check_labels(rec: dict, tax: Taxonomy) -> str | None:
    """Return a problem description, or None when the record's labels are valid."""
    if rec.get("category") not in tax.categories:
        return f"unknown category {rec.get('category')!r}"
    if rec["type"] == "ticket":
        if rec.get("kind") not in tax.kinds:
            return f"unknown kind {rec.get('kind')!r}"
        if rec.get("urgency") not in tax.urgency:
            return f"unknown urgency {rec.get('urgency')!r}"
    else:
        if not isinstance(rec.get("relevant"), bool):
            return f"relevant not a boolean: {rec.get('relevant')!r}"
        if rec.get("polarity") not in POLARITIES:
            return f"unknown polarity {rec.get('polarity')!r}"
        if rec.get("risk") not in RISKS:
            return f"unknown risk {rec.get('risk')!r}"
    if rec.get("agency") is not None and rec["agency"] not in tax.agencies:
        return f"unknown agency {rec.get('agency')!r}"
    pref, county = rec.get("prefecture"), rec.get("county")
    if pref is not None and pref not in tax.regions:
        return f"unknown prefecture {pref!r}"
    if county is not None and tax.prefecture_of(county) != pref:
        return f"county {county!r} not in prefecture {pref!r}"
    return None


def record_to_labelled(rec: dict, source: str = "") -> LabelledItem:
    typ = rec.get("type", "ticket")
    item = Item(id=str(rec["id"]), text=rec["text"], type=typ, title=rec.get("title"))
    keys = TICKET_HEADS if typ == "ticket" else SENTIMENT_HEADS
    labels = {k: rec[k] for k in keys if k in rec}
    if rec.get("agency"):
        labels["agency"] = rec["agency"]  # the lead agency, when the set labels it (else the category's lead)
    labels["prefecture"] = rec.get("prefecture")
    labels["county"] = rec.get("county")
    return LabelledItem(item, labels, rec.get("repost_group"), source)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files, directories (their ``*.jsonl``) and glob patterns -> sorted list of files."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(p.glob("*.jsonl")))
        elif any(ch in str(p) for ch in "*?["):
            out.extend(Path(x) for x in sorted(glob.glob(str(p))))
        else:
            out.append(p)
    return out


def read_corpus(paths: Iterable[str | Path], taxonomy: Taxonomy | None = None) -> Corpus:
    """Read labelled JSON Lines files.

    Bad records (invalid JSON, missing text, unknown labels, duplicate ids) are skipped and listed in
    ``problems``; an unterminated last line (a file still being written) is ignored silently.
    ``sha256`` covers exactly the bytes that were read, in file order.
    """
    tax = taxonomy or load_taxonomy()
    digest = hashlib.sha256()
    items: list[LabelledItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    files = expand_paths(paths)
    for path in files:
        raw = path.read_bytes()
        if not raw.endswith(b"\n"):
            raw = raw[: raw.rfind(b"\n") + 1]  # drop a partly written last line
        digest.update(path.name.encode() + b"\0" + raw)
        for lineno, line in enumerate(raw.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: invalid JSON ({exc.msg})")
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or "id" not in rec:
                problems.append(f"{where}: not an object with id and text")
                continue
            if rec.get("type", "ticket") not in ("ticket", "sentiment"):
                problems.append(f"{where}: unknown type {rec.get('type')!r}")
                continue
            rec.setdefault("type", "ticket")
            problem = _check_labels(rec, tax)
            if problem:
                problems.append(f"{where}: {problem}")
                continue
            if str(rec["id"]) in seen:
                problems.append(f"{where}: duplicate id {rec['id']}")
                continue
            seen.add(str(rec["id"]))
            items.append(record_to_labelled(rec, path.name))
    return Corpus(items, problems, digest.hexdigest(), [str(f) for f in files])


def split_bucket(key: str) -> float:
    """Position of a group key in [0, 1): a salted SHA-256, stable across runs and machines."""
    h = hashlib.sha256(f"{SPLIT_SALT}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def is_heldout(li: LabelledItem, test_share: float = TEST_SHARE) -> bool:
    return split_bucket(li.group_key) < test_share


def split(
    items: Sequence[LabelledItem], test_share: float = TEST_SHARE
) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(train, held-out) by group hash; see the module docstring."""
    train, test = [], []
    for li in items:
        (test if is_heldout(li, test_share) else train).append(li)
    return train, test
