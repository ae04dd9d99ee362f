"""Training: corpus -> held-out split -> model selection by grouped CV on the training part only ->
fit -> held-out evaluation -> artifact (model.joblib + model.json)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from .artifacts import ModelCard, save_artifact
from .cues import find_emergency_cues
from .data import LabelledItem, read_corpus, split
from .evaluation import evaluate
from .features import DEFAULT_FEATURES, build_estimator, build_features
from .model import Classifier, Settings
from .schema import Item
from .taxonomy import Taxonomy, load_taxonomy
from .text import item_text, normalize

#: candidate estimators for model selection: (model, C)
#: LinearSVC + Platt calibration was as accurate as multinomial logistic regression in grouped CV on
#: the training part and 10-20x faster to fit (see README), so the default grid only varies its C.
DEFAULT_GRID: tuple[tuple[str, float], ...] = (("svc", 0.1), ("svc", 0.3), ("svc", 1.0))


#: operating points chosen on out-of-fold predictions of the training part (the targets of the issue)
EMERGENCY_RECALL, EMERGENCY_PRECISION_FLOOR = 0.98, 0.80
HIGH_RISK_RECALL, HIGH_RISK_PRECISION_FLOOR = 0.95, 0.30
#: at most this share of tickets is marked "possible emergency" for an operator to check with the caller
EMERGENCY_REVIEW_BUDGET = 0.05
#: the thresholds both operating-point rules try, from the strictest down
_THRESHOLD_STEPS = np.round(np.arange(0.95, 0.04, -0.05), 2)
#: the floors the cue rule tries, from the highest down (see ``pick_cue_floor``)
_CUE_FLOOR_STEPS = (0.05, 0.04, 0.03, 0.02, 0.01, 0.005)


def _key(model: str, reg: float) -> str:
    return f"{model}:C={reg:g}"


def _rows(items: Sequence[LabelledItem]) -> dict[str, list[tuple[int, object]]]:
    """For each head: (row index into items, gold label) of the items that can train it.

    ``sentiment_category`` holds the relevant sentiment items with a child-welfare category."""
    heads = ("category", "kind", "urgency", "relevant", "polarity", "risk", "sentiment_category")
    rows: dict[str, list[tuple[int, object]]] = {h: [] for h in heads}
    for i, li in enumerate(items):
        lab = li.labels
        if li.item.type == "ticket":
            for h in ("category", "kind", "urgency"):
                if lab.get(h) is not None:
                    rows[h].append((i, lab[h]))
        else:
            for h in ("relevant", "polarity", "risk"):
                if lab.get(h) is not None:
                    rows[h].append((i, bool(lab[h]) if h == "relevant" else lab[h]))
            if lab.get("relevant") and lab.get("category") not in (None, "other"):
                rows["sentiment_category"].append((i, lab["category"]))
    return rows


def _score(head: str, gold, pred) -> float:
    if head == "relevant":
        return float(f1_score([bool(g) for g in gold], [bool(p) for p in pred], pos_label=True, zero_division=0))
    return float(f1_score(list(gold), list(pred), average="macro", zero_division=0))


def _oof_predict(xs, y, groups, model: str, reg: float, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold predictions by grouped K-fold (groups = repost groups / ids)."""
    preds = np.empty(len(y), dtype=object)
    k = max(2, min(folds, len(set(groups))))
    for tr, te in GroupKFold(n_splits=k).split(xs, y, groups):
        if len(set(y[tr].tolist())) < 2:
            preds[te] = y[tr][0]
            continue
        est = build_estimator(model, reg, seed=seed)
        try:
            est.fit(xs[tr], y[tr])
        except ValueError:  # e.g. a class too small for the calibration folds
            est = build_estimator("logreg", reg, seed=seed)
            est.fit(xs[tr], y[tr])
        preds[te] = est.predict(xs[te])
    return preds


