"""Throughput and latency of the classifier (one process), beside segmentation alone and beside a plain
TF-IDF + LinearSVC pipeline measured in the same run.

    .venv/bin/python bench/classify.py [--model DIR] [--corpus classifier/corpus] [--n 2000] [--repeat 3]
                                       [--segmenter rjieba] [--profile]

Without --model (or if DIR has no artifact) a model is trained from the corpus into a temporary
directory first.  For each segmenter (pure-Python jieba always; rjieba = jieba-rs when it is installed;
``--segmenter`` picks one) it prints: batch throughput (tickets/s; contract fields only, as `hotline
classify` asks, and with explanations), single-item latency p50/p99 (explanations on, as the console
asks), the share of time spent in tokenisation, and segmentation alone on the same texts.

The baseline is what the issue calls "rjieba plus a linear model": scikit-learn's TfidfVectorizer over
the same tokens (our normaliser and tokenizer) and a LinearSVC, trained here on the corpus's ticket
categories, predicting one label per ticket with scikit-learn's own ``Pipeline.predict``.  Our figures
are printed as ratios of it (throughput: ours / baseline; latency: ours / baseline).

``--profile`` adds where the time of one batch (contract fields only, and with explanations) goes: the
stages timed by wrapping the library's stage functions, then the top functions of a cProfile run.

Each figure is the best of --repeat runs (the machine is shared).  Every timed run starts with empty
text caches (normalisation, tokens, segmentation), so repeats do not measure cache hits.  Nothing here
is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib.util
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier import Item, load_classifier, read_corpus, train  # noqa: E402
from classifier import explain as explain_mod  # noqa: E402
from classifier import model as model_mod  # noqa: E402
from classifier import rules as rules_mod  # noqa: E402
from classifier import text as text_mod  # noqa: E402
from classifier.artifacts import MODEL_FILE  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


#: the memoised text functions (taken before --profile wraps any of them)
_CACHED = [fn for fn in (text_mod.normalize, getattr(text_mod, "_cut", None), text_mod._tokens, explain_mod._spans)
           if fn is not None]


def clear_caches() -> None:
    """Forget every memoised text result, so a timed run does the whole work."""
    for fn in _CACHED:
        fn.cache_clear()


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        clear_caches()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def single_latencies(repeat: int, predict_one, items: list[Item]) -> list[float]:
    """Per-call latencies (ms) of the repeat with the lowest p99."""
    runs = []
    for _ in range(repeat):
        clear_caches()
        lat = []
        for it in items:
            t0 = time.perf_counter()
            predict_one(it)
            lat.append(1000 * (time.perf_counter() - t0))
        runs.append((percentile(lat, 99), lat))
    return min(runs, key=lambda r: r[0])[1]


# -- the baseline: plain TF-IDF + LinearSVC over the same tokens ---------------------------------------


def train_baseline(corpus: str):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    labelled = [li for li in read_corpus([corpus]).items if li.item.type == "ticket"]
    pipe = Pipeline([
        ("tfidf", TfidfVectorizer(tokenizer=text_mod.tokenize, preprocessor=text_mod.normalize, token_pattern=None,
                                  lowercase=False)),
        ("svc", LinearSVC()),
    ])
    t0 = time.perf_counter()
    pipe.fit([li.item.text for li in labelled], [li.labels["category"] for li in labelled])
    return pipe, time.perf_counter() - t0, len(labelled)


def run_baseline(pipe, items: list[Item], args) -> dict:
    texts = [it.text for it in items]
    pipe.predict(texts[:50])

    def batch():
        for i in range(0, len(texts), args.batch):
            pipe.predict(texts[i : i + args.batch])

    total = best_of(args.repeat, batch)
    lat = single_latencies(args.repeat, lambda it: pipe.predict([it.text]), items[: args.single])
    return {"batch": len(items) / total, "p50": percentile(lat, 50), "p99": percentile(lat, 99)}


# -- ours ------------------------------------------------------------------------------------------------


def run(clf, items: list[Item], args, baseline: dict | None) -> None:
    texts = [it.text for it in items]
    clf.predict(items[:50])  # warm up: dictionary, regex and analyser caches

    seg_s = best_of(args.repeat, lambda: [text_mod.cut(t) for t in texts])
    tok_s = best_of(args.repeat, lambda: [text_mod.tokenize(text_mod.normalize(t)) for t in texts])
    rates = {}
    for explain in (False, True):
        def batch(explain=explain):
            for i in range(0, len(items), args.batch):
                clf.predict(items[i : i + args.batch], explain=explain)
        total = best_of(args.repeat, batch)
        rates[explain] = len(items) / total
        label = "with explanations" if explain else "contract fields only"
        ratio = f"; {rates[explain] / baseline['batch']:.2f}x the baseline" if baseline else ""
        print(f"  batch, {label:21}: {len(items) / total:7.0f} tickets/s ({1000 * total / len(items):.3f} ms each; "
              f"tokenisation {100 * tok_s / total:.0f}% of it{ratio})")
    print(f"  segmentation alone (cut)    : {len(texts) / seg_s:7.0f} tickets/s; normalise + tokenise: "
          f"{len(texts) / tok_s:.0f} tickets/s")

    singles = items[: args.single]
    lat = single_latencies(args.repeat, lambda it: clf.predict([it]), singles)
    tok = []
    for it in singles:
        clear_caches()
        t0 = time.perf_counter()
        text_mod.tokenize(text_mod.normalize(it.text))
        tok.append(1000 * (time.perf_counter() - t0))
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    ratio = f"; p99 {p99 / baseline['p99']:.2f}x the baseline's" if baseline else ""
    print(f"  single item, explanations on: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({len(singles)} calls); "
          f"tokenisation {100 * sum(tok) / sum(lat):.0f}% of the time{ratio}")


# -- profile ---------------------------------------------------------------------------------------------

#: (stage, module, attribute): functions wrapped with a timer; a stage's time excludes the stages
#: nested in it (tokenisation runs inside the feature transform, segmentation inside both)
STAGES = [
    ("normalise", model_mod, "normalize"),
    ("emergency cues", rules_mod, "find_emergency_cues"),
    ("region", rules_mod, "find_region"),
    ("feature transform (TF-IDF)", model_mod, "_union_transform"),
    ("tokenise (stopwords, filters)", model_mod, "_tokens"),
    ("segmentation (rjieba / jieba cut)", text_mod, "_cut" if hasattr(text_mod, "_cut") else "cut"),
    ("heads (predict_proba)", model_mod._Head, "proba"),
    ("explanations", model_mod.Classifier, "_explain"),
    ("explanation text prep", model_mod, "TextEvidence"),
]


class _StageClock:
    def __init__(self):
        self.total: dict[str, float] = {}
        self.stack: list[list] = []

    def wrap(self, stage: str, fn):
        clock = self

        @functools.wraps(fn)
        def timed(*a, **kw):
            frame = [stage, 0.0]  # [stage, time of nested stages]
            clock.stack.append(frame)
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                dt = time.perf_counter() - t0
                clock.stack.pop()
                clock.total[stage] = clock.total.get(stage, 0.0) + dt - frame[1]
                if clock.stack:
                    clock.stack[-1][1] += dt
        return timed


def profile(clf, items: list[Item], args) -> None:
    batch = items[: args.batch]
    for explain in (False, True):
        label = "with explanations" if explain else "contract fields only"
        clock = _StageClock()
        saved = []
        for stage, owner, attr in STAGES:
            if not hasattr(owner, attr):
                continue
            original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
            saved.append((owner, attr, original))
            setattr(owner, attr, clock.wrap(stage, original))
        runs = []
        try:
            clf.predict(batch[:20], explain=explain)
            for _ in range(args.repeat):  # keep the fastest run's breakdown (the machine is shared)
                clock.total = {}
                clear_caches()
                t0 = time.perf_counter()
                clf.predict(batch, explain=explain)
                runs.append((time.perf_counter() - t0, clock.total))
        finally:
            for owner, attr, original in reversed(saved):
                setattr(owner, attr, original)
        total, stages = min(runs, key=lambda r: r[0])
        print(f"  one batch of {len(batch)} tickets, {label}: {1000 * total:.1f} ms with stage timers "
              f"({1e6 * total / len(batch):.0f} µs per ticket; best of {args.repeat})")
        rest = total - sum(stages.values())
        rows = sorted(stages.items(), key=lambda kv: -kv[1]) + [("rest (per-item decisions, Prediction)", rest)]
        for stage, t in rows:
            print(f"    {stage:38} {100 * t / total:5.1f}%  {1e6 * t / len(batch):7.1f} µs/ticket")

        clear_caches()
        prof = cProfile.Profile()
        prof.enable()
        clf.predict(batch, explain=explain)
        prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        total_tt = sum(v[2] for v in stats.stats.values())
        top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[: args.profile_top]
        print(f"    cProfile, top functions by own time (share of {1000 * total_tt:.0f} ms profiled):")
        for (path, line, name), (_, ncalls, tt, ct, _) in top:
            where = f"{Path(path).name}:{line}({name})" if line else name
            print(f"      {100 * tt / total_tt:5.1f}%  {ncalls:7d} calls  cum {1000 * ct:6.1f} ms  {where}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(ROOT / "instance" / "model"))
    ap.add_argument("--corpus", default=str(ROOT / "classifier" / "corpus"))
    ap.add_argument("--n", type=int, default=2000, help="tickets in the batch test")
    ap.add_argument("--single", type=int, default=500, help="items in the latency test")
    ap.add_argument("--batch", type=int, default=500, help="batch size for the throughput test")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--segmenter", choices=("jieba", "rjieba"), default=None, help="only this segmenter")
    ap.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF + LinearSVC baseline")
    ap.add_argument("--profile", action="store_true", help="where the time of one batch goes")
    ap.add_argument("--profile-top", type=int, default=12)
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
    if args.segmenter:
        segmenters = [s for s in segmenters if s == args.segmenter]
    baseline_pipe = None
    if not args.no_baseline:
        baseline_pipe, fit_s, n_fit = train_baseline(args.corpus)
        print(f"baseline: TfidfVectorizer(same normaliser + tokens) + LinearSVC, one head (category), "
              f"fitted on {n_fit} corpus tickets in {fit_s:.1f} s")
    for name in segmenters:
        text_mod.use_segmenter(name)
        baseline = None
        if baseline_pipe is not None:
            baseline = run_baseline(baseline_pipe, items, args)
            print(f"segmenter {name}, baseline (TF-IDF + LinearSVC): batch {baseline['batch']:7.0f} tickets/s; "
                  f"single p50 {baseline['p50']:.2f} ms, p99 {baseline['p99']:.2f} ms")
        print(f"segmenter {name}:")
        run(clf, items, args, baseline)
        if args.profile:
            print(f"segmenter {name}, profile:")
            profile(clf, items, args)
    text_mod.use_segmenter(None)
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
