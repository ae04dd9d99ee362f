"""Query → ranked hits; related knowledge for a ticket; suggestions for typos and empty results.

Ranking (all in the library, whatever the store; ``ranker.RankIndex`` holds the signals):

1. the query is analysed and expanded with synonyms (``analysis.expand_query``);
2. every passage gets its BM25F score (``index.bm25f``), the BM25 score of its best-matching similar
   question (相似问法) and the BM25 score of the Chinese character pairs it shares with the query; the
   fused score is ``bm25f + question_weight · question + character_weight · characters``, for
   passages that match a query word themselves or through a question;
   meaning is blended in (``_blend``): ``(1 - semantic_weight) · score / best score + semantic_weight ·
   meaning``, the meaning being the passage's best similar question's (or script title's) cosine with the
   query (``semantic``), rescaled over the ``semantic_pool`` best; a query that matches no word at all
   keeps its empty result;
3. a superseded passage's score is multiplied by ``superseded_factor`` (0.5): the 2020 minors law
   is word for word the 2024 text for most articles, so the current article always ranks first;
4. cited-authority propagation, for eligibility questions only (算不算 / 是指 / 认定 …, see
   ``is_eligibility_question``): an answer script lists the passages it rests on, its first
   citation being its main authority.  That passage receives ``cite_boost`` (0.6) × the script's
   score from each of the ``cite_top`` (5) best scripts, if it matches the query itself, so the
   definition the matching scripts rest on is shown first and the scripts follow;
5. the shown passages and the passages they cite are fetched from the store (one call): a script's
   hit carries its authorities in full (``Hit.cites``).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .analysis import expand_query, normalize, segment, stopwords, synonym_vocabulary, user_terms
from .index import Bm25Params, InMemoryStore, PassageStore, StoredPassage
from .questions import similar_questions
from .ranker import RankIndex, Signals
from .semantic import SemanticEncoder, shipped_encoder
from .snippets import Snippet, make_snippet
from .sources import all_passages, load_articles


@dataclass(frozen=True, slots=True)
class Cited:
    """A passage an answer script rests on, in full."""

    id: str
    title: str
    text: str

    def to_contract(self) -> dict:
        return {"id": self.id, "title": self.title, "text": self.text}


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    title: str
    snippet: str  # with 【】 around matched terms
    text: str  # the passage in full
    score: float
    source: str
    type: str = ""
    snippet_plain: str = ""
    highlights: tuple[tuple[int, int], ...] = ()  # offsets into snippet_plain
    categories: tuple[str, ...] = ()
    superseded: bool = False
    cites: tuple[Cited, ...] = ()  # an answer script's authorities, in its citation order (none for a passage)

    def to_contract(self) -> dict:
        """The ``hotline kb search --json`` item: id, title, snippet, text, score, source, cites."""
        return {
            "id": self.id,
            "title": self.title,
            "snippet": self.snippet,
            "text": self.text,
            "score": round(self.score, 4),
            "source": self.source,
            "cites": [c.to_contract() for c in self.cites],
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    query: str
    corrected_query: str | None = None  # set when a typo was corrected and the corrected query was searched
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RankingParams:
    bm25: Bm25Params = field(default_factory=Bm25Params)
    # fusion: the BM25F score plus the weighted best-question and character-pair BM25 scores.  The
    # weights were chosen by bench/kb_tune.py on the train query set only (2026-12-04).
    question_weight: float = 1.4
    character_weight: float = 2.5
    superseded_factor: float = 0.5
    cite_boost: float = 0.6
    cite_top: int = 5  # scripts whose citations propagate: the best few only
    cite_depth: int = 1  # a script's first citation is its main authority; only it receives the bonus
    cite_scope: str = "eligibility"  # "eligibility": only for 算不算 / 是指 / 认定 questions; "all"; "none"
    expand: bool = True  # synonym expansion (False = the "no synonyms" baseline)
    related_terms: int = 16  # salient terms taken from a ticket
    related_script_boost: float = 1.3
    related_category_boost: float = 1.3
    few_hits: int = 3  # fewer hits than this → also offer suggestions
    # semantic blend (``semantic``): (1 - w) · score / best score + w · the passage's meaning score, rescaled
    # so the best of ``semantic_pool`` passages is 1 and the pool's last 0.  Chosen on train2 (2026-12-05).
    semantic_weight: float = 0.3
    semantic_pool: int = 30


_DEFAULT = object()


class KnowledgeBase:
    """Search over a ``PassageStore``; the same ranking on every store."""

    def __init__(
        self,
        store: PassageStore,
        params: RankingParams | None = None,
        questions: Mapping[str, Sequence[str]] | None | object = _DEFAULT,
        encoder: SemanticEncoder | None | object = _DEFAULT,
    ):
        self.store = store
        self.params = params or RankingParams()
        self.questions = similar_questions() if questions is _DEFAULT else (questions or {})
        self._encoder = encoder  # the shipped map is read with the first index (62 ms), not here
        self._index: RankIndex | None = None
        self._vocab: dict[str, int] | None = None
        self._masks: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_content(
        cls,
        content_dir: Path | str | None = None,
        sources_dir: Path | str | None = None,
        params: RankingParams | None = None,
        questions: Mapping[str, Sequence[str]] | None | object = _DEFAULT,
    ) -> KnowledgeBase:
        """An in-memory knowledge base over ``load_articles(content_dir, sources_dir)``; ``questions``
        replaces the shipped similar questions."""
        store = InMemoryStore.from_passages(all_passages(load_articles(content_dir, sources_dir)))
        return cls(store, params, questions)

    def refresh(self) -> None:
        """Forget the ranking index and cached vocabulary (call after the store's content changed)."""
        with self._lock:
            self._index = None
            self._vocab = None
            self._masks = None

    @property
    def is_warm(self) -> bool:
        return self._index is not None and self._masks is not None

    def warm(self) -> None:
        """Build the ranking index and the typo-correction index now (about 2 s on the real corpus)
        rather than inside the first search."""
        self.index()
        self._correction_index()

    def index(self) -> RankIndex:
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    encoder = None
                    if self.params.semantic_weight > 0:
                        encoder = shipped_encoder() if self._encoder is _DEFAULT else self._encoder
                    self._index = RankIndex(self.store.entries(), self.params.bm25, self.questions, encoder)
                index = self._index
        return index

    # ---------------------------------------------------------------- search

    def search(self, query: str, limit: int = 10, category: str | None = None) -> list[Hit]:
        return self.query(query, limit=limit, category=category).hits

    def query(self, query: str, limit: int = 10, category: str | None = None) -> SearchResult:
        """Search, correcting an obvious typo first (留示儿童 → 留守儿童) and suggesting terms when little is found."""
        corrected = self._corrected(query)
        if corrected and corrected != normalize(query):
            # the corrected words are added to the caller's words, never substituted for them
            hits = self._search(f"{corrected} {query}", limit, category)
            if hits:
                return SearchResult(hits, query, corrected, self._correction_terms(query))
        hits = self._search(query, limit, category)
        suggestions = self.suggest(query) if len(hits) < min(self.params.few_hits, limit) else []
        return SearchResult(hits, query, None, suggestions)

    def _search(self, query: str, limit: int, category: str | None) -> list[Hit]:
        terms = expand_query(query, expand=self.params.expand)
        scope = self.params.cite_scope
        propagate = scope == "all" or (scope == "eligibility" and is_eligibility_question(query))
        ranked, marks = self._rank(terms, category, limit, propagate=propagate, text=query)
        return self._hits(ranked, marks)

    def signals(self, terms: Sequence[tuple[str, float]], text: str | None = None) -> Signals:
        """The per-passage signals for weighted terms and the query as typed (tuning, diagnostics)."""
        return self.index().score(terms, text if self.params.character_weight > 0 else None)

    def fuse(self, signals: Signals) -> np.ndarray:
        """One score per passage; 0 for a passage that matches no query word itself or through one of
        its similar questions (character pairs alone only reorder)."""
        p = self.params
        fused = signals.lexical + p.question_weight * signals.questions + p.character_weight * signals.characters
        return np.where((signals.lexical > 0) | (signals.questions > 0), fused, 0.0)

    def _rank(
        self,
        terms: Sequence[tuple[str, float]],
        category: str | None,
        limit: int,
        type_boost: dict[str, float] | None = None,
        category_boost: tuple[str, float] | None = None,
        propagate: bool = False,
        text: str | None = None,
    ) -> tuple[list[tuple[int, float]], dict[str, float]]:
        """Ranked (row, score) pairs and the weight × idf of each live term (for highlighting);
        ``text`` is the query as typed (character signal)."""
        if not terms or limit <= 0:
            return [], {}
        p = self.params
        index = self.index()
        live = [(t, w) for t, w in terms if index.doc_freq(t) > 0]
        marks = {t: w * index.term_idf(t) for t, w in live}
        scores = self.fuse(self.signals(terms, text))
        if text and p.semantic_weight > 0:
            scores = self._blend(scores, index.semantic(text))
        if p.superseded_factor != 1.0:
            scores = np.where(index.superseded, scores * p.superseded_factor, scores)
        for type_, boost in (type_boost or {}).items():
            scores = np.where(index.type_mask(type_), scores * boost, scores)
        if category_boost:
            scores = np.where(index.category_mask(category_boost[0]), scores * category_boost[1], scores)
        if category:
            scores = np.where(index.category_mask(category), scores, 0.0)
        if propagate and p.cite_boost > 0:
            scores = self._propagate(scores, index)
        return _top(scores, limit), marks

    def _blend(self, scores: np.ndarray, meaning: np.ndarray | None) -> np.ndarray:
        """Mix the meaning of the query into the lexical ranking.  A query none of whose words the knowledge
        base knows keeps its empty result: the meaning alone would answer nonsense with something."""
        best = scores.max() if scores.size else 0.0
        if meaning is None or best <= 0:
            return scores
        p = self.params
        asked = meaning[meaning > -1.0]  # passages with questions (a partition over 100k ties is slow)
        pool = min(p.semantic_pool, asked.size)
        top = np.partition(asked, asked.size - pool)[asked.size - pool:]
        lo, hi = top.min(), top.max()
        scaled = np.clip((meaning - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(meaning)
        return (1.0 - p.semantic_weight) * scores / best + p.semantic_weight * scaled

    def _propagate(self, scores: np.ndarray, index: RankIndex) -> np.ndarray:
        p = self.params
        scripts = [
            i for i in _top(scores, 4 * p.cite_top) if index.types[i[0]] == "script" and index.cites[i[0]]
        ][: p.cite_top]
        if not scripts:
            return scores
        out = scores.copy()
        for row, score in scripts:
            for rank, cited in enumerate(index.cites[row][: p.cite_depth], start=1):
                j = index.row.get(cited)
                if j is not None and scores[j] > 0:  # only passages that match the query themselves
                    out[j] += p.cite_boost * score / rank * (p.superseded_factor if index.superseded[j] else 1.0)
        return out

    def _hits(self, ranked: list[tuple[int, float]], marks: dict[str, float]) -> list[Hit]:
        """Hits for ranked rows: the shown passages and the passages they cite, in one fetch."""
        index = self.index()
        shown = [index.ids[row] for row, _ in ranked]
        wanted = list(dict.fromkeys(shown + [c for row, _ in ranked for c in index.cites[row]]))
        passages = {sp.id: sp for sp in self.store.get(wanted)}
        hits = []
        for row, score in ranked:
            sp = passages.get(index.ids[row])
            if sp is not None:
                cited = tuple(Cited(c.id, c.title, c.text) for c in (passages.get(pid) for pid in sp.cites) if c)
                hits.append(self._hit(sp, score, marks, cited))
        return hits

    def _hit(self, sp: StoredPassage, score: float, marks: dict[str, float], cited: tuple[Cited, ...] = ()) -> Hit:
        own = sp.terms()
        snip: Snippet = make_snippet(sp.text, {t: w for t, w in marks.items() if t in own})
        return Hit(
            id=sp.id,
            title=sp.title,
            snippet=snip.marked,
            text=sp.text,
            score=score,
            source=sp.source,
            type=sp.type,
            snippet_plain=snip.text,
            highlights=snip.highlights,
            categories=sp.categories,
            superseded=sp.superseded,
            cites=cited,
        )

    # ---------------------------------------------------------------- related knowledge

    def related(self, ticket_text: str, category: str | None = None, limit: int = 5) -> list[Hit]:
        """What an operator most likely needs for a ticket: its most salient terms (tf·idf, with
        synonyms), scripts boosted, passages of the predicted ``category`` boosted (not filtered)."""
        p = self.params
        terms = expand_query(ticket_text, expand=p.expand)
        if not terms:
            return []
        index = self.index()
        counts: dict[str, int] = {}
        for t, w in terms:
            if w >= 1.0:
                counts[t] = counts.get(t, 0) + 1
        salience = {
            t: w * index.term_idf(t) * (1.0 + math.log(counts.get(t, 1)))
            for t, w in terms
            if index.doc_freq(t) > 0
        }
        top = sorted(salience, key=lambda t: (-salience[t], t))[: p.related_terms]
        chosen = [(t, w) for t, w in terms if t in top]
        boost = (category, p.related_category_boost) if category else None
        ranked, marks = self._rank(chosen, None, limit, {"script": p.related_script_boost}, boost)
        return self._hits(ranked, marks)

    # ---------------------------------------------------------------- suggestions

    def vocabulary(self) -> dict[str, int]:
        """Known terms with document frequency: the indexed terms, plus the domain dictionary and the
        synonym table (df 0 when the corpus lacks them)."""
        if self._vocab is None:
            index = self.index()
            vocab = {t: int(index.df[j]) for t, j in index.vocab.items() if index.df[j] > 0}
            for term in user_terms() | synonym_vocabulary():
                vocab.setdefault(term, 0)
            self._vocab = vocab
        return self._vocab

    def _correction_index(self) -> dict[str, list[str]]:
        """Masked forms of the correction targets: 留?儿童 → [留守儿童].

        Targets are conservative: domain-dictionary words that occur in the corpus, and corpus words
        of 4+ characters found in at least 3 passages (never the synonym table's colloquial phrases)."""
        if self._masks is None:
            vocab = self.vocabulary()
            domain = user_terms()
            masks: dict[str, list[str]] = {}
            for term, df in vocab.items():
                if not 3 <= len(term) <= 8 or not _all_cjk(term) or df < 1:
                    continue
                if not (term in domain or (len(term) >= 4 and df >= 3)):
                    continue
                for i in range(len(term)):
                    masks.setdefault(term[:i] + "\0" + term[i + 1 :], []).append(term)
            self._masks = masks
        return self._masks

    def _corrections(self, query: str) -> list[tuple[int, int, str]]:
        """Likely typos: a span of 3+ characters, not a known term, one character away from a domain
        term, aligned with the query's word boundaries, where the differing character sits in a "broken" word — a single character jieba left on
        its own, or a word the corpus (almost) never uses, df ≤ 2 (a mistyped character breaks the word it belongs to:
        留示儿童 → 留 / 示 / 儿童; 人身安全保户令 → 人身安全 / 保户 / 令).  Substitutions only; longest spans first."""
        norm = normalize(query)
        vocab = self.vocabulary()
        stop = stopwords()
        suspicious: set[int] = set()
        starts, ends = {0, len(norm)}, {0, len(norm)}
        pos = 0
        for word in segment(norm):
            at = norm.find(word, pos)
            if at < 0:
                continue
            pos = at + len(word)
            starts.add(at)
            ends.add(at + len(word))
            if not _all_cjk(word) or word in stop:
                continue
            if len(word) == 1 or vocab.get(word, 0) <= 2:
                suspicious.update(range(at, at + len(word)))
        if not suspicious:
            return []
        masks = self._correction_index()
        taken: set[int] = set()
        out: list[tuple[int, int, str]] = []
        for length in range(8, 2, -1):
            for start in range(0, len(norm) - length + 1):
                span = norm[start : start + length]
                if not _all_cjk(span) or span in vocab or any(i in taken for i in range(start, start + length)):
                    continue
                if start not in starts or start + length not in ends:
                    continue  # the span must not cut a word of the query in two
                if length == 3 and not _whole_chunk(norm, start, start + length):
                    continue  # 3-character fixes only for a term typed on its own (too risky inside a sentence)
                options: list[str] = []
                for i in range(length):
                    if start + i in suspicious:
                        options.extend(masks.get(span[:i] + "\0" + span[i + 1 :], ()))
                if options:
                    best = max(sorted(set(options)), key=lambda t: vocab.get(t, 0))
                    out.append((start, start + length, best))
                    taken.update(range(start, start + length))
        return sorted(out)

    def _corrected(self, query: str) -> str | None:
        fixes = self._corrections(query)
        if not fixes:
            return None
        norm = normalize(query)
        out, pos = [], 0
        for start, end, term in fixes:
            out.append(norm[pos:start])
            out.append(term)
            pos = end
        out.append(norm[pos:])
        return "".join(out)

    def _correction_terms(self, query: str) -> list[str]:
        return [t for _, _, t in self._corrections(query)]

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Closest known terms for a query that found nothing or little.

        In order, stopping at the first step that finds something: typo corrections (留示儿童 →
        留守儿童); known terms at edit distance 1 from a word the corpus does not know (including runs
        of single characters, "留 示" → 留示 → 留守); known terms sharing most characters with it."""
        fixes = list(dict.fromkeys(self._correction_terms(query)))
        if fixes:
            return fixes[:limit]
        vocab = self.vocabulary()
        stop = stopwords()
        seg = segment(query)
        unknown = [w for w in seg if len(w) >= 2 and _all_cjk(w) and w not in stop and vocab.get(w, 0) == 0]
        singles = "".join(w if len(w) == 1 and _all_cjk(w) and w not in stop else " " for w in seg)
        unknown += [s for s in singles.split() if len(s) >= 2]
        known = [t for t, df in vocab.items() if df > 0 and _all_cjk(t) and 2 <= len(t) <= 8]
        out: list[str] = []
        for word in unknown:
            close = [t for t in known if abs(len(t) - len(word)) <= 1 and _edit_distance(word, t) <= 1]
            close.sort(key=lambda t: (-vocab.get(t, 0), t))
            out.extend(close[:3])
        if not out:
            for word in unknown:
                chars = set(word)
                scored = []
                for t in known:
                    common = len(chars & set(t))
                    if common >= max(1, len(word) - 1) and t != word:
                        scored.append((common / len(set(t) | chars), vocab.get(t, 0), t))
                scored.sort(key=lambda x: (-x[0], -x[1], x[2]))
                out.extend(t for _, _, t in scored[:3])
        return list(dict.fromkeys(out))[:limit]


_ELIGIBILITY = re.compile(
    r"算不算|算不\b|能算|算是|算哪|算啥|算什么|算.{0,14}?(?:吗|么|不)(?:\s|$)|属不属于|属于.{0,14}?(?:吗|么)|"
    r"是不是.{0,10}?(?:儿童|孤儿)|什么是|啥是|什么叫|啥叫|什么意思|啥意思|怎么认定|如何认定|咋认定|咋定|"
    r"认定|定义|是什么|指哪些|包括哪些|分几种|分几类|哪几种|哪几类|符合.{0,8}?条件"
)


def _top(scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The best ``limit`` rows with a positive score, best first, ties by row (passage order)."""
    rows = np.flatnonzero(scores > 0)
    if rows.size > limit:
        rows = rows[np.argpartition(-scores[rows], limit - 1)[:limit]]
    order = rows[np.lexsort((rows, -scores[rows]))]
    return [(int(i), float(scores[i])) for i in order]


def is_eligibility_question(query: str) -> bool:
    """Does the caller ask whether a child counts as / what a term means (算不算, 是指, 认定, 定义)?
    For these the authoritative definition is quoted first; for how-to questions the script is."""
    return bool(_ELIGIBILITY.search(normalize(query)))


def _whole_chunk(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _all_cjk(before) and not _all_cjk(after)


def _all_cjk(text: str) -> bool:
    return bool(text) and all("\u3400" <= ch <= "\u9fff" for ch in text)


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