def _select(head, xs, y, groups, grid, folds, seed, progress, scorer=None):
    """Best (model, reg) by grouped CV on the training rows; returns (choice, {config: score}, oof)."""
    counts = Counter(y.tolist())
    if len(counts) < 2 or len(set(groups)) < 2 or min(counts.values()) < 2:
        return grid[0], {}, None
    results, oofs = {}, {}
    for model, reg in grid:
        t0 = time.perf_counter()
        oof = _oof_predict(xs, y, groups, model, reg, folds, seed)
        key = _key(model, reg)
        results[key] = round(scorer(oof) if scorer else _score(head, y, oof), 4)
        oofs[key] = oof
        if progress:
            progress(f"  cv {head} {key}: {results[key]} ({time.perf_counter() - t0:.1f}s)")
    best = max(grid, key=lambda mc: results[_key(*mc)])
    return best, results, oofs[_key(*best)]


def _oof_proba(xs, y, groups, model: str, reg: float, folds: int, seed: int, label) -> np.ndarray:
    """Out-of-fold probability of ``label`` by grouped K-fold."""
    proba = np.zeros(len(y))
    k = max(2, min(folds, len(set(groups))))
    for tr, te in GroupKFold(n_splits=k).split(xs, y, groups):
        if label not in set(y[tr].tolist()) or len(set(y[tr].tolist())) < 2:
            continue
        est = _fit(model, reg, xs[tr], y[tr], seed)
        proba[te] = est.predict_proba(xs[te])[:, list(est.classes_).index(label)]
    return proba


def pick_threshold(proba, cue, gold, recall_target: float, precision_floor: float) -> tuple[float, dict]:
    """Decision threshold on P(label) for a label the rules can also raise (``cue``).

    The highest threshold whose combined recall (model or cue) reaches ``recall_target`` while
    precision stays at or above ``precision_floor``; if none reaches the target, the one with the best
    recall above the floor; 0.5 if the floor cannot be kept at all."""
    proba, cue, gold = np.asarray(proba), np.asarray(cue, bool), np.asarray(gold, bool)
    rows = []
    for t in _THRESHOLD_STEPS:
        pred = (proba >= t) | cue
        tp = int((pred & gold).sum())
        recall = tp / max(int(gold.sum()), 1)
        precision = tp / max(int(pred.sum()), 1)
        rows.append((float(t), recall, precision))
    ok = [r for r in rows if r[2] >= precision_floor]
    hit = [r for r in ok if r[1] >= recall_target]
    if hit:
        chosen = max(hit, key=lambda r: r[0])
    elif ok:
        chosen = max(ok, key=lambda r: (r[1], r[0]))
    else:
        chosen = (0.5, *next((r[1:] for r in rows if r[0] == 0.5), (0.0, 0.0)))
    return chosen[0], {"threshold": chosen[0], "cv_recall": round(chosen[1], 4), "cv_precision": round(chosen[2], 4),
                       "recall_target": recall_target, "precision_floor": precision_floor}


def pick_review_threshold(proba, flagged, budget: float) -> tuple[float | None, dict]:
    """The lowest threshold on P(label), below the decision's, that marks at most ``budget`` of the items
    for review among those the decision (``flagged``) left out; None when even the highest step would
    mark more."""
    proba, flagged = np.asarray(proba), np.asarray(flagged, bool)
    chosen = None
    for t in _THRESHOLD_STEPS:
        share = float(((proba >= t) & ~flagged).mean()) if len(proba) else 0.0
        if share > budget:
            break
        chosen = (float(t), share)
    if chosen is None:
        return None, {"threshold": None, "budget": budget}
    return chosen[0], {"threshold": chosen[0], "cv_share": round(chosen[1], 4), "budget": budget}


def pick_cue_floor(proba, cue, gold) -> tuple[float | None, dict]:
    """The highest P(label) under which a cue alone no longer raises the label, such that no out-of-fold
    positive the cue caught falls under it; None when even the lowest step would lose one.

    A cue on a text the model all but rules out is most often a look-alike (a danger told as past, a parent
    who left years ago); under the floor the item is marked for review instead."""
    proba, cue, gold = np.asarray(proba), np.asarray(cue, bool), np.asarray(gold, bool)
    for t in _CUE_FLOOR_STEPS:
        below = cue & (proba < t)
        if not (below & gold).any():
            return t, {"floor": t, "cv_cue_positives": int((cue & gold).sum()),
                       "cv_cue_negatives": int((cue & ~gold).sum()), "cv_negatives_under": int((below & ~gold).sum())}
    return None, {"floor": None}


