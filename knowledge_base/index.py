"""Indexing and scoring: analysed passages, the store protocol, BM25F.

Stores keep passages and their analysed tokens; all ranking happens in the library
(``ranker.RankIndex``), so it is identical on SQLite, PostgreSQL and the in-memory store used by tests
and benchmarks.

Store protocol (``PassageStore``), two read-only methods:

* ``entries() -> [PassageTerms]``: every passage's id, type, superseded flag, categories, citations and
  analysed tokens per field — what the ranking index is built from, once per content generation;
* ``get(ids) -> [StoredPassage]``: the passages with these ids, in full (unknown ids skipped): only
  the few shown are fetched.

A ``StoredPassage`` carries its analysed tokens per field (``title``, ``tags``, ``body``): the
output of ``knowledge_base.analysis.analyze``, which the database stores at import time
(``StoredPassage.to_row()`` / ``from_row()`` give a flat, JSON-able row with space-joined tokens).

Scoring is BM25F (Robertson, Zaragoza & Taylor 2004, "Simple BM25 extension to multiple weighted
fields"): per query term t with weight q_t,

    tf~(t, p) = Σ_f  w_f · tf_f(t, p) / (1 − b_f + b_f · len_f(p) / avglen_f)
    score(p)  = Σ_t  q_t · idf(t) · tf~ · (k1 + 1) / (k1 + tf~)
    idf(t)    = ln(1 + (N − df + 0.5) / (df + 0.5))

k1 = 1.2 (term-frequency saturation: the 3rd occurrence adds little), b_body = 0.75 (standard length
normalisation: long directory files and scripts do not win by length), b_title = 0.3 and b_tags = 0
(titles and tag lists are short and their length says little).  Field weights: title 3, tags 2,
body 1 — a script's title is the caller's question and its tags are how callers say it.
``bm25f`` scores one passage (the reference the ranking index is tested against).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple, Protocol, runtime_checkable

from .analysis import analyze
from .sources import Passage

FIELDS = ("title", "tags", "body")


class PassageTerms(NamedTuple):
    """What ranking needs of a passage: its analysed tokens, and title + text for the character signal
    (the ranking index keeps neither text; the few passages shown are fetched with ``get``)."""

    id: str
    type: str
    superseded: bool
    categories: tuple[str, ...]
    cites: tuple[str, ...]
    tokens: Mapping[str, tuple[str, ...]]
    title: str = ""
    text: str = ""


class CorpusStats(NamedTuple):
    n: int
    avg_len: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class StoredPassage:
    """A passage as a store keeps it: display data plus analysed tokens per field."""

    id: str
    title: str
    text: str
    source: str
    type: str
    tokens: Mapping[str, tuple[str, ...]] = field(compare=False)
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()
    superseded: bool = False
    effective: str | None = None  # ISO date

    def field_len(self, name: str) -> int:
        return len(self.tokens.get(name, ()))

    def terms(self) -> frozenset[str]:
        return _passage_terms(self)

    def entry(self) -> PassageTerms:
        return PassageTerms(self.id, self.type, self.superseded, self.categories, self.cites, self.tokens,
                            self.title, self.text)

    def to_row(self) -> dict:
        """Flat row for a database: lists as lists, tokens as space-joined strings (``tokens_title`` …)."""
        row = {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "type": self.type,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "cites": list(self.cites),
            "superseded": self.superseded,
            "effective": self.effective,
        }
        for name in FIELDS:
            row[f"tokens_{name}"] = " ".join(self.tokens.get(name, ()))
        return row

    @classmethod
    def from_row(cls, row: Mapping) -> StoredPassage:
        tokens = {name: tuple((row.get(f"tokens_{name}") or "").split()) for name in FIELDS}
        return cls(
            id=row["id"],
            title=row["title"],
            text=row["text"],
            source=row.get("source") or "",
            type=row.get("type") or "law",
            tokens=tokens,
            categories=tuple(row.get("categories") or ()),
            tags=tuple(row.get("tags") or ()),
            cites=tuple(row.get("cites") or ()),
            superseded=bool(row.get("superseded")),
            effective=row.get("effective"),
        )


@lru_cache(maxsize=8192)
def _passage_terms(passage: StoredPassage) -> frozenset[str]:
    """Every token of a passage's fields (highlighting asks for it on every hit; passages recur)."""
    return frozenset(t for name in FIELDS for t in passage.tokens.get(name, ()))


