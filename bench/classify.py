"""Throughput and latency of the classifier (one process), beside segmentation alone.

    .venv/bin/python bench/classify.py [--model DIR] [--corpus classifier/corpus] [--n 2000] [--repeat 3]

Without --model (or if DIR has no artifact) a model is trained from the corpus into a temporary
directory first.  For each segmenter available (pure-Python jieba always; rjieba = jieba-rs when it
is installed) it prints: batch throughput (tickets/s; contract fields only, as `hotline classify`
asks, and with explanations), single-item latency p50/p99 (explanations on, as the console asks),
the share of time spent in tokenisation, and segmentation alone on the same texts.  Each figure is
the best of --repeat runs (the machine is shared).  Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier import Item, load_classifier, read_corpus, train  # noqa: E402
from classifier import text as text_mod  # noqa: E402
from classifier.artifacts import MODEL_FILE  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        text_mod.normalize.cache_clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(clf, items: list[Item], args) -> None:
    texts = [it.text for it in items]
    clf.predict(items[:50])  # warm up: dictionary, regex and analyser caches

    seg_s = best_of(args.repeat, lambda: [text_mod.cut(t) for t in texts])
    tok_s = best_of(args.repeat, lambda: [text_mod.tokenize(text_mod.normalize(t)) for t in texts])
    for explain in (False, True):
        def batch(explain=explain):
            for i in range(0, len(items), args.batch):
                clf.predict(items[i : i + args.batch], explain=explain)
        total = best_of(args.repeat, batch)
        label = "with explanations" if explain else "contract fields only"
        print(f"  batch, {label:21}: {len(items) / total:7.0f} tickets/s ({1000 * total / len(items):.3f} ms each; "
              f"tokenisation {100 * tok_s / total:.0f}% of it)")
    print(f"  segmentation alone (cut)    : {len(texts) / seg_s:7.0f} tickets/s; normalise + tokenise: "
          f"{len(texts) / tok_s:.0f} tickets/s")

    singles = items[: args.single]
    runs = []
    for _ in range(args.repeat):
        lat, tok = [], []
        for it in singles:
            t0 = time.perf_counter()
            clf.predict([it])
            lat.append(1000 * (time.perf_counter() - t0))
            text_mod.normalize.cache_clear()
            t0 = time.perf_counter()
            text_mod.tokenize(text_mod.normalize(it.text))
            tok.append(1000 * (time.perf_counter() - t0))
        runs.append((percentile(lat, 99), lat, tok))
    _, lat, tok = min(runs, key=lambda r: r[0])
    print(f"  single item, explanations on: p50 {percentile(lat, 50):.2f} ms, p99 {percentile(lat, 99):.2f} ms "
          f"({len(singles)} calls); tokenisation {100 * sum(tok) / sum(lat):.0f}% of the time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "instance" / "model"))
    ap.add_argument("--corpus", default=str(ROOT / "classifier" / "corpus"))
    ap.add_argument("--n", type=int, default=2000, help="tickets in the batch test")
    ap.add_argument("--single", type=int, default=500, help="items in the latency test")
    ap.add_argument("--batch", type=int, default=500, help="batch size for the throughput test")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    model_dir = Path(args.model)
    tmp = None
    if not (model_dir / MODEL_FILE).exists():
        tmp = tempfile.TemporaryDirectory()
        model_dir = Path(tmp.name)
        print(f"no artifact at {args.model}: training one from {args.corpus} ...", flush=True)
        train([args.corpus], model_dir)
    clf = load_classifier(model_dir)
    pool = [li.item for li in read_corpus([args.corpus]).items if li.item.type == "ticket"]
    if not pool:
        sys.exit("no tickets in the corpus")
    items = [Item(f"b{i}", pool[i % len(pool)].text) for i in range(args.n)]
    print(f"{len(items)} tickets (mean {statistics.mean(len(it.text) for it in items):.0f} characters); "
          f"model {clf.card.get('artifact_version')} (trained with {clf.card.get('versions', {}).get('segmenter')})")
    segmenters = ["jieba"] + (["rjieba"] if importlib.util.find_spec("rjieba") else [])
    for name in segmenters:
        text_mod.use_segmenter(name)
        print(f"segmenter {name}:")
        run(clf, items, args)
    text_mod.use_segmenter(None)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