def _fit(model: str, reg: float, xs, y, seed: int):
    if len(set(y.tolist())) < 2:
        raise ValueError("a head has a single class in the training data; add more labelled items")
    est = build_estimator(model, reg, seed=seed)
    try:
        est.fit(xs, y)
    except ValueError:
        est = build_estimator("logreg", reg, seed=seed)
        est.fit(xs, y)
    return est


def _as_feedback(feedback: Iterable, taxonomy: Taxonomy) -> list[LabelledItem]:
    out = []
    for entry in feedback:
        item, labels = entry
        if not isinstance(item, Item):
            raise TypeError("feedback entries are (Item, {head: label, ...}) pairs")
        labels = dict(labels)
        for key, allowed in (("category", taxonomy.categories), ("kind", taxonomy.kinds),
                             ("urgency", taxonomy.urgency)):
            if key in labels and labels[key] not in allowed:
                raise ValueError(f"feedback for {item.id}: unknown {key} {labels[key]!r}")
        out.append(LabelledItem(item, labels, None, "feedback"))
    return out


def fit_classifier(
    train_items: Sequence[LabelledItem],
    *,
    seed: int = 42,
    taxonomy: Taxonomy | None = None,
    grid: Sequence[tuple[str, float]] = DEFAULT_GRID,
    cv_folds: int = 3,
    sentiment_category: str = "auto",
    feature_params: dict | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Classifier, dict]:
    """Fit every head on ``train_items`` (model choice by grouped CV on these items only).

    Sentiment category: ``"shared"`` trains one category head on tickets + relevant sentiment items,
    ``"own"`` gives sentiment its own head; ``"auto"`` picks the one with the better mean CV macro-F1
    over ticket and sentiment categories.  Returns the classifier and a dict of CV results/choices."""
    tax = taxonomy or load_taxonomy()
    say = progress or (lambda _msg: None)
    fparams = {**DEFAULT_FEATURES, **(feature_params or {})}
    texts = [item_text(li.item.text, li.item.title) for li in train_items]
    groups = np.array([li.group_key for li in train_items], dtype=object)
    say(f"fitting features on {len(texts)} training texts")
    features = build_features(**fparams)
    xs = features.fit_transform(texts).tocsr()
    info: dict = {"features": {k: list(v) if isinstance(v, tuple) else v for k, v in fparams.items()
                               if not callable(v)},
                  "n_features": int(xs.shape[1]), "cv": {}, "chosen": {}}
    rows = _rows(train_items)

    def data(head):
        idx = np.array([i for i, _ in rows[head]], dtype=int)
        y = np.array([lab for _, lab in rows[head]], dtype=object)
        if head == "relevant":
            y = y.astype(bool)
        return idx, y

    cues = [bool(find_emergency_cues(normalize(t))) for t in texts]
    thresholds: dict[str, float | None] = {}
    fitted: dict[str, object] = {}
    for head in ("kind", "urgency", "relevant", "polarity", "risk"):
        idx, y = data(head)
        if not len(idx):
            raise ValueError(f"no training items for head {head!r}")
        choice, results, _ = _select(head, xs[idx], y, groups[idx], grid, cv_folds, seed, progress)
        info["cv"][head], info["chosen"][head] = results, {"model": choice[0], "C": choice[1]}
        fitted[head] = _fit(*choice, xs[idx], y, seed)
        target = {"urgency": ("emergency", EMERGENCY_RECALL, EMERGENCY_PRECISION_FLOOR),
                  "risk": ("high", HIGH_RISK_RECALL, HIGH_RISK_PRECISION_FLOOR)}.get(head)
        if target and target[0] in set(y.tolist()) and len(set(groups[idx])) >= 2:
            label, recall, floor = target
            proba = _oof_proba(xs[idx], y, groups[idx], *choice, cv_folds, seed, label)
            cue = np.array([cues[i] and (head == "urgency" or bool(train_items[i].labels.get("relevant")))
                            for i in idx])
            if head == "urgency":  # first, so that the threshold is chosen on the decision as it will be made
                cue_floor, floor_stats = pick_cue_floor(proba, cue, y == label)
                thresholds["emergency_cue_floor"] = cue_floor
                info.setdefault("thresholds", {})["urgency_cue_floor"] = floor_stats
                if cue_floor is None:
                    say("  urgency: an emergency cue always raises urgency (every floor would lose an emergency "
                        "a cue caught)")
                else:
                    say(f"  urgency: an emergency cue raises urgency alone from P(emergency) {cue_floor} "
                        f"(cv: {floor_stats['cv_negatives_under']} of {floor_stats['cv_cue_negatives']} "
                        f"look-alikes with a cue fall under it)")
                    cue = cue & (proba >= cue_floor)
            threshold, stats = pick_threshold(proba, cue, y == label, recall, floor)
            thresholds[f"{label}_threshold"] = threshold
            info.setdefault("thresholds", {})[head] = stats
            say(f"  {head}: P({label}) threshold {threshold} (cv recall {stats['cv_recall']}, "
                f"precision {stats['cv_precision']}, with rules)")
            if head == "urgency":
                review, review_stats = pick_review_threshold(proba, (proba >= threshold) | cue,
                                                             EMERGENCY_REVIEW_BUDGET)
                thresholds["emergency_review_threshold"] = review
                info["thresholds"]["urgency_review"] = review_stats
                say(f"  urgency: P(emergency) {review} marks a possible emergency for review "
                    f"(cv share {review_stats.get('cv_share')})")

    t_idx, t_y = data("category")
    s_idx, s_y = data("sentiment_category")
    if not len(t_idx):
        raise ValueError("no training tickets for the category head")
    modes = ("shared", "own") if sentiment_category == "auto" else (sentiment_category,)
    if len(s_idx) < 10:
        modes = ("shared",)
    best = None
    for mode in modes:
        if mode == "shared":
            idx, y = np.concatenate([t_idx, s_idx]), np.concatenate([t_y, s_y])
            n_t = len(t_idx)

            def mean_score(oof, y=y, n_t=n_t):
                t = _score("category", y[:n_t], oof[:n_t])
                return (t + _score("category", y[n_t:], oof[n_t:])) / 2 if len(y) > n_t else t

            choice, results, oof = _select("category", xs[idx], y, groups[idx], grid, cv_folds, seed, progress,
                                           scorer=mean_score)
            score = results.get(_key(*choice), 0.0)
            heads = {"category": (choice, idx, y)}
            info["cv"]["category[shared]"] = results
        else:
            c_t, r_t, _ = _select("category", xs[t_idx], t_y, groups[t_idx], grid, cv_folds, seed, progress)
            c_s, r_s, _ = _select("sentiment_category", xs[s_idx], s_y, groups[s_idx], grid, cv_folds, seed,
                                  progress)
            score = (r_t.get(_key(*c_t), 0.0) + r_s.get(_key(*c_s), 0.0)) / 2
            heads = {"category": (c_t, t_idx, t_y), "sentiment_category": (c_s, s_idx, s_y)}
            info["cv"]["category[own]"], info["cv"]["sentiment_category[own]"] = r_t, r_s
        info.setdefault("sentiment_category_mode_cv", {})[mode] = round(score, 4)
        if best is None or score > best[0]:
            best = (score, mode, heads)
    _, mode, heads = best
    info["sentiment_category"] = mode
    say(f"sentiment category head: {mode}")
    for head, (choice, idx, y) in heads.items():
        info["chosen"][head] = {"model": choice[0], "C": choice[1]}
        fitted[head] = _fit(*choice, xs[idx], y, seed)
    pipelines = {h: Pipeline([("features", features), ("clf", est)]) for h, est in fitted.items()}
    settings = settings or Settings()
    settings = dataclasses.replace(
        settings,
        emergency_threshold=thresholds.get("emergency_threshold", settings.emergency_threshold),
        high_risk_threshold=thresholds.get("high_threshold", settings.high_risk_threshold),
        emergency_review_threshold=thresholds.get("emergency_review_threshold", settings.emergency_review_threshold),
        emergency_cue_floor=thresholds.get("emergency_cue_floor", settings.emergency_cue_floor),
    )
    return Classifier(pipelines, taxonomy=tax, settings=settings), info


