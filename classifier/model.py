"""The classifier: one scikit-learn Pipeline per head plus the rule layer -> Prediction."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from .explain import TextEvidence
from .features import feature_names, linear_coef
from .rules import findings_for_normalized, raise_urgency, route
from .schema import POSSIBLE_EMERGENCY, Item, Prediction
from .taxonomy import Taxonomy, load_taxonomy
from .text import _tokens, char_ngrams, item_text, normalize, tokenize

TICKET_HEADS = ("category", "kind", "urgency")
#: every explanation key a prediction can carry (tickets: the three heads; sentiment: relevant, category, risk,
#: polarity)
_EXPLAINED = frozenset({*TICKET_HEADS, "relevant", "risk", "polarity"})
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
    #: P(emergency) at or above which a ticket the model does not call an emergency is still marked for review
    #: as a possible emergency (疑似特急), so an operator asks the caller (None: never)
    emergency_review_threshold: float | None = None
    #: P(emergency) under which an emergency cue no longer raises a ticket's urgency by itself: the ticket is
    #: marked as a possible emergency for review instead (None: a cue always raises it)
    emergency_cue_floor: float | None = None
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
        self._label_weights: dict = {}  # label -> its weight vector (the negated one made once)

    def proba(self, xs) -> np.ndarray:
        return self.clf.predict_proba(xs)

    def contributions(self, row: tuple[np.ndarray, np.ndarray], label, top: int = 10) -> list[tuple[int, float]]:
        """Top positive (feature index, value x weight) for ``label``; ``row`` = (indices, values)."""
        if self.coef is None:
            return []
        idx, contrib = self._top(row, label, top)
        return [(j, c) for j, c in zip(idx, contrib, strict=True) if c > 0]

    def evidence(self, row: tuple[np.ndarray, np.ndarray], label, top: int, names: list[str]) -> list[tuple[str, float]]:
        """:meth:`contributions` with each feature index replaced by its name (``names``)."""
        return [(names[j], c) for j, c in self.contributions(row, label, top)]

    def _weights(self, label) -> np.ndarray:
        w = self._label_weights.get(label)
        if w is None:
            ci = self.classes.index(label)
            if self.coef.shape[0] == 1:  # binary: one weight vector for classes_[1]
                w = self.coef[0] if ci == 1 else -self.coef[0]
            else:
                w = self.coef[ci]
            self._label_weights[label] = w
        return w

    def _top(self, row: tuple[np.ndarray, np.ndarray], label, top: int) -> tuple[list[int], list[float]]:
        idx, vals = row
        contrib = vals * self._weights(label)[idx]
        if len(contrib) > top:
            keep = np.argpartition(-contrib, top)[:top]
            idx, contrib = idx[keep], contrib[keep]
        order = np.argsort(-contrib)
        return idx[order].tolist(), contrib[order].tolist()


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
        self._names: dict[int, list[str]] = {}
        for head in self.heads.values():  # prepare the fast transform now, not on the first request
            _union_plan(head.features)

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

    def _feature_names(self, head: _Head) -> list[str]:
        key = id(head.features)
        names = self._names.get(key)
        if names is None:
            names = self._names[key] = [str(n) for n in feature_names(head.features)]
        return names

    def _explain(self, head: _Head, xs, i: int, label, text: TextEvidence) -> list[tuple[str, float]]:
        """The words and phrases of ``text`` (normalised) that carried ``label`` (see ``explain.readable``)."""
        if label not in head.classes:
            return []
        lo, hi = xs.indptr[i], xs.indptr[i + 1]
        evidence = head.evidence((xs.indices[lo:hi], xs.data[lo:hi]), label, EVIDENCE_FEATURES,
                                 self._feature_names(head))
        return text.readable(evidence, self.settings.explain_top)

    # -- prediction ----------------------------------------------------------------------------
    def predict(self, items: Sequence[Item], *, explain: bool | Collection[str] = True) -> list[Prediction]:
        """Classify a batch; the output has the same order as ``items``. ``explain``: every head's
        explanation (True), none (False), or only these explanation keys (e.g. ``("category",)``)."""
        items = list(items)
        explain = _EXPLAINED if explain is True else frozenset(explain or ())
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
        # per batch, not per item: the argmax of each head and the probabilities as Python floats
        best = {h: np.argmax(probs[h], axis=1).tolist() for h in heads}
        plain = {h: probs[h].tolist() for h in heads}
        classes_of = {h: self.heads[h].classes for h in heads}
        preds = []
        for r, i in enumerate(idx):
            f = rules[i]
            labels, scores, reasons = {}, {}, []
            for h in heads:
                labels[h] = classes_of[h][best[h][r]]
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
            p_emergency = _proba_of(classes_of["urgency"], plain["urgency"][r], "emergency")
            cue_raises = f.emergency and (s.emergency_cue_floor is None or p_emergency >= s.emergency_cue_floor)
            urgency = raise_urgency(labels["urgency"], cue_raises)
            if urgency != labels["urgency"]:
                reasons.append("emergency cue raised urgency")
            if category == "other":
                urgency = "normal"  # boundary rule 12
            labels["urgency"] = urgency
            if urgency != "emergency" and (f.emergency or (s.emergency_review_threshold is not None
                                                           and p_emergency >= s.emergency_review_threshold)):
                reasons.append(POSSIBLE_EMERGENCY)
            for h in heads:
                scores[h] = _proba_of(classes_of[h], plain[h][r], labels[h])
            confidence = min(scores.values())
            if confidence < s.review_threshold:
                reasons.append("low confidence")
            lead, co = route(category, urgency == "emergency", self.taxonomy)
            wanted = [h for h in heads if h in explain]
            text = TextEvidence(norm[i]) if wanted else None
            explanation = {h: self._explain(self.heads[h], xs[h], r, labels[h], text) for h in wanted}
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
            p_rel = float(_proba_of(rel_classes, probs["relevant"][r], True))
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
            shown = {"relevant": ("relevant", relevant), "polarity": ("polarity", polarity)}
            if relevant:
                shown.update(category=(cat_head, category), risk=("risk", risk))
            wanted = [key for key in ("relevant", "category", "risk", "polarity") if key in shown and key in explain]
            text = TextEvidence(norm[i]) if wanted else None
            explanation = {key: self._explain(self.heads[shown[key][0]], xs[shown[key][0]], r, shown[key][1], text)
                           for key in wanted}
            preds.append(Prediction(
                id=ids[i], type="sentiment", category=category, agency=lead, co_agencies=co,
                prefecture=f.prefecture, county=f.county, relevant=relevant, polarity=polarity, risk=risk,
                confidence=confidence, needs_review=bool(reasons), explanation=explanation, scores=scores,
                cues=f.cue_texts, review_reasons=tuple(reasons),
            ))
        return preds


def _proba_of(classes: list, proba: Sequence[float], label) -> float:
    """P(label) from one row of a head's probabilities; 0 for a label the head never saw."""
    return proba[classes.index(label)] if label in classes else 0.0


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
    milliseconds per call): the fitted TF-IDF parts are computed together by :class:`_UnionPlan` (our
    word and char analysers) or by :func:`_tfidf_parts` (any other analyser) and assembled into one CSR
    matrix directly."""
    plan = _union_plan(features)
    if plan is not None:
        return plan.transform(texts)
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


def _word_grams(doc: str) -> list[str]:
    """What scikit-learn's word analyser gives for our tokenizer / preprocessor and ngram_range (1, 2)."""
    toks = _tokens(normalize(doc))
    return [*toks, *map(" ".join, zip(toks, toks[1:], strict=False))]


