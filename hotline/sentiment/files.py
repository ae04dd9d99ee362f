"""Reading sentiment items from files: JSON Lines (one object per line) or CSV with a header row
(external_id, source, url, title, text, published_at, author, reposts, comments, likes). Each line becomes
an element for ``ingest_batch``, or the reason it cannot (a line that is not JSON)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

CSV_FIELDS = ("external_id", "source", "url", "title", "text", "published_at", "author")
METRICS = ("reposts", "comments", "likes")


def _from_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    element: dict[str, Any] = {k: v for k, v in row.items() if k in CSV_FIELDS and v not in (None, "")}
    metrics = {}
    for name in METRICS:
        raw = (row.get(name) or "").strip()
        if raw:
            metrics[name] = int(raw) if raw.isascii() and raw.isdigit() else raw  # a non-number is refused later
    if metrics:
        element["metrics"] = metrics
    return element


def read_elements(handle: IO[str], kind: str) -> Iterator[tuple[int, Any]]:
    """(line number, element) for every data line; an element that is an ``Exception`` could not be read."""
    if kind == "csv":
        reader = csv.DictReader(handle)
        missing = {"source", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"CSV 缺少列：{', '.join(sorted(missing))}（需要表头行）")
        for row in reader:
            yield reader.line_num, _from_csv_row(row)
        return
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, ValueError(f"不是有效的 JSON：{exc.msg}")


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .csv 或 .jsonl")
