"""Label counts and diversity of the labelled corpus (the figures in classifier/corpus/DATASHEET.md).

    python bench/corpus_stats.py

Diversity: distinct character 4-grams / all character 4-grams over the texts (1.0 = no 4-gram repeats);
a templated corpus that differs only in slot values scores far lower. Also the share of texts whose
nearest other text (by 4-gram Jaccard, within the same file) shares more than half of its 4-grams.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "classifier" / "corpus"


def grams(text: str) -> set[str]:
    return {text[i : i + 4] for i in range(len(text) - 3)}


def ratio(texts: list[str]) -> float:
    total = sum(max(len(t) - 3, 0) for t in texts)
    distinct = set().union(*(grams(t) for t in texts)) if texts else set()
    return len(distinct) / total if total else 0.0


def near_duplicates(texts: list[str]) -> float:
    sets = [grams(t) for t in texts]
    index: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for g in s:
            index.setdefault(g, []).append(i)
    close = 0
    for i, s in enumerate(sets):
        shared = Counter(j for g in s for j in index[g] if j != i)
        if shared and max(shared[j] / len(s | sets[j]) for j in shared) > 0.5:
            close += 1
    return close / len(sets) if sets else 0.0


def main() -> None:
    rows = [json.loads(line) for f in sorted(CORPUS.glob("*.jsonl")) for line in f.open(encoding="utf-8") if line.strip()]
    tickets = [r for r in rows if r["type"] == "ticket"]
    sentiment = [r for r in rows if r["type"] == "sentiment"]
    print(f"tickets {len(tickets)}, sentiment items {len(sentiment)}")
    for name, items, keys in (("tickets", tickets, ("category", "kind", "urgency")),
                              ("sentiment", sentiment, ("relevant", "category", "risk", "polarity"))):
        for key in keys:
            counts = Counter(str(r[key]) for r in items)
            print(f"{name} by {key}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
        lengths = sorted(len(r["text"]) for r in items)
        placed = sum(1 for r in items if r.get("prefecture"))
        print(f"{name}: length min {lengths[0]} median {lengths[len(lengths) // 2]} max {lengths[-1]}; "
              f"with a Jilin place {placed / len(items):.0%}")
        texts = [r["text"] for r in items]
        print(f"{name}: distinct 4-gram ratio {ratio(texts):.3f}; texts with a >50% 4-gram twin {near_duplicates(texts):.1%}")
    groups = Counter(r["repost_group"] for r in sentiment if r.get("repost_group"))
    print(f"sentiment repost groups {len(groups)} holding {sum(groups.values())} items")
    print(f"tickets tagged with a boundary rule: {sum(1 for r in tickets if r.get('rule'))}")


if __name__ == "__main__":
    main()
