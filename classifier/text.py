"""The hotline's Chinese text analysis, shared by the classifier and knowledge-base search.

One home for: normalisation (:func:`normalize`), the segmenter with the domain dictionary
(:func:`segmenter`, ``data/userdict.txt``), the domain vocabulary (:func:`user_terms`) and the
stopwords (:func:`stopwords`, ``data/stopwords.txt``). What each consumer builds on top stays with it:
the classifier's word tokens and character n-grams here below, search's analyser in
``knowledge_base.analysis``.

``normalize``, ``tokenize`` and ``char_ngrams`` are plain module-level functions so that fitted
scikit-learn pipelines that reference them can be pickled and loaded anywhere (scikit-learn#9467).
Segmentation uses ``rjieba`` (jieba-rs: jieba's dictionary and algorithm, about 15x faster) when it is
installed, else a private ``jieba.Tokenizer`` (the global jieba state is left alone); see
:func:`backend`. ``normalize`` is memoised because the rules and both vectorisers call it on the same text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

DATA_DIR = Path(__file__).with_name("data")
USERDICT_PATH = DATA_DIR / "userdict.txt"
STOPWORDS_PATH = DATA_DIR / "stopwords.txt"

_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]*", re.IGNORECASE)
# repost chains and mentions: "//@某某:" "//@某某 :" "@某某 " (NFKC has already turned "：" into ":")
_REPOST = re.compile(r"//\s*@[^:\s/]{1,30}\s*:?|//+")
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_REPOST_WORDS = re.compile(r"转发微博|【转】|\[转\]|转帖|原文:")
# "#话题#" (Weibo) and "#话题 " (Douyin / WeChat): keep the words, drop the marks
_HASHTAG = re.compile(r"#([^#\s]{1,40})#|#(\S{1,40})")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U00002b00-\U00002bff\U0000fe00-\U0000fe0f"
    "\U0000200d\U000020e3\U0001f1e6-\U0001f1ff\U0000231a-\U0000231b\U000023e9-\U000023fa]+"
)
_MASKED_PHONE = re.compile(r"\d{3}[*xX×]{3,5}\d{3,4}|1[3-9]\d{9}")
_SPACE = re.compile(r"\s+")
_WORDCHAR = re.compile(r"[\w\u4e00-\u9fff]")


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """The canonical form every analysis starts from.

    Full-width forms become half-width (NFKC), ASCII is lower-cased, URLs, emoji, repost chains
    ("//@某某:"), @mentions and hashtag marks are removed (hashtag words are kept), phone numbers
    become "电话", and runs of whitespace collapse to one space.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    # each substitution is skipped when a string every match contains is absent (same result, faster)
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    if "//" in text:
        text = _REPOST.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "转" in text or "原文:" in text:
        text = _REPOST_WORDS.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(lambda m: f" {m.group(1) or m.group(2)} ", text)
    text = _EMOJI.sub(" ", text)
    text = _MASKED_PHONE.sub(" 电话 ", text)
    text = text.lower()
    return _SPACE.sub(" ", text).strip()


def item_text(text: str, title: str | None = None) -> str:
    """The text a model sees for an item: the title (if any) and the body."""
    if title and title.strip():
        return f"{title.strip()}。{text}"
    return text


# -- stopwords and the domain vocabulary ---------------------------------------------------------

StopwordPurpose = Literal["labels", "search"]


@lru_cache(maxsize=1)
def _stopword_sections() -> dict[str, frozenset[str]]:
    sections: dict[str, set[str]] = {}
    current = None
    for line in STOPWORDS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
            continue
        if current is None:
            raise ValueError(f"{STOPWORDS_PATH}: words before the first [section]")
        current.update(normalize(w) for w in line.split())
    return {name: frozenset(words) for name, words in sections.items()}


@lru_cache(maxsize=2)
def stopwords(purpose: StopwordPurpose = "labels") -> frozenset[str]:
    """Words dropped for the classifier's labels (``labels``) or for search (``search``); see the file."""
    sections = _stopword_sections()
    return sections["common"] | sections[purpose]


def _userdict_entries() -> Iterator[tuple[str, int | None, str | None]]:
    for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            yield parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


@lru_cache(maxsize=1)
def user_terms() -> frozenset[str]:
    """The domain dictionary's words, normalised (also the core of search's suggestion vocabulary)."""
    return frozenset(normalize(word) for word, _, _ in _userdict_entries())


@lru_cache(maxsize=1)
def _base_frequencies() -> dict[str, int]:
    import importlib.resources

    freq: dict[str, int] = {}
    with (importlib.resources.files("jieba") / "dict.txt").open("r", encoding="utf-8") as fh:
        for line in fh:
            word, count, *_ = line.split(" ")
            freq[word] = int(count)
    return freq


def word_frequency(word: str) -> int:
    """How common a word is in general Chinese (jieba's dictionary count; 0 for words it does not know,
    such as place names, people's names and coinages). Loaded on first use (about 0.7 s)."""
    return _base_frequencies().get(word, 0)