@runtime_checkable
class PassageStore(Protocol):
    def entries(self) -> list[PassageTerms]: ...

    def get(self, ids: Sequence[str]) -> list[StoredPassage]: ...


_CODE_SPAN = re.compile(r"`[^`]*`")
_MD_MARK = re.compile(r"^\s*(?:#{1,6}\s*|[-*]\s+|\d+\.\s+)", re.MULTILINE)


def index_text(p: Passage | StoredPassage) -> dict[str, str]:
    """The text of each field before analysis.  Markdown marks and `code` spans (citation ids in the
    scripts' 依据 lists) are left out of the body; the title and tags are as written."""
    body = p.text
    if p.type in ("script", "directory"):
        body = _MD_MARK.sub("", _CODE_SPAN.sub(" ", body))
    return {"title": p.title, "tags": " ".join(p.tags), "body": body}


def index_passage(p: Passage) -> StoredPassage:
    """Analyse a passage for storage (what ``hotline kb import`` writes to the database)."""
    fields = index_text(p)
    return StoredPassage(
        id=p.id,
        title=p.title,
        text=p.text,
        source=p.source,
        type=p.type,
        tokens={name: tuple(analyze(fields[name])) for name in FIELDS},
        categories=p.categories,
        tags=p.tags,
        cites=p.cites,
        superseded=p.superseded,
        effective=p.effective.isoformat() if p.effective else None,
    )


def reanalyze(sp: StoredPassage) -> StoredPassage:
    """The same passage with its tokens computed again (after the text analysis changed)."""
    fields = index_text(sp)
    return replace(sp, tokens={name: tuple(analyze(fields[name])) for name in FIELDS})


def index_passages(passages: Iterable[Passage]) -> list[StoredPassage]:
    return [index_passage(p) for p in passages]


def idf(n: int, df: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Bm25Params:
    k1: float = 1.2
    field_weights: Mapping[str, float] = field(default_factory=lambda: {"title": 3.0, "tags": 2.0, "body": 1.0})
    field_b: Mapping[str, float] = field(default_factory=lambda: {"title": 0.3, "tags": 0.0, "body": 0.75})


def bm25f(
    query: Sequence[tuple[str, float]],
    passage: StoredPassage,
    stats: CorpusStats,
    dfs: Mapping[str, int],
    params: Bm25Params | None = None,
) -> tuple[float, dict[str, float]]:
    """BM25F score of ``passage`` for weighted query terms, and each matched term's contribution."""
    params = params or Bm25Params()
    counts = {name: Counter(passage.tokens.get(name, ())) for name in FIELDS}
    norms = {}
    for name in FIELDS:
        avg = stats.avg_len.get(name) or 1.0
        b = params.field_b.get(name, 0.75)
        norms[name] = 1.0 - b + b * (passage.field_len(name) / avg)
    total = 0.0
    contributions: dict[str, float] = {}
    for term, weight in query:
        df = dfs.get(term, 0)
        if df <= 0:
            continue
        tf = 0.0
        for name in FIELDS:
            c = counts[name].get(term)
            if c:
                tf += params.field_weights.get(name, 1.0) * c / norms[name]
        if tf <= 0:
            continue
        part = weight * idf(stats.n, df) * tf * (params.k1 + 1.0) / (params.k1 + tf)
        contributions[term] = part
        total += part
    return total, contributions


class InMemoryStore:
    """The reference ``PassageStore``: everything in a dictionary (tests, benchmarks, the CLI without a DB)."""

    def __init__(self, passages: Iterable[StoredPassage]):
        self._passages: dict[str, StoredPassage] = {}
        for sp in passages:
            if sp.id in self._passages:
                raise ValueError(f"duplicate passage id {sp.id!r}")
            self._passages[sp.id] = sp

    @classmethod
    def from_passages(cls, passages: Iterable[Passage]) -> InMemoryStore:
        return cls(index_passages(passages))

    def __len__(self) -> int:
        return len(self._passages)

    def all(self) -> list[StoredPassage]:
        return list(self._passages.values())

    def stats(self) -> CorpusStats:
        """Passage count and mean tokens per field (``bm25f``'s corpus statistics)."""
        n = len(self._passages)
        return CorpusStats(
            n=n,
            avg_len={name: (sum(p.field_len(name) for p in self._passages.values()) / n if n else 0.0) for name in FIELDS},
        )

    def entries(self) -> list[PassageTerms]:
        return [sp.entry() for sp in self._passages.values()]

    def get(self, ids: Sequence[str]) -> list[StoredPassage]:
        return [self._passages[i] for i in ids if i in self._passages]
