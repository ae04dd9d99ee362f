"""Snippets: the part of a passage that best shows why it matched, with the matches marked.

The library returns plain text plus match offsets (``Snippet.text`` / ``Snippet.highlights``) and,
for convenience, ``Snippet.marked`` with 【】 around each match (the sources contain no 【】).  No HTML:
the console escapes the text and renders the marks itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

OPEN, CLOSE = "【", "】"
ELLIPSIS = "…"
DEFAULT_WIDTH = 96

_CODE_SPAN = re.compile(r"`[^`]*`")
_HEADING = re.compile(r"^\s*#{1,6}\s.*$", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+", re.MULTILINE)
_BREAK_BEFORE = "。；;！？!?\n"


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) offsets into ``text``

    @property
    def marked(self) -> str:
        out, pos = [], 0
        for start, end in self.highlights:
            out.append(self.text[pos:start])
            out.append(OPEN + self.text[start:end] + CLOSE)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


@lru_cache(maxsize=8192)
def display_text(text: str) -> str:
    """Passage text as one line for snippets: Markdown headings, bullets and `code` spans removed."""
    text = _CODE_SPAN.sub("", text).replace("（）", "").replace("()", "")
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " ".join(lines)


class _FoldTable(dict):
    """str.translate table: each character's NFKC lower-case form, worked out once per character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        for folded in (unicodedata.normalize("NFKC", ch).lower(), ch.lower(), ch):
            if len(folded) == 1:  # one character for one: offsets stay aligned (İ lower-cases to two)
                self[code] = folded
                return folded
        raise AssertionError("unreachable")


_FOLD = _FoldTable()


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Per-character NFKC + lower case, keeping offsets aligned with ``text`` (passages' display texts
    recur on every search: cached like :func:`display_text`)."""
    return text.translate(_FOLD)


def find_matches(text: str, terms: Sequence[str] | Mapping[str, float]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of the terms in ``text`` (longest terms first), sorted by position."""
    folded = _fold(text)
    taken = [False] * len(text)
    found = []
    for term in sorted({t for t in terms if t}, key=lambda t: (-len(t), t)):
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append((start, end, term))
            start = folded.find(term, start + 1)
    found.sort()
    return found


def _best_window(matches: list[tuple[int, int, str]], weights: Mapping[str, float], width: int) -> int:
    """The start of the first window ``[start, start + width)``, starting 12 characters before a match, whose
    distinct terms (matches wholly inside it) weigh the most. Matches are sorted and do not overlap, so their
    ends are sorted too: the matches inside a window are a run that only moves forward (two pointers)."""
    if not matches:
        return 0
    inside: dict[str, int] = {}  # term -> its matches inside the window
    score, best_start, best_score = 0.0, 0, -1.0
    lo = hi = 0
    for s, _e, _t in matches:
        start = max(0, s - 12)
        while hi < len(matches) and matches[hi][1] <= start + width:  # ends sorted: a run from ``lo``
            term = matches[hi][2]
            inside[term] = inside.get(term, 0) + 1
            if inside[term] == 1:
                score += weights.get(term, 1.0)
            hi += 1
        while lo < hi and matches[lo][0] < start:
            term = matches[lo][2]
            inside[term] -= 1
            if inside[term] == 0:
                score -= weights.get(term, 1.0)
            lo += 1
        if score > best_score + 1e-9:  # the first of equal windows, whatever the order of the sums
            best_start, best_score = start, score
    return best_start


def make_snippet(text: str, terms: Sequence[str] | Mapping[str, float], width: int = DEFAULT_WIDTH) -> Snippet:
    """The window of about ``width`` characters that covers the most (weighted, distinct) query terms.

    ``terms`` are analysed query terms (optionally with weights, e.g. weight × idf).  The window
    starts at a sentence boundary when one is close; "…" marks a cut at either end.
    """
    flat = display_text(text)
    weights = dict(terms) if isinstance(terms, Mapping) else dict.fromkeys(terms, 1.0)
    matches = find_matches(flat, weights)
    if len(flat) <= width:
        return Snippet(flat, tuple((s, e) for s, e, _ in matches))
    best_start = _best_window(matches, weights, width)
    # snap back to the start of the sentence if it is near
    for i in range(best_start, max(-1, best_start - 24), -1):
        if i == 0:
            best_start = 0
            break
        if flat[i - 1] in _BREAK_BEFORE:
            best_start = i
            break
    end = min(len(flat), best_start + width)
    body = flat[best_start:end]
    prefix = ELLIPSIS if best_start > 0 else ""
    suffix = ELLIPSIS if end < len(flat) else ""
    shift = len(prefix) - best_start
    highlights = tuple((s + shift, e + shift) for s, e, _ in matches if s >= best_start and e <= end)
    return Snippet(prefix + body + suffix, highlights)
