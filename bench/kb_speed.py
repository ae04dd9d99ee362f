"""Knowledge-base speed: query latency p50/p95 with the full ranking (synonyms, BM25F, similar questions,
the distilled semantic signal, fusion, snippets, cited passages) at the real corpus and at 10k and 100k passages, through the same
DbPassageStore the app uses, beside two baselines measured in the same run on the same passages:

  FTS5   SQLite FTS5 over the same jieba tokens, ``MATCH 'a OR b …' ORDER BY bm25()`` (ids only, no snippets)
  bm25s  the bm25s library (sparse matrices) over the same tokens (ids only)

    python bench/kb_speed.py                                   # SQLite only
    python bench/kb_speed.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench
    python bench/kb_speed.py --sizes real,10000                # skip 100k

Scale-up is synthetic: the real passages repeated with new ids and their body words shuffled.  Also
printed: the time to build the ranking index (once per content generation and process) and its memory.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import text

from hotline.db import Database
from hotline.knowledge.content import bump_generation, replace_passages
from hotline.knowledge.models import KbArticle
from hotline.knowledge.store import DbPassageStore
from hotline.migrate import upgrade
from knowledge_base import KnowledgeBase, StoredPassage, all_passages, analyze, index_passage, load_articles
from knowledge_base.index import FIELDS
from knowledge_base.ranker import memory_bytes

EVAL = Path(__file__).resolve().parents[1] / "knowledge_base" / "data" / "eval"


def scaled(base: list[StoredPassage], size: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(size):
        p = base[i % len(base)]
        row = p.to_row()
        if i >= len(base):
            words = row["tokens_body"].split()
            rng.shuffle(words)
            row.update(id=f"{p.id}~{i}", tokens_body=" ".join(words))
        row.update(article_id="bench", ordinal=i)
        rows.append(row)
    return rows


def build(db: Database, rows: list[dict]) -> float:
    """Store the rows as one article through the same code the app uses for imports and edits."""
    t0 = time.perf_counter()
    with db.transaction() as s:
        if s.get(KbArticle, "bench") is None:
            s.add(KbArticle(id="bench", title="bench", type="law", updated_by="bench"))
            s.flush()
        replace_passages(s, "bench", rows)
        bump_generation(s)
    return time.perf_counter() - t0


def timed(run, queries: list[str], rounds: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            run(q)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def tokens(row: dict) -> list[str]:
    return " ".join(row[f"tokens_{f}"] for f in FIELDS).split()


class Fts5:
    def __init__(self, rows: list[dict]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, body)")
        self.db.executemany("INSERT INTO t VALUES (?, ?)", [(r["id"], " ".join(tokens(r))) for r in rows])

    def search(self, query: str) -> list[str]:
        terms = list(dict.fromkeys(analyze(query)))
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        return [r[0] for r in self.db.execute("SELECT id FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 10", (match,))]


class Bm25s:
    def __init__(self, rows: list[dict]) -> None:
        import bm25s

        self.ids = [r["id"] for r in rows]
        self.vocab: dict[str, int] = {}
        ids = [[self.vocab.setdefault(t, len(self.vocab)) for t in tokens(r)] for r in rows]
        self.index = bm25s.BM25()
        self.index.index(bm25s.tokenization.Tokenized(ids=ids, vocab=self.vocab), show_progress=False)

    def search(self, query: str) -> list[str]:
        q = [t for t in analyze(query) if t in self.vocab]
        if not q:
            return []
        docs, _ = self.index.retrieve([q], k=min(10, len(self.ids)), show_progress=False, n_threads=1)
        return [self.ids[i] for i in docs[0]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres")
    parser.add_argument("--sizes", default="real,10000,100000")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = [index_passage(p) for p in all_passages(load_articles())]
    queries = [q["query"] for name in ("train", "dev") for q in yaml.safe_load((EVAL / f"{name}.yaml").read_text(encoding="utf-8"))["queries"]]
    print(f"{len(queries)} queries (train + dev sets) × {args.rounds} rounds; latency in ms")
    print(f"{'store':<11}{'passages':>9}{'index s':>9}{'index MB':>9}{'ours p50':>9}{'p95':>7}"
          f"{'FTS5 p50':>9}{'p95':>7}{'bm25s p50':>10}{'p95':>7}{'p95 ours/FTS5':>14}")
    backends = [("sqlite", None)] + ([("postgresql", args.postgres)] if args.postgres else [])
    for name, url in backends:
        tmp = tempfile.mkdtemp(prefix="kb-bench-")
        db = Database(url or f"sqlite:///{tmp}/kb.db")
        if url:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(db.engine)
        for size in args.sizes.split(","):
            n = len(base) if size == "real" else int(size)
            rows = scaled(base, n)
            build(db, rows)
            store = DbPassageStore(db)
            kb = KnowledgeBase(store)
            store.sync()
            t0 = time.perf_counter()
            kb.warm()
            index_s = time.perf_counter() - t0
            kb.search("预热", limit=10)
            ours = timed(lambda q: kb.search(q, limit=10), queries, args.rounds)  # noqa: B023
            fts, b25 = Fts5(rows), Bm25s(rows)
            f = timed(fts.search, queries, args.rounds)
            b = timed(b25.search, queries, args.rounds)
            mb = memory_bytes(kb.index()) / 1e6
            print(f"{name:<11}{n:>9d}{index_s:>9.1f}{mb:>9.0f}{pct(ours, 50):>9.1f}{pct(ours, 95):>7.1f}"
                  f"{pct(f, 50):>9.1f}{pct(f, 95):>7.1f}{pct(b, 50):>10.2f}{pct(b, 95):>7.2f}{pct(ours, 95) / pct(f, 95):>14.2f}")
        if url:  # leave the benchmark database empty again
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.dispose()


if __name__ == "__main__":
    main()
