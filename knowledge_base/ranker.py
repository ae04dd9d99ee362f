"""The ranking index: every signal search uses, precomputed as arrays, so that a query costs a few
column lookups and one dense product instead of a loop over candidate passages in Python.

Built once per content generation from the store's ``PassageTerms``; every passage is scored (there is
no candidate preselection).  Three signals:

* ``lexical``: BM25F (``index.bm25f``) as a sparse passage × term matrix.  A term's BM25F weight in a
  passage does not depend on the query, so ``Σ_t q_t · W[p, t]`` is exactly ``bm25f``'s score.
* ``questions``: BM25 over the similar questions (相似问法, ``questions.py``), each question its own
  small document; a passage gets the score of its best-matching question.  This is how callers'
  wording reaches a passage whose text uses other words.
* ``characters``: BM25 over the Chinese character pairs of title, text and similar questions
  (``analysis.char_bigrams``): a phrase that word segmentation cuts differently in a caller's words
  and in the document still matches.
``RankIndex.score`` returns the signals; ``search.KnowledgeBase.fuse`` combines them.  A fourth,
``RankIndex.semantic``, is each passage's best similar question by meaning (``semantic``); search blends
it in after the lexical ranking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import analyze, char_bigrams
from .index import FIELDS, Bm25Params, PassageTerms, idf
from .semantic import SemanticEncoder

K1, B = 1.2, 0.75  # plain BM25 for the question and character signals


@dataclass(frozen=True)
class Signals:
    """Per-passage scores for one query, aligned with ``RankIndex.ids``."""

    lexical: np.ndarray
    questions: np.ndarray  # per passage: its best question's score
    characters: np.ndarray


@dataclass(frozen=True)
class Columns:
    """A sparse document × term matrix stored by column (CSC): the rows holding term ``j`` are
    ``indices[indptr[j]:indptr[j + 1]]`` with weights ``data[…]``, rows ascending."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def build(cls, rows: list[int], cols: list[int], vals: list[float], shape: tuple[int, int]) -> Columns:
        r = np.array(rows, dtype=np.int32)  # 4-byte rows and weights: half the memory at 100k passages
        c = np.array(cols, dtype=np.int64)
        order = np.lexsort((r, c))
        indptr = np.zeros(shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=shape[1]), out=indptr[1:])
        return cls(indptr, r[order], np.array(vals, dtype=np.float32)[order], shape)

    def widened(self, width: int) -> Columns:
        """The same matrix with empty columns appended up to ``width`` (terms only another signal knows)."""
        extra = width - self.shape[1]
        if extra <= 0:
            return self
        indptr = np.concatenate([self.indptr, np.full(extra, self.indptr[-1])])
        return Columns(indptr, self.indices, self.data, (self.shape[0], width))

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes


def bm25_columns(docs: Sequence[Counter], vocab: dict[str, int]) -> Columns:
    """Plain BM25 weights of term-count documents (rows) over ``vocab`` (columns; new terms are added)."""
    n = len(docs)
    df: Counter = Counter()
    for d in docs:
        df.update(d.keys())
    avg = (sum(sum(d.values()) for d in docs) / n) if n else 1.0
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        norm = 1.0 - B + B * sum(d.values()) / (avg or 1.0)
        for t, c in d.items():
            x = c / norm
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
            vals.append(idf(n, df[t]) * x * (K1 + 1.0) / (K1 + x))
    return Columns.build(rows, cols, vals, (n, len(vocab)))


def accumulate(m: Columns, vocab: Mapping[str, int], terms, out: np.ndarray) -> None:  # noqa: ANN001
    """out[row] += weight · m[row, term] for weighted terms (column slices)."""
    for term, weight in terms:
        j = vocab.get(term)
        if j is None or j >= m.shape[1]:
            continue
        lo, hi = m.indptr[j], m.indptr[j + 1]
        if hi > lo:
            out[m.indices[lo:hi]] += weight * m.data[lo:hi]


