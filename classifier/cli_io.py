"""JSON Lines input/output for `hotline classify` (see spec/DESIGN.md, "Contracts")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from .schema import Item, Prediction


class InputLineError(ValueError):
    """A bad input line; ``lineno`` is 1-based."""

    def __init__(self, lineno: int, message: str):
        super().__init__(f"第 {lineno} 行 (line {lineno}): {message}")
        self.lineno = lineno


def parse_item(obj: object, lineno: int = 0) -> Item:
    if not isinstance(obj, dict):
        raise InputLineError(lineno, "应为 JSON 对象 (expected a JSON object)")
    ident = obj.get("id")
    if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
        raise InputLineError(lineno, "缺少 id 或 id 不是字符串/整数 (missing or invalid id)")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputLineError(lineno, "缺少 text 或 text 为空 (missing or empty text)")
    typ = obj.get("type") or "ticket"
    if typ not in ("ticket", "sentiment"):
        raise InputLineError(lineno, f"type 必须是 ticket 或 sentiment，而不是 {typ!r}")
    title = obj.get("title")
    if title is not None and not isinstance(title, str):
        raise InputLineError(lineno, "title 必须是字符串或 null (title must be a string or null)")
    return Item(id=ident, text=text, type=typ, title=title)


def read_items(stream: IO[str] | Iterable[str]) -> list[Item]:
    """Items from JSON Lines (blank lines are skipped); a bad line raises InputLineError (a ValueError)
    naming its line number."""
    items = []
    for lineno, line in enumerate(stream, 1):
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputLineError(lineno, f"不是有效的 JSON (invalid JSON: {exc.msg})") from exc
        items.append(parse_item(obj, lineno))
    return items


def write_predictions(preds: Iterable[Prediction], stream: IO[str]) -> None:
    """One contract JSON object per line, in the given order."""
    for p in preds:
        stream.write(json.dumps(p.to_contract(), ensure_ascii=False) + "\n")
    stream.flush()