def _char_grams(doc: str) -> Iterable[str]:
    """The n-grams of ``text.char_ngrams(doc)`` (1-3 grams; same multiset), built by C-level iteration."""
    t = normalize(doc)
    bi = list(map(str.__add__, t, t[1:]))
    return itertools.chain(t, bi, map(str.__add__, bi, t[2:]))


def _fast_analyzer(vec: TfidfVectorizer):
    """A faster equivalent of ``vec.build_analyzer()`` for the two analysers this package fits, or None."""
    if vec.input != "content" or vec.decode_error != "strict" or vec.strip_accents is not None:
        return None
    if vec.analyzer is char_ngrams:
        return _char_grams
    if (vec.analyzer == "word" and vec.tokenizer is tokenize and vec.preprocessor is normalize
            and vec.stop_words is None and tuple(vec.ngram_range) == (1, 2)):
        return _word_grams
    return None


class _UnionPlan:
    """A fitted word + char TF-IDF union prepared for transforming batches: one vocabulary look-up per
    n-gram straight to the union's column, one sort for the whole batch, per-part sublinear tf, idf and
    norm in NumPy.  Equal, value for value, to scikit-learn's transform (tested)."""

    def __init__(self, parts: list[TfidfVectorizer], analyzers: list):
        self.analyzers = analyzers
        self.sources = [(vec, vec.vocabulary_) for vec in parts]  # a refit replaces vocabulary_
        self.vocabularies: list[dict[str, int]] = []
        offsets, offset = [], 0
        for vec in parts:
            # plain ints (not NumPy's) make the batch's column array faster to build
            self.vocabularies.append({k: int(v) + offset for k, v in vec.vocabulary_.items()})
            offsets.append(offset)
            offset += len(vec.vocabulary_)
        self.n_features = offset
        # char 1-3 grams are looked up for the whole batch at once (_CharTable), the rest text by text
        parts_of = list(zip(analyzers, self.vocabularies, strict=True))
        self.word_parts = [(a, v) for a, v in parts_of if a is not _char_grams]
        self.char_tables = [_CharTable(v) for a, v in parts_of if a is _char_grams]
        self.starts = np.asarray(offsets[1:], dtype=np.int64)  # column -> part by searchsorted
        self.n_parts = len(parts)
        self.binary = [bool(v.binary) for v in parts]
        self.sublinear = [bool(v.sublinear_tf) for v in parts]
        self.norm = [v.norm if v.norm in ("l1", "l2") else None for v in parts]
        self.idf = np.concatenate([np.asarray(v.idf_, dtype=np.float64) if v.use_idf
                                   else np.ones(len(v.vocabulary_)) for v in parts])
        self.use_idf = any(v.use_idf for v in parts)
        dtypes = {np.dtype(v.dtype) for v in parts}
        self.dtype = dtypes.pop() if len(dtypes) == 1 else np.float64

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        n = len(texts)
        ids: list[int] = []
        lengths = np.zeros(n, dtype=np.int64)
        pairs, chars = self.word_parts, self.char_tables
        for i, doc in enumerate(texts):
            before = len(ids)
            for analyze, vocab in pairs:
                ids.extend(map(vocab.get, analyze(doc), itertools.repeat(-1)))
            lengths[i] = len(ids) - before
        col = np.fromiter(ids, dtype=np.int64, count=len(ids))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        known = col >= 0
        rows, col = rows[known], col[known]
        for table in chars:  # the n-gram counts do not depend on the order of the entries
            more_rows, more_cols = table.lookup(texts)
            rows, col = np.concatenate((rows, more_rows)), np.concatenate((col, more_cols))
        keys, counts = np.unique(rows * self.n_features + col, return_counts=True)
        rows, cols = keys // self.n_features, keys % self.n_features
        vals = counts.astype(np.float64)
        part = np.searchsorted(self.starts, cols, side="right") if self.n_parts > 1 else np.zeros(len(cols), np.int64)
        # every step is element-wise, or sums each (row, part) in column order: the same floating-point
        # operations as transforming each part on its own (_tfidf_parts)
        for k, sel in self._part_masks(part, self.binary, self.sublinear):
            if self.binary[k]:
                vals[sel] = 1.0
            if self.sublinear[k]:
                vals[sel] = np.log(vals[sel]) + 1.0
        if self.use_idf:
            vals *= self.idf[cols]
        if any(self.norm):
            bins = rows * self.n_parts + part
            denom = np.ones(n * self.n_parts)
            for k, sel in self._part_masks(part, self.norm):
                norm = self.norm[k]
                weights = vals[sel] ** 2 if norm == "l2" else np.abs(vals[sel])
                norms = np.bincount(bins[sel], weights=weights, minlength=n * self.n_parts)
                if norm == "l2":
                    norms = np.sqrt(norms)
                norms[norms == 0] = 1.0
                if isinstance(sel, slice):
                    denom = norms
                else:
                    denom[k :: self.n_parts] = norms[k :: self.n_parts]
            vals = vals / denom[bins]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_matrix((vals.astype(self.dtype), cols, indptr), shape=(n, self.n_features))


    def _part_masks(self, part: np.ndarray, *settings: list) -> list[tuple[int, object]]:
        """(part, selector of its entries) for the parts whose ``settings`` ask for a step; one slice
        over every entry when all parts ask for the same."""
        active = [k for k in range(self.n_parts) if any(flags[k] for flags in settings)]
        if not active:
            return []
        if len(active) == self.n_parts and all(len({*map(str, flags)}) == 1 for flags in settings):
            return [(0, slice(None))]
        return [(k, part == k) for k in active]


