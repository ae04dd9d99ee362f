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

from .text import cut, stopwords

#: a feature is a word n-gram unless its name starts with this (see features.feature_names)
CHAR_PREFIX = "~"
MAX_PHRASE = 8


@lru_cache(maxsize=256)
def _spans(norm: str) -> tuple[tuple[str, int, int], ...]:
    """The segmentation of ``norm`` as (word, start, end), in order."""
    out, pos = [], 0
    for word in cut(norm):
        at = norm.find(word, pos)
        if at < 0:
            continue
        out.append((word, at, at + len(word)))
        pos = at + len(word)
    return tuple(out)


@lru_cache(maxsize=4096)
def _is_content(word: str) -> bool:
    return bool(word.strip()) and word not in stopwords("labels") and any(c.isalnum() for c in word)


def _occurrences(text: str, gram: str) -> list[int]:
    out, at = [], text.find(gram)
    while at >= 0:
        out.append(at)
        at = text.find(gram, at + 1)
    return out


def readable(norm: str, contributions: Sequence[tuple[str, float]], top: int) -> list[tuple[str, float]]:
    """The ``top`` phrases of ``norm`` that carried the positive ``contributions`` (feature, weight)."""
    weight = [0.0] * len(norm)
    spans = _spans(norm)
    tokens = [(w, s, e) for w, s, e in spans if _is_content(w)]
    starts: dict[str, list[int]] = {}
    for k, (w, _, _) in enumerate(tokens):
        starts.setdefault(w, []).append(k)

    def spread(start: int, end: int, value: float) -> None:
        share = value / (end - start)
        for i in range(start, end):
            weight[i] += share

    for feature, value in contributions:
        if value <= 0:
            continue
        if feature.startswith(CHAR_PREFIX):
            gram = feature[len(CHAR_PREFIX):]
            hits = _occurrences(norm, gram) if gram else []
            for i in hits:
                spread(i, i + len(gram), value / len(hits))
            continue
        words = feature.split(" ")  # a word n-gram: consecutive tokens of the text (punctuation skipped)
        hits = [k for k in starts.get(words[0], ())
                if k + len(words) <= len(tokens) and all(tokens[k + j][0] == w for j, w in enumerate(words))]
        for k in hits:
            for j in range(len(words)):
                _, s, e = tokens[k + j]
                spread(s, e, value / len(hits) / len(words))
    scored = [(w, s, e, sum(weight[s:e])) for w, s, e in spans]
    chosen = sorted((x for x in scored if x[3] > 0 and _is_content(x[0])), key=lambda x: -x[3])[:top]
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
