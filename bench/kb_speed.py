"""Knowledge-base speed: index build time and query latency p50/p95 at the real corpus and at 10k and
100k passages (synthetic scale-up: the real passages repeated with new ids and shuffled words), on
SQLite (FTS5) and PostgreSQL (tsvector), through the same DbPassageStore the app uses.

    python bench/kb_speed.py                                   # SQLite only
    python bench/kb_speed.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/hotline_bench
    python bench/kb_speed.py --sizes real,10000                # skip 100k

The in-memory store of the library is measured in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import random
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
from knowledge_base import InMemoryStore, KnowledgeBase, StoredPassage, all_passages, index_passage, load_articles

QUERIES = Path(__file__).resolve().parents[1] / "knowledge_base" / "data" / "queries.yaml"


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
    """Index the rows as one article through the same code the app uses for imports and edits."""
    t0 = time.perf_counter()
    with db.transaction() as s:
        if s.get(KbArticle, "bench") is None:
            s.add(KbArticle(id="bench", title="bench", type="law", updated_by="bench"))
            s.flush()
        replace_passages(s, "bench", rows)
        bump_generation(s)
    return time.perf_counter() - t0


def latencies(kb: KnowledgeBase, queries: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            kb.search(q, limit=10)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres")
    parser.add_argument("--sizes", default="real,10000,100000")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = [index_passage(p) for p in all_passages(load_articles())]
    queries = [q["query"] for q in yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]]
    memory = KnowledgeBase(InMemoryStore(base))
    lat = latencies(memory, queries, args.rounds)
    print(f"baseline in-memory store, real corpus ({len(base)} passages): p50 {pct(lat, 50):.1f} ms  p95 {pct(lat, 95):.1f} ms")
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
            took = build(db, rows)
            store = DbPassageStore(db)
            kb = KnowledgeBase(store)
            store.sync()
            kb.search("预热", limit=10)
            lat = latencies(kb, queries, args.rounds)
            print(f"{name:10s} {n:>7d} passages: build {took:6.1f} s   query p50 {pct(lat, 50):6.1f} ms   p95 {pct(lat, 95):6.1f} ms")
        if url:  # leave the benchmark database empty again
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.dispose()


if __name__ == "__main__":
    main()
