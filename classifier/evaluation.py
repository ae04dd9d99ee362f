"""Evaluation of a classifier (model + rules) on labelled items -> a JSON-able report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .data import LabelledItem
from .schema import POSSIBLE_EMERGENCY, Item, Prediction
from .taxonomy import load_taxonomy

TARGETS = {
    "category_macro_f1": 0.90,
    "kind_macro_f1": 0.85,
    "agency_accuracy": 0.95,
    "emergency_recall": 0.98,
    "emergency_precision": 0.85,
    "county_accuracy": 0.97,
    "sentiment_relevance_f1": 0.92,
    "high_risk_recall": 0.90,
}


def _lead(category: str | None) -> str | None:
    """The gold agency of a ticket whose set does not label one: its gold category's lead."""
    if not category:
        return None
    cat = load_taxonomy().categories.get(category)
    return cat.lead if cat else None


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def head_metrics(gold: Sequence, pred: Sequence) -> dict:
    """Per-class precision / recall / F1 / support, macro-F1, accuracy and the confusion matrix.

    Macro-F1 averages over the classes present in the gold labels (a class never seen in gold
    but predicted still costs precision of nothing and is shown in the matrix)."""
    gold = [str(g) for g in gold]
    pred = [str(p) for p in pred]
    labels = sorted(set(gold) | set(pred))
    index = {lab: i for i, lab in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g]][index[p]] += 1
    per_class = {}
    for lab in labels:
        i = index[lab]
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted = sum(row[i] for row in matrix)
        precision, recall = _safe_div(tp, predicted), _safe_div(tp, support)
        f1 = _safe_div(2 * precision * recall, precision + recall)
        per_class[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    gold_labels = sorted(set(gold))
    macro = _safe_div(sum(per_class[lab]["f1"] for lab in gold_labels), len(gold_labels))
    accuracy = _safe_div(sum(matrix[i][i] for i in range(len(labels))), len(gold))
    return {"n": len(gold), "accuracy": accuracy, "macro_f1": macro, "per_class": per_class,
            "confusion": {"labels": labels, "matrix": matrix}}


def _binary(gold: Sequence[bool], pred: Sequence[bool]) -> dict:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    precision, recall = _safe_div(tp, tp + fp), _safe_div(tp, tp + fn)
    return {"precision": precision, "recall": recall, "f1": _safe_div(2 * precision * recall, precision + recall),
            "support": tp + fn, "predicted": tp + fp}


def _as_labelled(items: Iterable) -> list[LabelledItem]:
    out = []
    for x in items:
        if isinstance(x, LabelledItem):
            out.append(x)
        else:
            item, labels = x
            if not isinstance(item, Item):
                raise TypeError("evaluate() takes LabelledItem or (Item, labels) pairs")
            out.append(LabelledItem(item, dict(labels)))
    return out


def evaluate_predictions(labelled: Sequence[LabelledItem], preds: Sequence[Prediction]) -> dict:
    tickets = [(li, p) for li, p in zip(labelled, preds, strict=True) if li.item.type == "ticket"]
    sentiment = [(li, p) for li, p in zip(labelled, preds, strict=True) if li.item.type == "sentiment"]
    heads: dict[str, dict] = {}

    def add(name, pairs, key, attr=None):
        pairs = [(li.labels[key], getattr(p, attr or key)) for li, p in pairs if li.labels.get(key) is not None]
        if pairs:
            heads[name] = head_metrics([g for g, _ in pairs], [p for _, p in pairs])

    add("category", tickets, "category")
    agencies = [(li.labels.get("agency") or _lead(li.labels.get("category")), p.agency) for li, p in tickets]
    agencies = [(g, p) for g, p in agencies if g]
    if agencies:
        heads["agency"] = head_metrics([g for g, _ in agencies], [p for _, p in agencies])
    add("kind", tickets, "kind")
    add("urgency", tickets, "urgency")
    add("relevant", sentiment, "relevant")
    add("sentiment_category", sentiment, "category")
    add("polarity", sentiment, "polarity")
    add("risk", sentiment, "risk")
    report: dict = {"n": {"tickets": len(tickets), "sentiment": len(sentiment)}, "heads": heads}

    urg = [(li.labels["urgency"] == "emergency", p.urgency == "emergency") for li, p in tickets if "urgency" in li.labels]
    if urg:
        report["emergency"] = _binary([g for g, _ in urg], [p for _, p in urg])
        marked = [POSSIBLE_EMERGENCY in p.review_reasons for li, p in tickets if "urgency" in li.labels]
        caught = sum(1 for g, pred in urg if g and pred)
        missed_marked = sum(1 for (g, pred), m in zip(urg, marked, strict=True) if g and not pred and m)
        report["emergency"].update(
            missed=report["emergency"]["support"] - caught,
            missed_marked_possible=missed_marked,
            possible_share=_safe_div(sum(marked), len(marked)),
            recall_with_review=_safe_div(caught + missed_marked, report["emergency"]["support"]),
        )
    rel = [(bool(li.labels["relevant"]), bool(p.relevant)) for li, p in sentiment if "relevant" in li.labels]
    if rel:
        report["sentiment_relevance"] = _binary([g for g, _ in rel], [p for _, p in rel])
    risk = [(li.labels["risk"] == "high", p.risk == "high") for li, p in sentiment if "risk" in li.labels]
    if risk:
        report["high_risk"] = _binary([g for g, _ in risk], [p for _, p in risk])

    named = [(li, p) for li, p in zip(labelled, preds, strict=True) if li.labels.get("prefecture")]
    unnamed = [(li, p) for li, p in zip(labelled, preds, strict=True)
               if "prefecture" in li.labels and not li.labels.get("prefecture")]
    report["place"] = {
        "n_named": len(named),
        "county_accuracy": _safe_div(sum(1 for li, p in named if (p.prefecture, p.county)
                                         == (li.labels["prefecture"], li.labels.get("county"))), len(named)),
        "prefecture_accuracy": _safe_div(sum(1 for li, p in named if p.prefecture == li.labels["prefecture"]),
                                         len(named)),
        "n_unnamed": len(unnamed),
        "null_accuracy": _safe_div(sum(1 for li, p in unnamed if p.prefecture is None), len(unnamed)),
    }
    flagged = [(li, p) for li, p in tickets if p.needs_review]
    report["review"] = {
        "rate": _safe_div(sum(1 for p in preds if p.needs_review), len(preds)),
        "ticket_category_accuracy_flagged": _safe_div(
            sum(1 for li, p in flagged if p.category == li.labels.get("category")), len(flagged)),
        "ticket_category_accuracy_unflagged": _safe_div(
            sum(1 for li, p in tickets if not p.needs_review and p.category == li.labels.get("category")),
            len(tickets) - len(flagged)),
        "reasons": dict(Counter(r for p in preds for r in p.review_reasons)),
    }
    report["summary"] = _summary(report)
    return report


def _summary(report: dict) -> dict:
    heads = report["heads"]
    values = {
        "category_macro_f1": heads.get("category", {}).get("macro_f1"),
        "kind_macro_f1": heads.get("kind", {}).get("macro_f1"),
        "agency_accuracy": heads.get("agency", {}).get("accuracy"),
        "urgency_macro_f1": heads.get("urgency", {}).get("macro_f1"),
        "emergency_recall": report.get("emergency", {}).get("recall"),
        "emergency_precision": report.get("emergency", {}).get("precision"),
        "emergency_recall_with_review": report.get("emergency", {}).get("recall_with_review"),
        "county_accuracy": report["place"]["county_accuracy"] if report["place"]["n_named"] else None,
        "prefecture_accuracy": report["place"]["prefecture_accuracy"] if report["place"]["n_named"] else None,
        "sentiment_relevance_f1": report.get("sentiment_relevance", {}).get("f1"),
        "sentiment_category_macro_f1": heads.get("sentiment_category", {}).get("macro_f1"),
        "polarity_macro_f1": heads.get("polarity", {}).get("macro_f1"),
        "risk_macro_f1": heads.get("risk", {}).get("macro_f1"),
        "high_risk_recall": report.get("high_risk", {}).get("recall"),
    }
    return {k: v for k, v in values.items() if v is not None}


def evaluate(classifier, labelled_items: Iterable) -> dict:
    """Run ``classifier`` on labelled items (``LabelledItem`` or ``(Item, labels)`` pairs) and score it."""
    labelled = _as_labelled(labelled_items)
    preds = classifier.predict([li.item for li in labelled], explain=False)
    return evaluate_predictions(labelled, preds)


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def format_report(report: dict) -> str:
    """A readable text version of an :func:`evaluate` report."""
    lines = [f"items: {report['n']['tickets']} tickets, {report['n']['sentiment']} sentiment", ""]
    lines.append(f"{'measure':32} {'value':>7}  {'target':>7}")
    for key, value in report["summary"].items():
        target = TARGETS.get(key)
        mark = "" if target is None else ("  ok" if value >= target else "  MISSED")
        lines.append(f"{key:32} {_fmt(value):>7}  {_fmt(target) if target else '':>7}{mark}")
    place = report["place"]
    lines.append(f"(place named in {place['n_named']} items; no place in {place['n_unnamed']}, "
                 f"null kept in {_fmt(place['null_accuracy'])})")
    em = report.get("emergency", {})
    if "possible_share" in em:
        lines.append(f"marked possible emergency (疑似特急) {_fmt(em['possible_share'])} of tickets, "
                     f"{em['missed_marked_possible']} of the {em['missed']} missed emergencies among them")
    rv = report.get("review", {})
    lines.append(f"needs_review rate {_fmt(rv.get('rate', 0.0))}; ticket category accuracy flagged "
                 f"{_fmt(rv.get('ticket_category_accuracy_flagged', 0.0))} / unflagged "
                 f"{_fmt(rv.get('ticket_category_accuracy_unflagged', 0.0))}")
    for name, h in report["heads"].items():
        lines += ["", f"== {name}: n={h['n']} accuracy={_fmt(h['accuracy'])} macro-F1={_fmt(h['macro_f1'])}",
                  f"{'class':26} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}"]
        for lab, m in h["per_class"].items():
            lines.append(f"{lab:26} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}")
        labels = h["confusion"]["labels"]
        if len(labels) <= 18:
            short = [lab[:5] for lab in labels]
            lines.append("confusion (rows gold, columns predicted):")
            lines.append(" " * 26 + " ".join(f"{s:>5}" for s in short))
            for lab, row in zip(labels, h["confusion"]["matrix"], strict=True):
                lines.append(f"{lab:26}" + " ".join(f"{v:5d}" for v in row))
    return "\n".join(lines)