def train(
    corpus_paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    seed: int = 42,
    feedback: Iterable = (),
    progress: Callable[[str], None] | None = None,
    taxonomy: Taxonomy | None = None,
    grid: Sequence[tuple[str, float]] = DEFAULT_GRID,
    cv_folds: int = 3,
    sentiment_category: str = "auto",
    feature_params: dict | None = None,
) -> ModelCard:
    """Train on the corpus files' training part (+ operator corrections), score on the fixed held-out
    part, and write the artifact to ``out_dir``.  Returns the model card (also in ``model.json``)."""
    tax = taxonomy or load_taxonomy()
    say = progress or (lambda _msg: None)
    corpus = read_corpus(corpus_paths, tax)
    say(f"read {len(corpus.items)} items from {len(corpus.files)} files ({len(corpus.problems)} skipped)")
    train_items, test_items = split(corpus.items)
    held_ids = {li.item.id for li in test_items}
    held_texts = {li.item.text for li in test_items}
    by_id = {li.item.id: i for i, li in enumerate(train_items)}
    used, skipped = 0, 0
    for fb in _as_feedback(feedback, tax):
        if fb.item.id in held_ids or fb.item.text in held_texts:
            skipped += 1  # never let a correction leak a held-out item into training
            continue
        if fb.item.id in by_id:  # a correction of a corpus item replaces its labels
            old = train_items[by_id[fb.item.id]]
            merged = {**old.labels, **fb.labels}
            train_items[by_id[fb.item.id]] = LabelledItem(fb.item, merged, old.group, "feedback")
        else:
            train_items.append(fb)
        used += 1
    say(f"split: {len(train_items)} training, {len(test_items)} held out; {used} corrections used")
    np.random.seed(seed)
    clf, info = fit_classifier(train_items, seed=seed, taxonomy=tax, grid=grid, cv_folds=cv_folds,
                               sentiment_category=sentiment_category, feature_params=feature_params,
                               progress=progress)
    say("evaluating on the held-out split")
    heldout = evaluate(clf, test_items) if test_items else {}
    now = dt.datetime.now(dt.UTC)
    card = ModelCard(
        artifact_version=f"{now:%Y%m%dT%H%M%SZ}-{hashlib.sha256(corpus.sha256.encode()).hexdigest()[:8]}",
        created_at=now.isoformat(timespec="seconds"),
        taxonomy_sha256=tax.sha256,
        data_sha256=corpus.sha256,
        data_files=[Path(f).name for f in corpus.files],
        seed=seed,
        counts=_counts(corpus.items, train_items, test_items),
        corrections_used=used,
        params={"grid": [list(g) for g in grid], "cv_folds": cv_folds, "corrections_skipped": skipped,
                "split": {"salt": "hotline-heldout-v1", "test_share": 0.2, "group": "repost_group or id"},
                **{k: v for k, v in info.items() if k != "cv"}},
        cv=info["cv"],
        heldout=heldout,
        problems=corpus.problems[:200],
    )
    save_artifact(clf, out_dir, card)
    say(f"wrote {Path(out_dir) / 'model.joblib'} ({card.artifact_version})")
    return card


def _counts(all_items, train_items, test_items) -> dict:
    def by(items, key):
        return dict(sorted(Counter(f"{li.item.type}:{li.labels.get(key)}" for li in items).items()))

    return {
        "total": len(all_items),
        "train": len(train_items),
        "heldout": len(test_items),
        "train_by_category": by(train_items, "category"),
        "heldout_by_category": by(test_items, "category"),
        "heldout_by_urgency": by([li for li in test_items if li.item.type == "ticket"], "urgency"),
    }
