"""The classifier: one scikit-learn Pipeline per head plus the rule layer -> Prediction."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .explain import readable
from .features import feature_names, linear_coef
from .rules import findings_for_normalized, raise_urgency, route
from .schema import Item, Prediction
from .taxonomy import Taxonomy, load_taxonomy
from .text import item_text, normalize

TICKET_HEADS = ("category", "kind", "urgency")
#: features whose contributions are turned into the explanation's phrases
EVIDENCE_FEATURES = 40
SENTIMENT_HEADS = ("relevant", "polarity", "risk")  # + "sentiment_category" or the shared "category"


@dataclass
class Settings:
    """Decision thresholds stored with the model."""

    #: a head whose top probability is below this marks the prediction for review
    review_threshold: float = 0.5
    #: probs(relevant) at or above which a sentiment item is relevant
    relevant_threshold: float = 0.5
    #: P(emergency) at or above which the urgency head says emergency (None: the most probable class)
    emergency_threshold: float | None = None
    #: P(high) at or above which the risk head says high for a relevant sentiment item (None: argmax)
    high_risk_threshold: float | None = None
    #: terms per head in the explanation
    explain_top: int = 6
    extra: dict = field(default_factory=dict)


class _Head:
    """A fitted head with its linear weights prepared for explanations."""

    def __init__(self, name: str, pipeline: Pipeline):
        self.name = name
        self.pipeline = pipeline
        self.features = pipeline.steps[0][1]
        self.clf = pipeline.steps[-1][1]
        self.classes = list(self.clf.classes_)
        lc = linear_coef(self.clf)
        self.coef = None if lc is None else np.asarray(lc[0], dtype=np.float64)

    def proba(self, xs) -> np.ndarray:
        return self.clf.predict_proba(xs)

    def contributions(self, row: tuple[np.ndarray, np.ndarray], label, top: int = 10) -> list[tuple[int, float]]:
        """Top positive (feature index, value x weight) for ``label``; ``row`` = (indices, values)."""
        if self.coef is None:
            return []
        ci = self.classes.index(label)
        if self.coef.shape[0] == 1:  # binary: one weight vector for classes_[1]
            w = self.coef[0] if ci == 1 else -self.coef[0]
        else:
            w = self.coef[ci]
        idx, vals = row
        contrib = vals * w[idx]
        if len(contrib) > top:
            keep = np.argpartition(-contrib, top)[:top]
            idx, contrib = idx[keep], contrib[keep]
        order = np.argsort(-contrib)
        return [(int(idx[j]), float(contrib[j])) for j in order if contrib[j] > 0]


class Classifier:
    """Predicts category / kind / urgency for tickets and relevant / category / polarity / risk for
    sentiment items, then applies the rule layer (place, emergency cues, routing)."""

    def __init__(self, heads: dict[str, Pipeline], *, taxonomy: Taxonomy | None = None,
                 settings: Settings | None = None, card: dict | None = None):
        missing = [h for h in (*TICKET_HEADS, *SENTIMENT_HEADS) if h not in heads]
        if missing:
            raise ValueError(f"classifier is missing heads {missing}")
        self.taxonomy = taxonomy or load_taxonomy()
        self.settings = settings or Settings()
        self.card = card or {}
        self.pipelines = dict(heads)
        self.heads = {name: _Head(name, p) for name, p in heads.items()}
        self._names: dict[int, np.ndarray] = {}

    @property
    def sentiment_category_head(self) -> str:
        return "sentiment_category" if "sentiment_category" in self.heads else "category"

    # -- features ------------------------------------------------------------------------------
    def _transform(self, heads: Sequence[str], texts: list[str]) -> dict[str, object]:
        """Feature matrices per head, computing each distinct (shared) feature union once."""
        cache: dict[int, object] = {}
        out = {}
        for name in heads:
            feats = self.heads[name].features
            key = id(feats)
            if key not in cache:
                cache[key] = _union_transform(feats, texts)
            out[name] = cache[key]
        return out

    def _term(self, head: _Head, j: int) -> str:
        key = id(head.features)
        if key not in self._names:
            self._names[key] = feature_names(head.features)
        return str(self._names[key][j])

    def _explain(self, head: _Head, xs, i: int, label, text: str) -> list[tuple[str, float]]:
        """The words and phrases of ``text`` (normalised) that carried ``label`` (see ``explain.readable``)."""
        if label not in head.classes:
            return []
        lo, hi = xs.indptr[i], xs.indptr[i + 1]
        evidence = head.contributions((xs.indices[lo:hi], xs.data[lo:hi]), label, EVIDENCE_FEATURES)
        return readable(text, [(self._term(head, j), v) for j, v in evidence], self.settings.explain_top)

    # -- prediction ----------------------------------------------------------------------------
    def predict(self, items: Sequence[Item], *, explain: bool = True) -> list[Prediction]:
        """Classify a batch; the output has the same order as ``items``."""
        items = list(items)
        if not items:
            return []
        norm = [normalize(item_text(it.text, it.title)) for it in items]
        rules = [findings_for_normalized(t, self.taxonomy) for t in norm]
        out: list[Prediction | None] = [None] * len(items)
        tickets = [i for i, it in enumerate(items) if it.type == "ticket"]
        sentiment = [i for i, it in enumerate(items) if it.type == "sentiment"]
        ids = [it.id for it in items]
        if tickets:
            for i, p in zip(tickets, self._predict_tickets(tickets, ids, norm, rules, explain), strict=True):
                out[i] = p
        if sentiment:
            for i, p in zip(sentiment, self._predict_sentiment(sentiment, ids, norm, rules, explain), strict=True):
                out[i] = p
        return out  # type: ignore[return-value]

    def _probs(self, heads: Sequence[str], texts: list[str]):
        xs = self._transform(heads, texts)
        return xs, {h: self.heads[h].proba(xs[h]) for h in heads}

    def _predict_tickets(self, idx, ids, norm, rules, explain):
        heads = TICKET_HEADS
        xs, probs = self._probs(heads, [norm[i] for i in idx])
        s = self.settings
        preds = []
        for r, i in enumerate(idx):
            f = rules[i]
            labels, scores, reasons = {}, {}, []
            for h in heads:
                j = int(np.argmax(probs[h][r]))
                labels[h] = self.heads[h].classes[j]
            labels["urgency"] = _thresholded(self.heads["urgency"].classes, probs["urgency"][r], "emergency",
                                             s.emergency_threshold)
            category = labels["category"]
            if f.emergency and category == "other":
                # the rules see a child in danger: take the best child-welfare category, ask for review
                order = np.argsort(-probs["category"][r])
                classes = self.heads["category"].classes
                category = next(classes[j] for j in order if classes[j] != "other")
                reasons.append("emergency cue on a non-child-welfare category")
            labels["category"] = category
            urgency = raise_urgency(labels["urgency"], f.emergency)
            if urgency != labels["urgency"]:
                reasons.append("emergency cue raised urgency")
            if category == "other":
                urgency = "normal"  # boundary rule 12
            labels["urgency"] = urgency
            for h in heads:
                classes = self.heads[h].classes
                scores[h] = float(probs[h][r][classes.index(labels[h])]) if labels[h] in classes else 0.0
            confidence = min(scores.values())
            if confidence < s.review_threshold:
                reasons.append("low confidence")
            lead, co = route(category, urgency == "emergency", self.taxonomy)
            explanation = {h: self._explain(self.heads[h], xs[h], r, labels[h], norm[i]) for h in heads} if explain else {}
            preds.append(Prediction(
                id=ids[i], type="ticket", category=category, kind=labels["kind"], urgency=urgency,
                agency=lead, co_agencies=co, prefecture=f.prefecture, county=f.county,
                confidence=confidence, needs_review=bool(reasons), explanation=explanation, scores=scores,
                cues=f.cue_texts, review_reasons=tuple(reasons),
            ))
        return preds

    def _predict_sentiment(self, idx, ids, norm, rules, explain):
        cat_head = self.sentiment_category_head
        heads = ("relevant", cat_head, "polarity", "risk")
        xs, probs = self._probs(heads, [norm[i] for i in idx])
        s = self.settings
        rel_classes = self.heads["relevant"].classes
        preds = []
        for r, i in enumerate(idx):
            f = rules[i]
            reasons = []
            p_rel = float(probs["relevant"][r][rel_classes.index(True)]) if True in rel_classes else 0.0
            relevant = p_rel >= s.relevant_threshold
            scores = {"relevant": p_rel if relevant else 1.0 - p_rel}
            cat_classes = self.heads[cat_head].classes
            if relevant:
                order = np.argsort(-probs[cat_head][r])
                j = next((j for j in order if cat_classes[j] != "other"), order[0])
                category = cat_classes[j]
                scores["category"] = float(probs[cat_head][r][j])
            else:
                category = "other"
            pol_classes = self.heads["polarity"].classes
            j = int(np.argmax(probs["polarity"][r]))
            polarity = pol_classes[j]
            scores["polarity"] = float(probs["polarity"][r][j])
            risk_classes = self.heads["risk"].classes
            if relevant:
                risk = _thresholded(risk_classes, probs["risk"][r], "high", s.high_risk_threshold)
                scores["risk"] = float(probs["risk"][r][risk_classes.index(risk)])
                if f.emergency and risk != "high":
                    risk = "high"
                    reasons.append("emergency cue raised risk")
            else:
                risk = "low"  # taxonomy: an irrelevant item is category other, risk low
            confidence = min(scores.values())
            if confidence < s.review_threshold:
                reasons.append("low confidence")
            lead, co = route(category, relevant and f.emergency, self.taxonomy)
            explanation = {}
            if explain:
                explanation["relevant"] = self._explain(self.heads["relevant"], xs["relevant"], r, relevant, norm[i])
                if relevant:
                    explanation["category"] = self._explain(self.heads[cat_head], xs[cat_head], r, category, norm[i])
                    explanation["risk"] = self._explain(self.heads["risk"], xs["risk"], r, risk, norm[i])
                explanation["polarity"] = self._explain(self.heads["polarity"], xs["polarity"], r, polarity, norm[i])
            preds.append(Prediction(
                id=ids[i], type="sentiment", category=category, agency=lead, co_agencies=co,
                prefecture=f.prefecture, county=f.county, relevant=relevant, polarity=polarity, risk=risk,
                confidence=confidence, needs_review=bool(reasons), explanation=explanation, scores=scores,
                cues=f.cue_texts, review_reasons=tuple(reasons),
            ))
        return preds


def _thresholded(classes: list, proba, label, threshold: float | None):
    """argmax, except that ``label`` wins whenever P(label) >= threshold and loses below it."""
    order = np.argsort(-proba)
    if threshold is None or label not in classes:
        return classes[int(order[0])]
    if proba[classes.index(label)] >= threshold:
        return label
    return next(classes[int(j)] for j in order if classes[int(j)] != label)


def _union_transform(features, texts: list[str]):
    """``FeatureUnion.transform`` without its joblib dispatch and per-call validation (which cost
    milliseconds per call): fitted TF-IDF parts are computed by :func:`_tfidf_parts` and assembled
    into one CSR matrix directly."""
    if isinstance(features, FeatureUnion) and not features.transformer_weights:
        parts = [t for _, t in features.transformer_list if t not in ("drop", "passthrough")]
        if all(isinstance(t, TfidfVectorizer) for t in parts):
            n = len(texts)
            rows, cols, vals, offset = [], [], [], 0
            for vec in parts:
                r, c, v = _tfidf_parts(vec, texts)
                rows.append(r)
                cols.append(c + offset)
                vals.append(v)
                offset += len(vec.vocabulary_)
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
            order = np.lexsort((c, r))
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(r, minlength=n), out=indptr[1:])
            return sp.csr_matrix((v[order], c[order], indptr), shape=(n, offset))
        return sp.hstack([t.transform(texts) for t in parts], format="csr")
    return features.transform(texts).tocsr()


#: fitted vectoriser -> its analyser (weak keys: a replaced model's vectorisers can be freed)
_ANALYZERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tfidf_parts(vec: TfidfVectorizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, values) of ``vec.transform(texts)`` for a fitted TfidfVectorizer, sorted by row
    then column: raw counts -> sublinear tf -> idf -> l1/l2 norm, with bulk dictionary look-ups and
    NumPy instead of scikit-learn's per-feature loop."""
    analyze = _ANALYZERS.get(vec)
    if analyze is None:
        analyze = _ANALYZERS[vec] = vec.build_analyzer()
    grams = [analyze(doc) for doc in texts]
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    ids = np.fromiter(map(vec.vocabulary_.get, itertools.chain.from_iterable(grams), itertools.repeat(-1)),
                      dtype=np.int64, count=int(lengths.sum()))
    n_features = len(vec.vocabulary_)
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    known = ids >= 0
    keys, counts = np.unique(rows[known] * n_features + ids[known], return_counts=True)
    rows, cols = keys // n_features, keys % n_features
    vals = counts.astype(np.float64)
    if vec.binary:
        vals[:] = 1.0
    if vec.sublinear_tf:
        vals = np.log(vals) + 1.0
    if vec.use_idf:
        vals *= vec.idf_[cols]
    if vec.norm in ("l1", "l2"):
        weights = vals**2 if vec.norm == "l2" else np.abs(vals)
        norms = np.bincount(rows, weights=weights, minlength=len(texts))
        if vec.norm == "l2":
            norms = np.sqrt(norms)
        norms[norms == 0] = 1.0
        vals = vals / norms[rows]
    return rows, cols, vals.astype(vec.dtype)


def fast_tfidf_transform(vec: TfidfVectorizer, texts: list[str]):
    """Same matrix as ``vec.transform(texts)`` (a unit test checks it), via :func:`_tfidf_parts`."""
    rows, cols, vals = _tfidf_parts(vec, texts)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vec.vocabulary_)))