class _CharTable:
    """The columns of a char 1-3 gram vocabulary keyed by code points (an n-gram of code points c1..cn as
    c1 << 21(n-1) | … | cn, one sorted array per n), so that a whole batch is looked up with NumPy instead
    of one string and one dictionary look-up per n-gram. The same (row, column) entries as
    ``map(vocab.get, _char_grams(doc))`` (tested through the transform)."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.tables = []
        for n in (1, 2, 3):  # the analyser makes no other length
            grams = [gram for gram in vocabulary if len(gram) == n]
            points = _points("".join(grams)).astype(np.uint64).reshape(len(grams), n)
            keys = points[:, 0].copy()
            for k in range(1, n):
                keys = (keys << np.uint64(21)) | points[:, k]
            columns = np.fromiter(map(vocabulary.__getitem__, grams), dtype=np.int64, count=len(grams))
            order = np.argsort(keys, kind="stable")
            self.tables.append((keys[order], columns[order]))

    def lookup(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the known 1-3 grams of each normalised text."""
        points = [_points(normalize(doc)) for doc in texts]
        lengths = np.fromiter(map(len, points), dtype=np.int64, count=len(points))
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        p = np.concatenate(points).astype(np.uint64) if points else np.zeros(0, np.uint64)
        rows, cols = [], []
        for n, (keys, columns) in enumerate(self.tables, start=1):
            m = len(p) - n + 1
            if m <= 0 or not len(keys):
                continue
            gram = p[:m].copy()
            for k in range(1, n):
                gram = (gram << np.uint64(21)) | p[k:k + m]
            pos = np.minimum(np.searchsorted(keys, gram), len(keys) - 1)
            hit = (keys[pos] == gram) & (doc[:m] == doc[n - 1:n - 1 + m])  # known, and within one text
            rows.append(doc[:m][hit])
            cols.append(columns[pos[hit]])
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(rows), np.concatenate(cols)


def _points(text: str) -> np.ndarray:
    """The code points of TEXT (lone surrogates included, as Python counts them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


#: fitted FeatureUnion -> its plan (weak keys: a replaced model's union can be freed)
_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _union_plan(features) -> _UnionPlan | None:
    """The plan of a fitted union of our TF-IDF parts (cached while the union is not refitted), else None."""
    if not isinstance(features, FeatureUnion) or features.transformer_weights:
        return None
    parts = [t for _, t in features.transformer_list if t not in ("drop", "passthrough")]
    if not parts or not all(isinstance(t, TfidfVectorizer) and hasattr(t, "vocabulary_") for t in parts):
        return None
    cached = _PLANS.get(features)
    if cached is not None and len(cached.sources) == len(parts) and all(
            vec is part and vocab is part.vocabulary_ for (vec, vocab), part in zip(cached.sources, parts, strict=True)):
        return cached
    analyzers = [_fast_analyzer(t) for t in parts]
    if not all(a is not None for a in analyzers):
        return None
    plan = _PLANS[features] = _UnionPlan(parts, analyzers)
    return plan


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
