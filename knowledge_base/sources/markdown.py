"""Answer scripts and agency directory files (``content/{scripts,directory}/*.md``): YAML front matter
and a Markdown body, one passage each."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from classifier.yamlfile import parse_yaml

from .model import Article, Passage

_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", re.DOTALL)


def _as_date(value) -> dt.date | None:  # noqa: ANN001
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def parse_markdown_article(path: Path | str) -> Article:
    """An answer script or directory file (YAML front matter + Markdown) → an Article with one passage."""
    path = Path(path)
    m = _FRONT.match(path.read_text(encoding="utf-8"))
    if not m:
        raise ValueError(f"{path}: no YAML front matter")
    meta = parse_yaml(m[1]) or {}
    body = m[2].strip()
    art_id = str(meta.get("id") or path.stem)
    kind = str(meta.get("type") or ("directory" if path.parent.name == "directory" else "script"))
    cats = tuple(str(c) for c in meta.get("categories") or ())
    tags = tuple(str(t) for t in meta.get("tags") or ())
    cites = tuple(str(c) for c in meta.get("cites") or ())
    title = str(meta.get("title") or art_id)
    source = str(meta.get("source") or "")
    eff = _as_date(meta.get("effective"))
    passage = Passage(
        id=art_id,
        article_id=art_id,
        type=kind,
        title=title,
        section="",
        section_path=(),
        text=body,
        doc_title=title,
        source=source,
        effective=eff,
        categories=cats,
        tags=tags,
        cites=cites,
    )
    return Article(
        id=art_id,
        title=title,
        type=kind,
        categories=cats,
        tags=tags,
        source=source,
        effective=eff,
        review_by=_as_date(meta.get("review_by")),
        version=str(meta.get("version") or "1"),
        cites=cites,
        path=str(path),
        passages=(passage,),
    )
