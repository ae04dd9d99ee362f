"""The knowledge_base library's PassageStore over our database: the database finds candidates (FTS5 on
SQLite, tsvector on PostgreSQL), the library ranks them from the stored tokens — identically on both.

Statistics, vocabulary, each term's posting list (what the full-text index returned for it) and
fetched passages are cached per process and dropped when ``kb_meta.generation`` changes (every import
and edit bumps it), so every worker sees an edit on its next search.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

from sqlalchemy import select, text

from hotline.db import Database
from hotline.knowledge.models import KbMeta, KbPassage, KbTerm
from knowledge_base import CorpusStats, StoredPassage
from knowledge_base.index import idf

_TERM = re.compile(r"^\w+$")
#: a term found in more passages than this does not select candidates (it still counts in ranking)
MAX_POSTINGS = 5000
#: cache bounds (ids held in posting lists, passages held) per process
POSTING_CACHE_IDS = 2_000_000
PASSAGE_CACHE = 20_000
_COLUMNS = [c.name for c in KbPassage.__table__.columns]


class DbPassageStore:
    def __init__(self, db: Database) -> None:
        self.db = db  # reads only, through Database.connect(readonly=True): deferred BEGIN on SQLite
        self.sqlite = db.is_sqlite
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._stats: CorpusStats | None = None
        self._vocab: dict[str, int] | None = None
        self._postings: dict[str, tuple[str, ...]] = {}
        self._posting_size = 0
        self._passages: dict[str, StoredPassage] = {}

    # -- cache ------------------------------------------------------------------------------------
    def generation(self) -> str:
        with self.db.connect(readonly=True) as conn:
            return conn.scalar(select(KbMeta.value).where(KbMeta.key == "generation")) or "0"

    def sync(self) -> bool:
        """Drop cached statistics when the content changed; True when it did."""
        current = self.generation()
        with self._lock:
            if current == self._generation:
                return False
            self._generation, self._stats, self._vocab = current, None, None
            self._postings, self._posting_size, self._passages = {}, 0, {}
            return True

    # -- PassageStore protocol --------------------------------------------------------------------
    def stats(self) -> CorpusStats:
        if self._stats is None:
            with self.db.connect(readonly=True) as conn:
                rows = conn.execute(select(KbPassage.tokens_title, KbPassage.tokens_tags, KbPassage.tokens_body)).all()
            n = len(rows)
            lengths = {"title": 0, "tags": 0, "body": 0}
            for title, tags, body in rows:
                lengths["title"] += len(title.split())
                lengths["tags"] += len(tags.split())
                lengths["body"] += len(body.split())
            self._stats = CorpusStats(n, {k: (v / n if n else 0.0) for k, v in lengths.items()})
        return self._stats

    def doc_freq(self, terms: Iterable[str]) -> dict[str, int]:
        vocabulary = self.vocabulary()  # kb_terms, cached per generation
        return {t: vocabulary.get(t, 0) for t in dict.fromkeys(terms)}

    def candidates(self, terms: Sequence[str], limit: int, category: str | None = None) -> list[StoredPassage]:
        """The same preselection as the library's in-memory store (sum of idf of the matched terms,
        ties by id), computed from one full-text lookup per term; terms in more than
        ``MAX_POSTINGS`` passages are too common to select candidates (they still count in ranking)."""
        usable = [t for t in dict.fromkeys(terms) if _TERM.match(t)]
        dfs = self.doc_freq(usable)
        n = self.stats().n
        score: dict[str, float] = {}
        for term in usable:
            df = dfs.get(term, 0)
            if not 0 < df <= MAX_POSTINGS:
                continue
            weight = idf(n, df)
            for pid in self._posting(term):
                score[pid] = score.get(pid, 0.0) + weight
        ranked = sorted(score, key=lambda pid: (-score[pid], pid))
        if not category:
            return self.get(ranked[:limit])
        out: list[StoredPassage] = []
        for start in range(0, len(ranked), limit * 4):
            out.extend(p for p in self.get(ranked[start : start + limit * 4]) if category in p.categories)
            if len(out) >= limit:
                break
        return out[:limit]

    def _posting(self, term: str) -> tuple[str, ...]:
        """The passages containing ``term``, from the full-text index (FTS5 / tsvector), cached."""
        cached = self._postings.get(term)
        if cached is not None:
            return cached
        if self.sqlite:
            sql, param = "SELECT passage_id FROM kb_fts WHERE kb_fts MATCH :q", f'"{term}"'
        else:
            sql, param = "SELECT id FROM kb_passages WHERE tsv @@ to_tsquery('simple', :q)", term
        with self.db.connect(readonly=True) as conn:
            ids = tuple(conn.execute(text(sql), {"q": param}).scalars())
        if self._posting_size + len(ids) > POSTING_CACHE_IDS:
            self._postings, self._posting_size = {}, 0
        self._postings[term] = ids
        self._posting_size += len(ids)
        return ids

    def get(self, ids: Sequence[str]) -> list[StoredPassage]:
        missing = [i for i in dict.fromkeys(ids) if i not in self._passages]
        if missing:
            with self.db.connect(readonly=True) as conn:
                rows = conn.execute(select(KbPassage.__table__).where(KbPassage.id.in_(missing))).mappings().all()
            if len(self._passages) + len(rows) > PASSAGE_CACHE:
                self._passages = {}
            for row in rows:
                self._passages[row["id"]] = StoredPassage.from_row(row)
        return [self._passages[i] for i in ids if i in self._passages]

    def vocabulary(self) -> dict[str, int]:
        if self._vocab is None:
            with self.db.connect(readonly=True) as conn:
                self._vocab = dict(conn.execute(select(KbTerm.term, KbTerm.df)).all())
        return self._vocab
