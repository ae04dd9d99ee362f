"""Knowledge-base search quality: hit@1, hit@3 and MRR@10 on the operator query set.

    .venv/bin/python bench/kb_quality.py                 # the three systems, one table
    .venv/bin/python bench/kb_quality.py --misses        # also list the queries (a) misses at 3
    .venv/bin/python bench/kb_quality.py --queries knowledge_base/data/queries.yaml   # one set only
    .venv/bin/python bench/kb_quality.py --json bench/results/kb_quality.json

Systems, all over the same passages (knowledge_base/content, loaded once):
  (a) ours      synonym expansion + BM25F (title / tag boosts) + superseded penalty + citation propagation
  (b) like      plain SQLite LIKE in a temporary in-memory database: the query split into jieba words
                (stopwords and single characters dropped), ranked by how many words occur in title + text
  (c) no-syn    (a) without synonym expansion (same analyser, fields, weights and propagation)

A query is a hit at k when any of its expected ids is among the first k results; MRR@10 uses the
first expected id found in the top 10.  Query sets: knowledge_base/data/queries.yaml (written
before tuning, then used for it) and knowledge_base/data/queries_holdout.yaml (written after tuning,
never tuned on); each gets its own table.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge_base.analysis import segment, stopwords  # noqa: E402
from knowledge_base.index import InMemoryStore  # noqa: E402
from knowledge_base.search import KnowledgeBase, RankingParams  # noqa: E402
from knowledge_base.sources import all_passages, load_articles  # noqa: E402

QUERIES = ROOT / "knowledge_base" / "data" / "queries.yaml"
HOLDOUT = ROOT / "knowledge_base" / "data" / "queries_holdout.yaml"
K = 10


def load_queries(path: Path = QUERIES) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]


class LikeBaseline:
    """Plain SQLite LIKE over the same passages."""

    def __init__(self, passages) -> None:  # noqa: ANN001
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE TABLE passages (id TEXT PRIMARY KEY, title TEXT, text TEXT)")
        self.db.executemany("INSERT INTO passages VALUES (?, ?, ?)", [(p.id, p.title, p.text) for p in passages])

    def search(self, query: str, limit: int = K) -> list[str]:
        stop = stopwords()
        words = list(dict.fromkeys(w for w in segment(query) if len(w) >= 2 and w not in stop and any(c.isalnum() for c in w)))
        if not words:
            return []
        matched = " + ".join("((title || ' ' || text) LIKE ?)" for _ in words)
        sql = f"SELECT id, {matched} AS m FROM passages WHERE m > 0 ORDER BY m DESC, length(text), id LIMIT ?"
        rows = self.db.execute(sql, [f"%{w}%" for w in words] + [limit]).fetchall()
        return [r[0] for r in rows]


def evaluate(name: str, run: Callable[[str], list[str]], queries: list[dict]) -> dict:
    h1 = h3 = 0
    rr: list[float] = []
    misses = []
    per_target: dict[str, list[int]] = {}
    times = []
    for q in queries:
        t0 = time.perf_counter()
        ids = run(q["query"])[:K]
        times.append(time.perf_counter() - t0)
        expected = set(q["expected"])
        rank = next((i + 1 for i, pid in enumerate(ids) if pid in expected), None)
        h1 += rank == 1
        h3 += rank is not None and rank <= 3
        rr.append(1.0 / rank if rank else 0.0)
        per_target.setdefault(q.get("target", "?"), []).append(int(rank is not None and rank <= 3))
        if rank is None or rank > 3:
            misses.append({"id": q["id"], "query": q["query"], "rank": rank, "expected": q["expected"], "got": ids[:3]})
    n = len(queries)
    return {
        "system": name,
        "queries": n,
        "hit@1": h1 / n,
        "hit@3": h3 / n,
        "mrr@10": sum(rr) / n,
        "hit@3_by_target": {t: f"{sum(v)}/{len(v)}" for t, v in sorted(per_target.items())},
        "median_ms": 1000 * statistics.median(times),
        "misses": misses,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=Path, action="append", help="query file (repeatable); default: both sets")
    ap.add_argument("--misses", action="store_true", help="list the queries system (a) misses at 3")
    ap.add_argument("--json", type=Path, help="write the full results here")
    args = ap.parse_args()

    t0 = time.perf_counter()
    passages = all_passages(load_articles())
    store = InMemoryStore.from_passages(passages)
    build_s = time.perf_counter() - t0
    ours = KnowledgeBase(store)
    nosyn = KnowledgeBase(store, RankingParams(expand=False))
    like = LikeBaseline(passages)
    print(f"{len(passages)} passages (load + index {build_s:.1f} s)")

    report = {}
    for path in args.queries or [QUERIES, HOLDOUT]:
        queries = load_queries(path)
        results = [
            evaluate("(a) ours", lambda q: [h.id for h in ours.search(q, K)], queries),
            evaluate("(b) sqlite LIKE", like.search, queries),
            evaluate("(c) BM25F, no synonyms", lambda q: [h.id for h in nosyn.search(q, K)], queries),
        ]
        report[path.name] = results
        print(f"\n{path.name}: {len(queries)} queries")
        print(f"{'system':<26}{'hit@1':>8}{'hit@3':>8}{'MRR@10':>8}{'ms/q':>8}  hit@3 by target")
        for r in results:
            print(f"{r['system']:<26}{r['hit@1']:>8.3f}{r['hit@3']:>8.3f}{r['mrr@10']:>8.3f}{r['median_ms']:>8.1f}  {r['hit@3_by_target']}")
        if args.misses:
            print("misses of (a) at 3:")
            for m in results[0]["misses"]:
                print(f"  {m['id']} rank={m['rank']} {m['query']}  expected={m['expected'][:3]} got={m['got']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
