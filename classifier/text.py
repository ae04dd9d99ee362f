"""Text normalisation and jieba tokenisation.

``normalize`` and ``tokenize`` are plain module-level functions so that fitted scikit-learn pipelines
that reference them can be pickled and loaded anywhere (scikit-learn#9467).  Segmentation runs in a
private jieba tokenizer with the domain user dictionary in ``data/userdict.txt`` (the global ``jieba``
dictionary that other code may use is left alone); when the optional ``rjieba`` package (jieba-rs,
same dictionary and algorithm) is installed it is used instead, see :func:`backend`.
``normalize`` is memoised because the rules and both vectorisers call it on the same text.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba

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
    """Canonical form used by the models and the rules.

    Full-width forms become half-width (NFKC), ASCII is lower-cased, URLs, emoji, repost chains
    ("//@某某:"), @mentions and hashtag marks are removed (hashtag words are kept), phone numbers
    become "电话", and runs of whitespace collapse to one space.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" ", text)
    text = _REPOST.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _REPOST_WORDS.sub(" ", text)
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


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    words = set()
    for line in STOPWORDS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


_lock = threading.Lock()
_cutter = None


def _userdict_entries():
    for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            yield parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


def backend() -> str:
    """The segmenter in use: "rjieba" (jieba-rs, the same dictionary and algorithm, ~15x faster) when it
    is installed, else "jieba".  ``CLASSIFIER_SEGMENTER=jieba`` forces the pure-Python jieba."""
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


def use_segmenter(name: str | None) -> None:
    """Switch the segmenter for this process ("jieba", "rjieba", or None for the default); for
    benchmarks and tests.  Both give the same tokens for >99.5 % of texts (see classifier/README.md)."""
    global _cutter
    with _lock:
        if name is None:
            os.environ.pop("CLASSIFIER_SEGMENTER", None)
        else:
            os.environ["CLASSIFIER_SEGMENTER"] = name
        _cutter = None
    normalize.cache_clear()


def _make_cutter():
    if backend() == "rjieba":
        import rjieba

        seg = rjieba.Jieba()
        for word, freq, tag in _userdict_entries():
            seg.add_word(word, freq, tag)
        return lambda text: seg.cut(text, True)
    tok = jieba.Tokenizer()
    level = jieba.default_logger.level
    jieba.default_logger.setLevel(logging.WARNING)
    try:
        tok.initialize()
        tok.load_userdict(str(USERDICT_PATH))
    finally:
        jieba.default_logger.setLevel(level)
    return lambda text: tok.lcut(text, HMM=True)


def cut(text: str) -> list[str]:
    """Raw segmentation (exact mode, HMM on) with the domain dictionary; no filtering."""
    global _cutter
    if _cutter is None:
        with _lock:
            if _cutter is None:
                _cutter = _make_cutter()
    return _cutter(text)


def tokenize(text: str) -> list[str]:
    """Word tokens of an (already normalised) text: jieba + user dictionary, minus stopwords,
    punctuation and bare numbers (ages such as "8岁" survive as "8岁" or "岁")."""
    drop = _dropped()
    return [t for t in cut(text) if t not in drop and _keep(t)]


@lru_cache(maxsize=1)
def _dropped() -> frozenset[str]:
    return stopwords() | {"", " "}


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
