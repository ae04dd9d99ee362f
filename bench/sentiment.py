"""The sentiment pipeline: speed inline and on a broker, and the quality of the event grouping.

    .venv/bin/python bench/sentiment.py                 # everything, on SQLite, RabbitMQ for the broker part
    .venv/bin/python bench/sentiment.py --only quality  # the labelled sets only (seconds)
    .venv/bin/python bench/sentiment.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        --broker redis://127.0.0.1:6379/0

Parts (``--only`` picks some):

* ``inline`` — N synthetic items (default 100,000; ``bench/synthetic_sentiment.py``) ingested end to end as
  the API does it (classify with the model, store, de-duplicate, group, update events) in batches of
  1,000 into an empty database: items per second overall, and the cost per item when the store holds
  10k items against when it holds N (the ratio should stay near 1: an index, no all-pairs comparison).
* ``broker`` — M items stored and enqueued, then processed by 1 and by 2 ``hotline worker`` processes:
  items per second for each, and the ratio.
* ``quality`` — pairwise precision, recall and F1 of `hotline sentiment dedupe`'s grouping on the
  labelled repost/rewrite families in bench/data/events/: ``dev-*`` (written blind, then used to tune:
  a tuned figure, not a quality claim) and ``hold-*`` (written blind, never tuned on: the quality
  figure). Beside it, in the same run, the baseline the issue names: MinHash over character 3-grams
  alone. And the high-risk recall on the held-out set: an item labelled high counts as caught when the
  classifier called it high or its event became high.

Nothing is asserted; figures are printed. The model is the instance's (``instance/model``) or, if there
is none, one trained from classifier/corpus into a temporary directory.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select  # noqa: E402
from synthetic_sentiment import items as synthetic_items  # noqa: E402

from classifier import load_classifier, train  # noqa: E402
from classifier.artifacts import MODEL_FILE  # noqa: E402
from classifier.stories import StoryParams  # noqa: E402
from hotline.sentiment.analysis import group_rows  # noqa: E402

EVENTS = ROOT / "bench" / "data" / "events"
BATCH = 1000
SYNTHETIC_DAYS = 60


def model_dir(given: str | None) -> Path:
    for path in (Path(given) if given else None, ROOT / "instance" / "model"):
        if path is not None and (path / MODEL_FILE).exists():
            return path
    out = Path(tempfile.mkdtemp(prefix="bench-model-"))
    print("training a model from classifier/corpus …", flush=True)
    train([ROOT / "classifier" / "corpus"], out)
    return out


def fresh_runtime(database_url: str | None, model: Path, **settings):  # noqa: ANN003, ANN201
    from hotline.bootstrap import initialise
    from hotline.runtime import Runtime

    instance = Path(tempfile.mkdtemp(prefix="bench-sentiment-"))
    atexit.register(shutil.rmtree, instance, ignore_errors=True)
    url = database_url or f"sqlite:///{instance / 'bench.db'}"
    if url.startswith("postgresql"):
        reset_postgres(url)
    runtime = Runtime.from_env({"instance_path": instance, "database_url": url, "model_path": model, **settings})
    initialise(runtime)
    return runtime


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


# -- inline ---------------------------------------------------------------------------------------


def bench_inline(args: argparse.Namespace, model: Path) -> None:
    from hotline.sentiment.pipeline import ingest_batch

    runtime = fresh_runtime(args.database_url, model)
    runtime.triage.classifier  # noqa: B018 - load the model before the clock starts
    stream = synthetic_items(args.n, days=SYNTHETIC_DAYS)
    per_batch: list[float] = []
    started = time.perf_counter()
    stored = 0
    while batch := list(itertools.islice(stream, BATCH)):
        t0 = time.perf_counter()
        outcomes = ingest_batch(runtime, batch)
        per_batch.append((time.perf_counter() - t0) / len(batch))
        stored += sum(o.status == "accepted" for o in outcomes)
        if len(per_batch) % 10 == 0:
            print(f"  {stored:>7} stored, {1 / per_batch[-1]:>6.0f} items/s in the last batch", flush=True)
    elapsed = time.perf_counter() - started
    with runtime.db.transaction(readonly=True) as session:
        from hotline.sentiment.models import SentimentEvent

        events = session.scalar(select(func.count(SentimentEvent.id)))
    print(f"  event assignment: {partition_digest(runtime)}")
    window = StoryParams().story_window.days
    if len(per_batch) < 35:  # a short run (--n below 35,000, for iterating): no per-item cost by store size
        print(f"inline, {runtime.db.engine.dialect.name}: {stored} items into {events} events in {elapsed:.1f} s "
              f"= {stored / elapsed:.0f} items/s (classify + store + de-duplicate + group; a short run)")
        runtime.close()
        return
    at_10k = statistics.median(per_batch[5:15]) * 1000  # batches of 1,000: 5k..15k stored
    at_30k = statistics.median(per_batch[25:35]) * 1000
    at_end = statistics.median(per_batch[-10:]) * 1000
    print(f"inline, {runtime.db.engine.dialect.name}: {stored} items into {events} events in {elapsed:.1f} s "
          f"= {stored / elapsed:.0f} items/s (classify + store + de-duplicate + group)")
    print(f"  cost per item (median of 10 batches of 1,000): ~10k stored {at_10k:.3f} ms, ~30k {at_30k:.3f} ms, "
          f"~{stored // 1000}k {at_end:.3f} ms; ratio to 10k {at_end / at_10k:.2f}, to 30k {at_end / at_30k:.2f} "
          f"(1.00 = flat; the items span {SYNTHETIC_DAYS} days, so the {window}-day lookup window fills up over the "
          f"first {window / SYNTHETIC_DAYS:.0%} of them)")
    runtime.close()


def partition_digest(runtime) -> str:  # noqa: ANN001
    """Which items share an event, as one digest (the same items in the same events give the same digest,
    whatever the events' ids): to prove a change to grouping's speed left its results alone."""
    from hotline.sentiment.models import SentimentItem

    groups: dict[int, list[str]] = {}
    with runtime.db.transaction(readonly=True) as session:
        stmt = select(SentimentItem.event_id, SentimentItem.external_id, SentimentItem.id).order_by(SentimentItem.id)
        for event_id, external_id, item_id in session.execute(stmt):
            groups.setdefault(event_id, []).append(external_id or f"#{item_id}")
    partition = sorted(sorted(members) for members in groups.values())
    digest = hashlib.sha256(json.dumps(partition, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
    return f"{len(partition)} events (items with none: {len(groups.get(None, []))}), partition sha256 {digest}"


# -- broker ---------------------------------------------------------------------------------------


def bench_broker(args: argparse.Namespace, model: Path) -> None:
    from hotline.sentiment.models import SentimentItem
    from hotline.sentiment.pipeline import ingest_batch

    rates = {}
    for workers in (1, 2):
        queue = f"hotline-bench-{uuid.uuid4().hex[:8]}"
        runtime = fresh_runtime(args.database_url, model, broker_url=args.broker, broker_queue=queue)
        data = list(synthetic_items(args.broker_n, seed=77))
        t0 = time.perf_counter()
        for start in range(0, len(data), BATCH):
            ingest_batch(runtime, data[start:start + BATCH])
        stored_in = time.perf_counter() - t0
        env = {**os.environ, "HOTLINE_DATABASE_URL": runtime.settings.database_url, "HOTLINE_BROKER_URL": args.broker,
               "HOTLINE_BROKER_QUEUE": queue, "HOTLINE_INSTANCE_PATH": str(runtime.settings.instance_path),
               "HOTLINE_MODEL_PATH": str(model)}
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = [subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker", "--threads", "1"], env=env,
                                  stderr=subprocess.DEVNULL) for _ in range(workers)]
        try:
            while True:
                with runtime.db.transaction(readonly=True) as session:
                    done = session.scalar(select(func.count(SentimentItem.id)).where(SentimentItem.state == "processed"))
                if done >= len(data):
                    break
                time.sleep(0.2)
            elapsed = time.perf_counter() - started
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / elapsed
        rates[workers] = len(data) / elapsed
        print(f"broker ({args.broker.split(':')[0]}, {runtime.db.engine.dialect.name}), {workers} worker(s): "
              f"{len(data)} items stored and enqueued at {len(data) / stored_in:.0f} items/s, processed at "
              f"{rates[workers]:.0f} items/s (including the workers' start-up); the workers kept "
              f"{busy:.2f} of the {os.cpu_count()} cores busy")
        runtime.close()
    print(f"  2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")


# -- quality --------------------------------------------------------------------------------------


def read_set(pattern: str) -> list[dict]:
    rows = []
    for path in sorted(EVENTS.glob(pattern)):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def pairwise(rows: list[dict], predicted: dict[str, str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1: a pair of items is positive when both are in one family."""
    def pairs(cluster_of: dict[str, str]) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(cluster_of.values()).values())

    truth = {r["id"]: r["family"] for r in rows}
    both = Counter((truth[i], predicted[i]) for i in truth)
    tp = sum(n * (n - 1) // 2 for n in both.values())
    predicted_pairs, true_pairs = pairs(predicted), pairs(truth)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


#: the issue's baseline: reposts only (MinHash over character 3-grams), no story recognition
MINHASH_ONLY = StoryParams(story_threshold=2.0)


def high_risk_recall(rows: list[dict], model: Path, database_url: str | None, name: str = "held out") -> None:
    from hotline.sentiment.models import SentimentEvent, SentimentItem
    from hotline.sentiment.pipeline import ingest_batch

    runtime = fresh_runtime(database_url, model)
    elements = [{"external_id": r["id"], "source": r["source"].split(":")[0][:32] or "web", "text": r["text"],
                 "title": r.get("title"), "url": r.get("url"), "published_at": r.get("published_at"),
                 "metrics": r.get("metrics") or {}} for r in rows]
    elements.sort(key=lambda e: e["published_at"] or "")
    for start in range(0, len(elements), BATCH):
        ingest_batch(runtime, elements[start:start + BATCH])
    with runtime.db.transaction(readonly=True) as session:
        found = {item.external_id: (item.risk, event_risk) for item, event_risk in session.execute(
            select(SentimentItem, SentimentEvent.risk).join(SentimentEvent, SentimentItem.event_id == SentimentEvent.id))}
    high = [r["id"] for r in rows if r["risk"] == "high"]
    by_item = sum(found[i][0] == "high" for i in high)
    caught = sum("high" in found[i] for i in high)
    flagged = [i for i, (item_risk, event_risk) in found.items() if "high" in (item_risk, event_risk)]
    labelled = {r["id"]: r["risk"] for r in rows}
    print(f"  high-risk recall ({name}, {len(high)} items labelled high): classifier alone "
          f"{by_item / len(high):.3f}; item or its event {caught / len(high):.3f}")
    print(f"  of the {len(flagged)} items flagged high, labelled high: "
          f"{sum(labelled[i] == 'high' for i in flagged) / max(1, len(flagged)):.3f}, medium "
          f"{sum(labelled[i] == 'medium' for i in flagged) / max(1, len(flagged)):.3f}")
    runtime.close()


def bench_quality(args: argparse.Namespace, model: Path) -> None:
    clf = load_classifier(model)
    for name, pattern, note in (("dev", "dev-*.jsonl", "tuned on: not a quality figure"),
                                ("held out", "hold-*.jsonl", "never tuned on: the quality figure")):
        rows = read_set(pattern)
        if not rows:
            print(f"quality, {name}: no data in {EVENTS}/{pattern}")
            continue
        families = len({r["family"] for r in rows})
        p, r, f = pairwise(rows, group_rows(clf, rows))
        bp, br, bf = pairwise(rows, group_rows(clf, rows, MINHASH_ONLY))
        print(f"quality, {name} ({len(rows)} items, {families} families; {note}):")
        print(f"  grouping           P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
        print(f"  MinHash alone      P {bp:.3f}  R {br:.3f}  F1 {bf:.3f}  (baseline, same run)")
        if name == "held out":
            high_risk_recall(rows, model, args.database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["inline", "broker", "quality"])
    parser.add_argument("--n", type=int, default=100_000, help="synthetic items for the inline part")
    parser.add_argument("--broker-n", type=int, default=20_000, help="synthetic items for the broker part")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file; a PostgreSQL URL is "
                        "dropped and created afresh")
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672/%2F")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    parts = args.only or ["quality", "inline", "broker"]
    model = model_dir(args.model)
    for part in parts:
        {"inline": bench_inline, "broker": bench_broker, "quality": bench_quality}[part](args, model)


if __name__ == "__main__":
    main()
