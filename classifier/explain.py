"""Explanations people can read: the words and phrases of the text that carried a decision.

A linear head's evidence is a list of features with their contribution (value x weight): word 1-2 grams
("打 孩子") and character 1-3 grams ("~喝多"). Shown as they are, they are fragments an operator cannot
read. Here each contribution is spread over the characters of the text it covers, the characters'
weights are summed per word of the text's own segmentation, and adjacent words that both carried
weight are joined into one phrase ("锁在家里"). Every phrase returned is a piece of the text as written
(normalised), never a feature name.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from . import text as _text
from .text import stopwords

#: a feature is a word n-gram unless its name starts with this (see features.feature_names)
CHAR_PREFIX = "~"
MAX_PHRASE = 8


@lru_cache(maxsize=256)
def _spans(norm: str) -> tuple[tuple[str, int, int], ...]:
    """The segmentation of ``norm`` as (word, start, end), in order."""
    out, pos = [], 0
    for word in _text._cut(norm):
        at = norm.find(word, pos)
        if at < 0:
            continue
        out.append((word, at, at + len(word)))
        pos = at + len(word)
    return tuple(out)


@lru_cache(maxsize=4096)
def _is_content(word: str) -> bool:
    return bool(word.strip()) and word not in stopwords("labels") and any(c.isalnum() for c in word)


#: word -> _is_content(word), memoised in a plain dict (cheaper per look-up than lru_cache); bounded
_CONTENT: dict[str, bool] = {}


def _occurrences(text: str, gram: str) -> list[int]:
    out, at = [], text.find(gram)
    while at >= 0:
        out.append(at)
        at = text.find(gram, at + 1)
    return out


class TextEvidence:
    """One normalised text prepared for explanations: its segmentation, its content words and, per
    feature, where the feature lies in the text.  The heads of one prediction share it, so each feature
    is located once per text (:func:`readable` builds a fresh one)."""

    __slots__ = ("norm", "spans", "tokens", "starts", "_where")

    def __init__(self, norm: str):
        self.norm = norm
        self.spans = _spans(norm)
        content = _CONTENT
        tokens = []
        for span in self.spans:
            keep = content.get(span[0])
            if keep is None:
                if len(content) >= 65536:
                    content.clear()
                keep = content[span[0]] = _is_content(span[0])
            if keep:
                tokens.append(span)
        self.tokens = tokens
        self.starts: dict[str, list[int]] = {}
        for k, (w, _, _) in enumerate(tokens):
            at = self.starts.get(w)
            if at is None:
                self.starts[w] = [k]
            else:
                at.append(k)
        self._where: dict[str, tuple[int, int, tuple[tuple[int, int], ...]]] = {}

    def where(self, feature: str) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        """(hits, words per hit or 0 for a character n-gram, the (start, end) segments covered)."""
        found = self._where.get(feature)
        if found is None:
            found = self._where[feature] = self._locate(feature)
        return found

    def _locate(self, feature: str) -> tuple[int, int, tuple[tuple[int, int], ...]]:
        norm = self.norm
        if feature.startswith(CHAR_PREFIX):
            gram = feature[1:]
            if not gram:
                return (0, 0, ())
            n = len(gram)
            at = norm.find(gram)
            if at < 0:
                return (0, 0, ())
            nxt = norm.find(gram, at + 1)
            if nxt < 0:  # the usual case: one occurrence
                return (1, 0, ((at, at + n),))
            hits = [at]
            while nxt >= 0:
                hits.append(nxt)
                nxt = norm.find(gram, nxt + 1)
            return (len(hits), 0, tuple((i, i + n) for i in hits))
        words = feature.split(" ")  # a word n-gram: consecutive tokens of the text (punctuation skipped)
        tokens, n = self.tokens, len(words)
        first = self.starts.get(words[0])
        if not first:
            return (0, n, ())
        if n == 1:
            if len(first) == 1:
                return (1, 1, (tokens[first[0]][1:],))
            return (len(first), 1, tuple(tokens[k][1:] for k in first))
        if n == 2:  # tokens[k] is words[0] for every k in first
            second, last = words[1], len(tokens) - 1
            hits = [k for k in first if k < last and tokens[k + 1][0] == second]
            return (len(hits), 2, tuple(tokens[k + j][1:] for k in hits for j in (0, 1)))
        hits = [k for k in first
                if k + n <= len(tokens) and all(tokens[k + j][0] == w for j, w in enumerate(words))]
        return (len(hits), n, tuple((tokens[k + j][1], tokens[k + j][2]) for k in hits for j in range(n)))

    def readable(self, contributions: Sequence[tuple[str, float]], top: int) -> list[tuple[str, float]]:
        """The ``top`` phrases of the text that carried the positive ``contributions`` (feature, weight)."""
        norm = self.norm
        weight = [0.0] * len(norm)
        known, locate = self._where, self._locate
        # each contribution is spread evenly over its hits, then over the characters each hit covers
        # (the same operations in the same order as ever: the weights do not change by a bit)
        for feature, value in contributions:
            if value <= 0:
                continue
            found = known.get(feature)
            if found is None:
                found = known[feature] = locate(feature)
            hits, words, segments = found
            if not hits:
                continue
            per_hit = value / hits / words if words else value / hits
            for start, end in segments:
                share = per_hit / (end - start)
                for i in range(start, end):
                    weight[i] += share
        # sum(weight[s:e]) is 0 + w[s] + ...: for one character that is w[s] itself (weights are >= 0)
        scored = [(w, s, e, weight[s] if e - s == 1 else sum(weight[s:e])) for w, s, e in self.tokens]
        chosen = sorted((x for x in scored if x[3] > 0), key=lambda x: -x[3])[:top]
        chosen.sort(key=lambda x: x[1])
        phrases: list[tuple[str, float]] = []
        run: list[tuple[str, int, int, float]] = []
        for item in [*chosen, None]:
            if run and (item is None or item[1] != run[-1][2] or item[2] - run[0][1] > MAX_PHRASE):
                phrases.append((norm[run[0][1]:run[-1][2]], round(sum(x[3] for x in run), 4)))
                run = []
            if item is not None:
                run.append(item)
        return sorted(phrases, key=lambda p: -p[1])


def readable(norm: str, contributions: Sequence[tuple[str, float]], top: int) -> list[tuple[str, float]]:
    """The ``top`` phrases of ``norm`` that carried the positive ``contributions`` (feature, weight)."""
    return TextEvidence(norm).readable(contributions, top)