class RankIndex:
    def __init__(
        self,
        entries: Sequence[PassageTerms],
        params: Bm25Params,
        questions: Mapping[str, Sequence[str]] | None = None,
        encoder: SemanticEncoder | None = None,
    ) -> None:
        self.ids: list[str] = [e.id for e in entries]
        self.row: dict[str, int] = {pid: i for i, pid in enumerate(self.ids)}
        n = self.n = len(entries)
        self.types = [e.type for e in entries]
        self.superseded = np.fromiter((e.superseded for e in entries), dtype=bool, count=n)
        self.cites = [tuple(e.cites) for e in entries]
        self._categories: dict[str, np.ndarray] = {}
        self._types: dict[str, np.ndarray] = {}
        for i, e in enumerate(entries):
            for cat in e.categories:
                self._categories.setdefault(cat, np.zeros(n, dtype=bool))[i] = True
            self._types.setdefault(e.type, np.zeros(n, dtype=bool))[i] = True

        # similar questions of the passages this store holds
        owners: list[int] = []
        asked: list[Counter] = []
        by_passage: dict[int, list[str]] = {}
        for pid, qs in (questions or {}).items():
            i = self.row.get(pid)
            if i is None:
                continue
            for q in qs:
                toks = analyze(q)
                if toks:
                    owners.append(i)
                    asked.append(Counter(toks))
                    by_passage.setdefault(i, []).append(q)
        self.question_owner = np.array(owners, dtype=np.int64)
        # semantic: one unit vector per similar question, and per answer script's title (the question it
        # answers, in the writers' words); ``_segments`` groups the rows by passage for a maximum
        self.encoder = encoder
        asks = [(i, q) for i, qs in by_passage.items() for q in qs]
        asks += [(i, e.title) for i, e in enumerate(entries) if e.type == "script" and e.title]
        asks.sort(key=lambda a: a[0])
        self.question_vectors = encoder.encode_many([q for _, q in asks]) if encoder else np.zeros((0, 0), np.float32)
        owner = np.array([i for i, _ in asks], dtype=np.int64)
        starts = np.flatnonzero(np.diff(owner, prepend=-1)) if asks else np.zeros(0, dtype=np.int64)
        self._segments = (starts, owner[starts])

        # lexical: BM25F weights
        counts = [{name: Counter(e.tokens.get(name, ())) for name in FIELDS} for e in entries]
        self.vocab: dict[str, int] = {}
        for per_field in counts:
            for c in per_field.values():
                for t in c:
                    self.vocab.setdefault(t, len(self.vocab))
        df = np.zeros(len(self.vocab), dtype=np.int64)
        for per_field in counts:
            for t in set().union(*per_field.values()):
                df[self.vocab[t]] += 1
        lengths = {name: np.array([sum(c[name].values()) for c in counts], dtype=np.float64) for name in FIELDS}
        norms = {}
        for name in FIELDS:
            avg = lengths[name].mean() if n else 0.0
            b = params.field_b.get(name, 0.75)
            norms[name] = 1.0 - b + b * (lengths[name] / (avg or 1.0))
        term_idf = [idf(n, int(d)) for d in df]
        rows, cols, vals = [], [], []
        for i, per_field in enumerate(counts):
            tf: dict[str, float] = {}
            for name in FIELDS:
                w = params.field_weights.get(name, 1.0) / norms[name][i]
                for t, c in per_field[name].items():
                    tf[t] = tf.get(t, 0.0) + w * c
            for t, x in tf.items():
                j = self.vocab[t]
                rows.append(i)
                cols.append(j)
                vals.append(term_idf[j] * x * (params.k1 + 1.0) / (params.k1 + x))
        lexical = Columns.build(rows, cols, vals, (n, len(self.vocab)))

        self.questions = bm25_columns(asked, self.vocab)  # may add words only questions use
        self.lexical = lexical.widened(len(self.vocab))
        self.df = np.concatenate([df, np.zeros(len(self.vocab) - len(df), dtype=np.int64)])

        # characters: BM25 over character pairs of title, text and questions
        self.gram_vocab: dict[str, int] = {}
        grams = [Counter(char_bigrams("\n".join([e.title, e.text, *by_passage.get(i, ())]))) for i, e in enumerate(entries)]
        self.characters = bm25_columns(grams, self.gram_vocab)

    # ------------------------------------------------------------------------------------------
    def doc_freq(self, term: str) -> int:
        j = self.vocab.get(term)
        return int(self.df[j]) if j is not None else 0

    def term_idf(self, term: str) -> float:
        return idf(self.n, self.doc_freq(term))

    def category_mask(self, category: str) -> np.ndarray:
        return self._categories.get(category, np.zeros(self.n, dtype=bool))

    def type_mask(self, type_: str) -> np.ndarray:
        return self._types.get(type_, np.zeros(self.n, dtype=bool))

    def score(self, terms: Sequence[tuple[str, float]], text: str | None = None) -> Signals:
        """The signals for weighted query terms (unknown terms are ignored); ``text`` (the query as
        typed) feeds the character signal, which stays 0 without it."""
        lexical = np.zeros(self.n)
        accumulate(self.lexical, self.vocab, terms, lexical)
        asked = np.zeros(self.questions.shape[0])
        accumulate(self.questions, self.vocab, terms, asked)
        best = np.zeros(self.n)
        hit = np.flatnonzero(asked)
        if hit.size:
            np.maximum.at(best, self.question_owner[hit], asked[hit])
        characters = np.zeros(self.n)
        if text:
            accumulate(self.characters, self.gram_vocab, Counter(char_bigrams(text)).items(), characters)
        return Signals(lexical, best, characters)

    def semantic(self, text: str) -> np.ndarray | None:
        """Per passage: the cosine between ``text`` and its closest similar question by meaning, -1 for a
        passage without questions; None without an encoder or when the text has no known feature."""
        if self.encoder is None or not self.question_vectors.size:
            return None
        query = self.encoder.encode(text)
        if not query.any():
            return None
        starts, rows = self._segments
        out = np.full(self.n, -1.0)
        out[rows] = np.maximum.reduceat(self.question_vectors @ query, starts)
        return out


def memory_bytes(index: RankIndex) -> int:
    """Approximate memory held by the index's arrays (for the speed benchmark's report)."""
    total = sum(m.nbytes for m in (index.lexical, index.questions, index.characters)) + index.question_vectors.nbytes
    total += index.df.nbytes + index.superseded.nbytes + sum(mask.nbytes for mask in index._categories.values())
    return total
