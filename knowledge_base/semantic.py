"""A semantic signal distilled from a multilingual sentence encoder into one linear map.

Callers describe a situation in words that neither the documents nor the similar questions (相似问法)
use.  A pretrained sentence encoder (multilingual-e5-small) places such phrasings near each other, but
it costs 13–20 ms of CPU per query here, four times the search's whole latency budget.  So it is
distilled offline (``knowledge_base.distill``): a ridge regression from a text's bag of words and
character 1–2-grams to a 64-dimensional projection of the encoder's query embedding, fitted on the
similar questions, the ticket corpus and the passages' sentences (never on an evaluation query).  At
run time encoding a text is a sparse sum of rows of ``coef``: microseconds, numpy only, no model file
from a hub.

``SemanticEncoder.encode`` gives L2-normalised vectors, so a dot product is a cosine.  The ranking
index encodes every similar question once (``ranker.RankIndex``) and a passage's semantic score is its
best question's cosine with the query; ``search.KnowledgeBase`` blends it with the lexical ranking.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .analysis import DATA_DIR, analyze

if TYPE_CHECKING:
    import scipy.sparse as sp

ENCODER_PATH = DATA_DIR / "semantic_encoder.npz"
_SPACES = re.compile(r"\s+")


def char_grams(text: str) -> list[str]:
    """Characters and character pairs of the lower-cased text, runs of white space as one space."""
    s = _SPACES.sub(" ", text.lower())
    return list(s) + [s[i:i + 2] for i in range(len(s) - 1)]


def _part(keys: Sequence[str], vocab: dict[str, int], idf: Sequence[float], offset: int) -> tuple[list[int], list[float]]:
    """One feature family: sublinear tf × idf, L2-normalised, as (column, value) lists (plain Python:
    a text has a few dozen features, too few for numpy to pay)."""
    counts = Counter(k for k in keys if k in vocab)
    if not counts:
        return [], []
    cols = [vocab[k] for k in counts]
    vals = [(1.0 + math.log(c)) * idf[j] for j, c in zip(cols, counts.values(), strict=True)]
    norm = math.sqrt(sum(v * v for v in vals))
    return [offset + j for j in cols], [v / norm for v in vals]


@dataclass(frozen=True)
class Featurizer:
    """Words (``analyze``) and character 1–2-grams, each family tf-idf weighted and L2-normalised."""

    words: dict[str, int]
    word_idf: Sequence[float]
    grams: dict[str, int]
    gram_idf: Sequence[float]

    @property
    def width(self) -> int:
        return len(self.words) + len(self.grams)

    def features(self, text: str) -> tuple[list[int], list[float]]:
        wc, wv = _part(analyze(text), self.words, self.word_idf, 0)
        gc, gv = _part(char_grams(text), self.grams, self.gram_idf, len(self.words))
        return wc + gc, wv + gv

    def matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The features of many texts, one row each (for fitting: scipy stays out of search's imports,
        which ``hotline kb search`` keeps short)."""
        import scipy.sparse as sp

        indptr, cols, vals = [0], [], []
        for t in texts:
            c, v = self.features(t)
            cols += c
            vals += v
            indptr.append(len(cols))
        return sp.csr_matrix((np.asarray(vals, dtype=np.float32), np.asarray(cols, dtype=np.int64), indptr),
                             shape=(len(texts), self.width))

    @classmethod
    def fit(cls, texts: Sequence[str], min_word_df: int = 2, min_gram_df: int = 3) -> Featurizer:
        """Vocabularies and smoothed idf (ln((1 + n) / (1 + df)) + 1) over ``texts``."""
        n = len(texts)
        wdf: Counter = Counter()
        gdf: Counter = Counter()
        for t in texts:
            wdf.update(set(analyze(t)))
            gdf.update(set(char_grams(t)))

        def vocab(df: Counter, floor: int) -> tuple[dict[str, int], list[float]]:
            keys = sorted(k for k, d in df.items() if d >= floor)
            return {k: i for i, k in enumerate(keys)}, [math.log((1 + n) / (1 + df[k])) + 1 for k in keys]

        words, word_idf = vocab(wdf, min_word_df)
        grams, gram_idf = vocab(gdf, min_gram_df)
        return cls(words, word_idf, grams, gram_idf)


class SemanticEncoder:
    """Text → unit vector: ``normalise(features(text) @ coef + intercept)``."""

    def __init__(self, featurizer: Featurizer, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.featurizer = featurizer
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)  # features × dims
        self.intercept = np.asarray(intercept, dtype=np.float32)

    @property
    def dims(self) -> int:
        return int(self.coef.shape[1])

    def encode(self, text: str) -> np.ndarray:
        """One unit vector (zeros for a text with no known feature)."""
        cols, vals = self.featurizer.features(text)
        if not cols:
            return np.zeros(self.dims, dtype=np.float32)
        v = np.asarray(vals, dtype=np.float32) @ self.coef[cols] + self.intercept
        return v / (np.linalg.norm(v) or 1.0)

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.encode(t) for t in texts]) if texts else np.zeros((0, self.dims), dtype=np.float32)

    def save(self, path: Path | str) -> None:
        f = self.featurizer
        np.savez_compressed(
            path,
            words=np.array(sorted(f.words, key=f.words.__getitem__)), word_idf=np.asarray(f.word_idf, dtype=np.float32),
            grams=np.array(sorted(f.grams, key=f.grams.__getitem__)), gram_idf=np.asarray(f.gram_idf, dtype=np.float32),
            coef=self.coef.astype(np.float16), intercept=self.intercept,
        )

    @classmethod
    def load(cls, path: Path | str) -> SemanticEncoder:
        with np.load(path, allow_pickle=False) as z:
            featurizer = Featurizer(
                {str(w): i for i, w in enumerate(z["words"])}, z["word_idf"].astype(np.float64).tolist(),
                {str(g): i for i, g in enumerate(z["grams"])}, z["gram_idf"].astype(np.float64).tolist(),
            )
            return cls(featurizer, z["coef"], z["intercept"])


@lru_cache(maxsize=1)
def shipped_encoder() -> SemanticEncoder | None:
    """The encoder shipped in ``data/`` (None when the file is absent: search runs without the signal)."""
    return SemanticEncoder.load(ENCODER_PATH) if ENCODER_PATH.exists() else None
