"""How often two people agree on the triage labels: a set's writer against a second reader who labelled
the same texts blind (texts only, the taxonomy and the legal passages; see the set's DATASHEET.md).

This is the ceiling the issue's targets refer to ("two annotators agree on emergencies 98 % of the time, so
recall near 0.98 is a fair aim"): a model scored against one writer's labels cannot be expected to agree
with that writer more often than a second careful person does. No model is involved here.

    python bench/agreement.py bench/data/triage_blind2                 # reads <set>/second_reading/*.jsonl
    python bench/agreement.py bench/data/triage_dev7 --show urgency    # and lists the disagreements

Per head: agreement, Cohen's kappa; for emergencies and high-risk posts the second reader's recall and
precision taking the writer as the reference (the writer's recall of the reader's is that precision); agency
is the category's lead agency (the taxonomy's routing), as in ``hotline evaluate``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier.taxonomy import load_taxonomy  # noqa: E402  (bench/ runs as a script)

TICKET_HEADS = ("category", "agency", "kind", "urgency", "prefecture", "county")
SENTIMENT_HEADS = ("relevant", "category", "polarity", "risk")


def read(folder: Path) -> dict[str, dict]:
    rows = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["id"]] = row
    return rows


def kappa(a: list, b: list) -> float:
    """Cohen's kappa of two label lists."""
    n = len(a)
    if not n:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def _ratio(x: int, y: int) -> str:
    return f"{x / y:.3f} ({x}/{y})" if y else "n/a"


def report(kind: str, writer: dict[str, dict], second: dict[str, dict], heads: tuple[str, ...], positive: tuple[str, str],
           show: str | None) -> None:
    ids = sorted(set(writer) & set(second))
    missing = sorted(set(writer) - set(second))
    print(f"\n== {kind}: {len(ids)} read twice" + (f" ({len(missing)} not read by the second reader)" if missing else ""))
    if not ids:
        return
    unsure = [i for i in ids if second[i].get("confidence") == "unsure"]
    print(f"second reader unsure on {len(unsure)}")
    print(f"{'head':12s} {'agree':>7} {'kappa':>7} {'agree (reader sure)':>20}")
    for head in heads:
        a = [writer[i].get(head) for i in ids]
        b = [second[i].get(head) for i in ids]
        sure = [i for i in ids if second[i].get("confidence") != "unsure"]
        agree_sure = sum(writer[i].get(head) == second[i].get(head) for i in sure) / max(len(sure), 1)
        print(f"{head:12s} {sum(x == y for x, y in zip(a, b, strict=True)) / len(ids):7.3f} {kappa(a, b):7.3f} "
              f"{agree_sure:20.3f}")
    head, value = positive
    a = [writer[i].get(head) == value for i in ids]
    b = [second[i].get(head) == value for i in ids]
    both = sum(x and y for x, y in zip(a, b, strict=True))
    print(f"{head} = {value}: writer {sum(a)}, second reader {sum(b)}, both {both}")
    print(f"  the second reader's recall of the writer's: {_ratio(both, sum(a))}, precision: {_ratio(both, sum(b))}")
    if show:
        print(f"\n  disagreements on {show}:")
        for i in ids:
            if writer[i].get(show) != second[i].get(show):
                text = writer[i]["text"].replace("\n", " ")
                print(f"  {i}: writer {writer[i].get(show)} / reader {second[i].get(show)}"
                      f" [{second[i].get('confidence', '')}] {text[:90]}")
                if second[i].get("note"):
                    print(f"      reader: {second[i]['note'][:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", type=Path, help="a labelled set (bench/data/triage_*)")
    parser.add_argument("--second", type=Path, help="the second reading (default: <set>/second_reading)")
    parser.add_argument("--show", help="list the disagreements on this head (urgency, category, risk …)")
    args = parser.parse_args()
    second_dir = args.second or args.set / "second_reading"
    if not second_dir.is_dir():
        raise SystemExit(f"no second reading at {second_dir}")
    taxonomy = load_taxonomy()
    writer, second = read(args.set), read(second_dir)
    for row in second.values():  # the lead agency follows the category, as it does for the model
        if row.get("category") in taxonomy.categories:
            row["agency"] = taxonomy.categories[row["category"]].lead
    tickets = {i: r for i, r in writer.items() if r.get("type") == "ticket"}
    posts = {i: r for i, r in writer.items() if r.get("type") == "sentiment"}
    print(f"{args.set}: writer's labels against the second reading in {second_dir}")
    if tickets:
        report("tickets", tickets, {i: second[i] for i in tickets if i in second}, TICKET_HEADS,
               ("urgency", "emergency"), args.show if args.show in TICKET_HEADS else None)
    if posts and any(i in second for i in posts):
        report("sentiment", posts, {i: second[i] for i in posts if i in second}, SENTIMENT_HEADS, ("risk", "high"),
               args.show if args.show in SENTIMENT_HEADS else None)


if __name__ == "__main__":
    main()
