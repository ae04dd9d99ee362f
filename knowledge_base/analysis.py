"""Search's analyser, shared by indexing and querying; built on the project's one text analysis
(``classifier.text``: normalisation, segmenter, domain dictionary, stopwords).

``analyze(text)`` is THE tokeniser: the store keeps its output per field and a query goes through the
same function, so the two always agree.  Steps: ``normalize`` (NFKC, lower case, noise removed), jieba
search mode (``cut_for_search``: a long word also yields its dictionary sub-words, e.g. 留守儿童 →
留守 / 儿童 / 留守儿童) with the domain dictionary, plus the 4-character dictionary sub-words of
words of 5+ characters (监护困境儿童 → 困境儿童) that jieba's search mode skips; stopwords, single
characters and punctuation are dropped.

Synonyms are applied at QUERY time only (``expand_query``):

* the table changes as reviewers add how callers speak; query-time expansion takes effect at once,
  while index-time expansion would need every database re-imported after each edit;
* expanded terms get a lower weight than the caller's own words, so a passage that uses the
  caller's exact words still wins; index-time expansion cannot weight per query;
* the index stays a faithful image of the text, so highlighting and the BM25 statistics (document
  frequencies, lengths) describe the real documents and are identical on SQLite and PostgreSQL.

The table maps colloquial phrases to document vocabulary (坐牢 → 服刑在押); phrases are matched as
substrings of the normalised query because jieba often splits colloquial phrases ("进去了").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from classifier.text import fingerprint as text_fingerprint
from classifier.text import normalize, segmenter, user_terms
from classifier.text import stopwords as _stopwords
from classifier.yamlfile import parse_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
SYNONYMS_PATH = DATA_DIR / "synonyms.yaml"

DEFAULT_EXPANSION_WEIGHT = 0.6

_TOKEN = re.compile(r"^[0-9a-z\u3400-\u9fff]+$")  # letters, digits, CJK only: safe to store space-joined and to quote in FTS
_CJK = re.compile(r"[\u3400-\u9fff]")

__all__ = ["analyze", "expand_query", "index_fingerprint", "normalize", "segment", "stopwords", "user_terms"]


#: bump when ``analyze`` itself changes what it emits
ANALYZER_VERSION = 2


def index_fingerprint() -> str:
    """Identifies what ``analyze`` emits: stored tokens analysed under another fingerprint are stale."""
    return f"{ANALYZER_VERSION}:{text_fingerprint()}"


def stopwords() -> frozenset[str]:
    """What search drops (the shared list's common and search sections)."""
    return _stopwords("search")


def _keep(token: str, stop: frozenset[str]) -> bool:
    if len(token) < 2 or token in stop:
        return False
    return bool(_TOKEN.match(token))


def analyze(text: str) -> list[str]:
    """Deterministic tokens of ``text`` for indexing and querying (repetitions kept: they are term frequencies)."""
    text = normalize(text)
    if not text:
        return []
    seg = segmenter()
    stop = stopwords()
    out: list[str] = []
    for word in seg.cut_for_search(text):
        word = word.strip()
        if not word:
            continue
        if len(word) >= 5 and _CJK.search(word):
            for i in range(len(word) - 3):
                sub = word[i : i + 4]
                if seg.has_word(sub) and _keep(sub, stop):
                    out.append(sub)
        if _keep(word, stop):
            out.append(word)
    return out


_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


def char_bigrams(text: str) -> list[str]:
    """Overlapping pairs of Chinese characters of the normalised text (偷看日记 → 偷看 / 看日 / 日记).

    Independent of word segmentation: a caller's phrase that jieba cuts differently from the
    document's still shares its character pairs (the ``characters`` signal of ``ranker``)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(normalize(text)):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def segment(text: str) -> list[str]:
    """Plain jieba segmentation without new-word discovery (used to spot typos: a mistyped character
    breaks a word into single characters)."""
    return [w for w in segmenter().cut(normalize(text), hmm=False) if w.strip()]


# --------------------------------------------------------------------------------------------
# synonyms


@dataclass(frozen=True, slots=True)
class SynonymRule:
    phrases: tuple[str, ...]  # how callers say it (normalised)
    targets: tuple[str, ...]  # how documents say it
    weight: float = DEFAULT_EXPANSION_WEIGHT


def load_synonyms(path: Path | str = SYNONYMS_PATH) -> tuple[SynonymRule, ...]:
    data = parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
    rules = []
    for entry in data.get("synonyms") or []:
        phrases = tuple(normalize(str(p)) for p in entry.get("from") or () if str(p).strip())
        targets = tuple(normalize(str(t)) for t in entry.get("to") or () if str(t).strip())
        if phrases and targets:
            rules.append(SynonymRule(phrases, targets, float(entry.get("weight", DEFAULT_EXPANSION_WEIGHT))))
    return tuple(rules)


@lru_cache(maxsize=1)
def default_synonyms() -> tuple[SynonymRule, ...]:
    return load_synonyms()


@lru_cache(maxsize=4096)
def _target_tokens(target: str) -> tuple[str, ...]:
    """A synonym target as whole words (precise mode, no search-mode fragments): 服刑人员 adds
    服刑人员, not 人员.  The index holds whole words too (search mode keeps the full word)."""
    stop = stopwords()
    words = [w.strip() for w in segmenter().cut(normalize(target), hmm=False)]
    return tuple(dict.fromkeys(w for w in words if _keep(w, stop)))


class _PhraseIndex:
    """The table's phrases without 了, found in a text by their first two characters: one dictionary lookup
    per position of the text instead of one substring search per phrase of the table."""

    def __init__(self, rules: Iterable[SynonymRule]) -> None:
        self.rules = tuple(rules)
        #: first two characters -> (bare phrase, rule number, phrase number, phrase)
        self.by_head: dict[str, list[tuple[str, int, int, str]]] = {}
        self.short: list[tuple[str, int, int, str]] = []  # bare phrases under two characters
        for r, rule in enumerate(self.rules):
            for k, phrase in enumerate(rule.phrases):
                bare = phrase.replace("了", "")
                entry = (bare, r, k, phrase)
                if len(bare) < 2:
                    self.short.append(entry)
                else:
                    self.by_head.setdefault(bare[:2], []).append(entry)

    def matched(self, bare_text: str) -> list[tuple[SynonymRule, str]]:
        """Each rule with a phrase in ``bare_text``, in table order, with its first such phrase."""
        first: dict[int, tuple[int, str]] = {}

        def found(r: int, k: int, phrase: str) -> None:
            if r not in first or k < first[r][0]:
                first[r] = (k, phrase)

        for i in range(len(bare_text) - 1):
            for bare, r, k, phrase in self.by_head.get(bare_text[i : i + 2], ()):
                if bare_text.startswith(bare, i):
                    found(r, k, phrase)
        for bare, r, k, phrase in self.short:
            if bare in bare_text:
                found(r, k, phrase)
        return [(self.rules[r], first[r][1]) for r in sorted(first)]


@lru_cache(maxsize=1)
def _default_phrase_index() -> _PhraseIndex:
    return _PhraseIndex(default_synonyms())


def matched_rules(text: str, rules: Iterable[SynonymRule] | None = None) -> list[tuple[SynonymRule, str]]:
    """Rules whose phrase occurs in ``text`` (normalised; 了 is ignored on both sides), with the phrase that matched."""
    # "走丢了" and "走丢" both match either way; a phrase found in the text is also found with 了 removed
    # from both, so one test on the bare forms decides
    index = _default_phrase_index() if rules is None else _PhraseIndex(rules)
    return index.matched(normalize(text).replace("了", ""))


def expand_query(text: str, rules: Iterable[SynonymRule] | None = None, expand: bool = True) -> list[tuple[str, float]]:
    """Weighted query terms: the query's own tokens (weight 1.0) then synonym targets (the rule's weight).

    A term reached several ways keeps its highest weight; order is first appearance, so the output
    is deterministic.  ``expand=False`` gives the plain tokens (the "no synonyms" baseline).
    """
    weights: dict[str, float] = {}
    for token in analyze(text):
        weights[token] = 1.0
    if expand:
        for rule, _phrase in matched_rules(text, rules):
            for target in rule.targets:
                for token in _target_tokens(target):
                    if weights.get(token, 0.0) < rule.weight:
                        weights[token] = rule.weight
    return list(weights.items())


def synonym_vocabulary(rules: Iterable[SynonymRule] | None = None) -> set[str]:
    """Every phrase and target of the table (part of the suggestion vocabulary)."""
    out: set[str] = set()
    for rule in default_synonyms() if rules is None else rules:
        out.update(rule.phrases)
        out.update(rule.targets)
    return out
