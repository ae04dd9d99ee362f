"""The document catalog (``data/documents.yaml``: short titles, types, default categories per source
text) and how passages are titled and cited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from classifier.yamlfile import parse_yaml

PACKAGE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_CONTENT_DIR = PACKAGE_DIR / "content"
DOCUMENTS_PATH = PACKAGE_DIR / "data" / "documents.yaml"


@lru_cache(maxsize=4)
def catalog(path: str = str(DOCUMENTS_PATH)) -> dict[str, dict]:
    data = parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
    return {str(k): dict(v or {}) for k, v in data.items()}


def short_title(key: str, title: str, superseded: bool = False) -> str:
    entry = catalog().get(key, {})
    if entry.get("short"):
        return entry["short"]
    short = re.sub(r"^中华人民共和国", "", title)
    short = re.sub(r"[（(].*?[）)]", "", short).strip() or key
    return short + ("（已被取代）" if superseded else "")


def doc_categories(key: str) -> tuple[str, ...]:
    return tuple(catalog().get(key, {}).get("categories") or ())


def chapter_categories(key: str, context: Sequence[str]) -> tuple[str, ...]:
    by_chapter = catalog().get(key, {}).get("chapter_categories") or {}
    cats: list[str] = []
    for heading in context:
        for name, codes in by_chapter.items():
            if name in heading:
                cats.extend(codes)
    return tuple(cats)


def title_for(short: str, section: str, context: Sequence[str], heading: str = "") -> str:
    sep = "" if short.endswith(("）", ")", "》")) else " "
    head = f"{short}{sep}{section}" + (f" {heading}" if heading else "")
    ctx = [c for c in context if c]
    return head + (" · " + " · ".join(ctx) if ctx else "")


def plan_categories(key: str, section: str) -> tuple[str, ...]:
    by_section = catalog().get(key, {}).get("section_categories") or {}
    return tuple(by_section.get(section) or ())


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def citation(doc_title: str, doc_number: str, section: str) -> str:
    out = f"《{doc_title}》"
    if doc_number:
        out += f"（{doc_number}）"
    return f"{out}{section}" if section else out