# -- the segmenter -----------------------------------------------------------------------------


class Segmenter(Protocol):
    name: str

    def cut(self, text: str, hmm: bool = True) -> list[str]: ...

    def cut_for_search(self, text: str, hmm: bool = True) -> list[str]: ...

    def has_word(self, word: str) -> bool: ...


class _RustSegmenter:
    name = "rjieba"

    def __init__(self) -> None:
        import rjieba

        self._seg = rjieba.Jieba()
        for word, freq, tag in _userdict_entries():
            self._seg.add_word(word, freq, tag)

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        return self._seg.cut(text, hmm)

    def cut_for_search(self, text: str, hmm: bool = True) -> list[str]:
        return self._seg.cut_for_search(text, hmm)

    def has_word(self, word: str) -> bool:
        return self._seg.has_word(word)


class _PythonSegmenter:
    name = "jieba"

    def __init__(self) -> None:
        import jieba

        self._tok = jieba.Tokenizer()
        level = jieba.default_logger.level
        jieba.default_logger.setLevel(logging.WARNING)
        try:
            self._tok.initialize()
            self._tok.load_userdict(str(USERDICT_PATH))
        finally:
            jieba.default_logger.setLevel(level)

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        return self._tok.lcut(text, HMM=hmm)

    def cut_for_search(self, text: str, hmm: bool = True) -> list[str]:
        return self._tok.lcut_for_search(text, HMM=hmm)

    def has_word(self, word: str) -> bool:
        return bool(self._tok.FREQ.get(word))


def backend() -> str:
    """The segmenter in use: "rjieba" when it is installed, else "jieba"; ``CLASSIFIER_SEGMENTER=jieba``
    forces the pure-Python one."""
    choice = os.environ.get("CLASSIFIER_SEGMENTER", "auto")
    if choice in ("auto", "rjieba"):
        try:
            import rjieba  # noqa: F401
        except ImportError:
            if choice == "rjieba":
                raise
        else:
            return "rjieba"
    return "jieba"


_lock = threading.Lock()
_segmenter: Segmenter | None = None


def segmenter() -> Segmenter:
    """The process's segmenter with the domain dictionary (built on first use, about 0.1 s with rjieba)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                _segmenter = _RustSegmenter() if backend() == "rjieba" else _PythonSegmenter()
    return _segmenter


def use_segmenter(name: str | None) -> None:
    """Switch the segmenter for this process ("jieba", "rjieba", or None for the default); for
    benchmarks and tests. Both give the same tokens for >99.5 % of texts (see classifier/README.md)."""
    global _segmenter
    with _lock:
        if name is None:
            os.environ.pop("CLASSIFIER_SEGMENTER", None)
        else:
            os.environ["CLASSIFIER_SEGMENTER"] = name
        _segmenter = None
    normalize.cache_clear()
    _cut.cache_clear()
    _tokens.cache_clear()


def fingerprint() -> str:
    """Changes whenever the analysis could give other tokens: the dictionary, the stopwords, the
    segmenter. Stored token indexes (the knowledge base's) are rebuilt when it differs."""
    digest = hashlib.sha256(backend().encode())
    for path in (USERDICT_PATH, STOPWORDS_PATH):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# -- the classifier's analysers ------------------------------------------------------------------


def cut(text: str) -> list[str]:
    """Raw segmentation (exact mode, HMM on) with the domain dictionary; no filtering."""
    return segmenter().cut(text)


@lru_cache(maxsize=4096)
def _cut(text: str) -> tuple[str, ...]:
    # cached: the word features and the explanation of one prediction segment the same text
    return tuple(segmenter().cut(text))


def tokenize(text: str) -> list[str]:
    """Word tokens of an (already normalised) text for the labels: segmented, minus stopwords,
    punctuation and bare numbers (ages such as "8岁" survive as "8岁" or "岁")."""
    return list(_tokens(text))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    # cached: the classifier and the story fingerprint of one sentiment batch segment the same texts
    drop = _dropped()
    return tuple(t for t in _cut(text) if t not in drop and _keep(t))


@lru_cache(maxsize=1)
def _dropped() -> frozenset[str]:
    return stopwords("labels") | {"", " "}


@lru_cache(maxsize=65536)
def _keep(token: str) -> bool:
    return bool(token.strip()) and token == token.strip() and bool(_WORDCHAR.search(token)) and not token.isdigit()


def char_ngrams(text: str, lo: int = 1, hi: int = 3) -> list[str]:
    """Character n-grams (lo..hi) of the normalised text; the analyser of the char TF-IDF part."""
    text = normalize(text)
    n = len(text)
    out: list[str] = []
    for k in range(lo, hi + 1):
        out += [text[i : i + k] for i in range(n - k + 1)]
    return out


def split_spaces(text: str) -> list[str]:
    """Tokenizer for pre-tokenised text (tokens separated by spaces), e.g. the Teddy 2020 data."""
    return text.split()


def unspace(text: str) -> str:
    """Preprocessor for char n-grams over pre-tokenised text: drop the separating spaces."""
    return text.replace(" ", "")
