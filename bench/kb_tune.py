"""Fit the fusion of the ranking signals on the TRAIN query set only (a grid search), then show the
chosen setting once on the dev set.  The locked test set is never read here.

    .venv/bin/python bench/kb_tune.py            # prints the best settings; copy them into RankingParams

Objective on train: hit@3 + MRR@10 (both over the same judged results as bench/kb_quality.py). The best
eight settings are printed; settings within 0.01 of the best are ties, decided by hand toward the simplest
(the fewest signals). The dev line shows the top setting.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_quality import SETS, Judge, evaluate, load_queries  # noqa: E402

from knowledge_base.index import InMemoryStore  # noqa: E402
from knowledge_base.search import KnowledgeBase, RankingParams  # noqa: E402
from knowledge_base.sources import all_passages, load_articles  # noqa: E402

GRID = {
    "question_weight": (0.5, 0.7, 1.0, 1.4, 2.0, 3.0),
    "character_weight": (0.0, 0.5, 1.0, 1.5, 2.5, 4.0, 6.0),
    "cite_boost": (0.3, 0.6, 1.0),
}


def main() -> int:
    passages = all_passages(load_articles())
    store = InMemoryStore.from_passages(passages)
    judge = Judge(passages)
    train = load_queries(SETS["train"])
    dev = load_queries(SETS["dev"])
    base = KnowledgeBase(store)
    base.warm()
    results = []
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        params = replace(RankingParams(), **dict(zip(keys, values, strict=True)))
        kb = KnowledgeBase(store, params, questions=base.questions)
        kb._index = base.index()  # the same passages and questions: only the fusion differs
        r = evaluate("", lambda q: [h.id for h in kb.search(q, 10)], train, judge)  # noqa: B023
        results.append((r["hit@3"] + r["mrr@10"], r, params, dict(zip(keys, values, strict=True))))
    results.sort(key=lambda x: -x[0])
    print(f"train: {len(train)} queries; {len(results)} settings")
    for _, r, _, setting in results[:8]:
        print(f"  hit@1 {r['hit@1']:.3f} hit@3 {r['hit@3']:.3f} MRR {r['mrr@10']:.3f}  {setting}")
    _, _, params, setting = results[0]
    kb = KnowledgeBase(store, params, questions=base.questions)
    d = evaluate("", lambda q: [h.id for h in kb.search(q, 10)], dev, judge)
    print(f"chosen {setting}: dev hit@1 {d['hit@1']:.3f} hit@3 {d['hit@3']:.3f} MRR {d['mrr@10']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
