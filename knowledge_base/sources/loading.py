"""Loading the whole content (official texts, the plan, scripts, directory) and checking it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from .catalog import DEFAULT_CONTENT_DIR, dedupe
from .markdown import parse_markdown_article
from .model import ARTICLE_TYPES, Article, Passage
from .official import parse_header, parse_official_text
from .plan import PLAN_KEY, parse_plan


def parse_source_file(path: Path | str) -> Article:
    """One kb-sources ``.txt`` file (header block + text), or the seed plan page (no header) → an Article."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    header, body = parse_header(text)
    if not header:
        return parse_plan(path, path.stem, text)
    return parse_official_text(path, path.stem, header, body)


def load_sources(sources_dir: Path | str, plan_path: Path | str | None = None) -> list[Article]:
    """Every ``*.txt`` in ``sources_dir`` (sorted) plus the seed plan.

    The plan is ``sources_dir/jilin-action-plan-2024.txt`` when present, else ``plan_path``, else the
    copy in this package, so ``load_sources("../shared/kb-sources")`` still includes it.
    """
    sources_dir = Path(sources_dir)
    files = sorted(sources_dir.glob("*.txt"))
    articles = [parse_source_file(f) for f in files]
    if not any(a.id == PLAN_KEY for a in articles):
        plan = Path(plan_path) if plan_path else DEFAULT_CONTENT_DIR / "sources" / f"{PLAN_KEY}.txt"
        if plan.exists():
            articles.append(parse_source_file(plan))
    return articles


def load_articles(content_dir: Path | str | None = None, sources_dir: Path | str | None = None) -> list[Article]:
    """All articles: official texts and the plan, then answer scripts and directory files.

    ``content_dir`` defaults to the package's ``content/``; ``sources_dir`` to ``content_dir/sources``
    (the app may pass ``../shared/kb-sources``).  A source passage without categories of its own
    inherits the categories of the scripts that cite it.
    """
    content = Path(content_dir) if content_dir else DEFAULT_CONTENT_DIR
    src = Path(sources_dir) if sources_dir else content / "sources"
    articles = load_sources(src)
    for sub in ("scripts", "directory"):
        articles.extend(parse_markdown_article(p) for p in sorted((content / sub).glob("*.md")))
    return _inherit_categories(articles)


def _inherit_categories(articles: list[Article]) -> list[Article]:
    cited: dict[str, list[str]] = {}
    for art in articles:
        if art.type == "script":
            for c in art.cites:
                cited.setdefault(c, []).extend(art.categories)
    out = []
    for art in articles:
        if art.type in ("law", "policy"):
            passages = tuple(
                replace(p, categories=dedupe((*p.categories, *cited.get(p.id, ())))) if p.id in cited else p
                for p in art.passages
            )
            art = replace(art, passages=passages)
        out.append(art)
    return out


def all_passages(articles: Iterable[Article]) -> list[Passage]:
    return [p for a in articles for p in a.passages]


def validate(articles: Sequence[Article], categories: Iterable[str] | None = None) -> list[str]:
    """Problems in the content, as readable lines; empty when everything is consistent.

    Checks: unique ids; known types; every ``cites`` entry resolves to a passage id; scripts do not
    cite a superseded text; categories are taxonomy codes (when ``categories`` is given); every
    script / directory file has a title, at least one category list entry or an explicit ``[]``,
    and a review-by date.
    """
    problems: list[str] = []
    known = set(categories) if categories is not None else None
    ids: dict[str, str] = {}
    passages: dict[str, Passage] = {}
    for art in articles:
        if art.type not in ARTICLE_TYPES:
            problems.append(f"{art.id}: unknown type {art.type!r}")
        for p in art.passages:
            if p.id in ids:
                problems.append(f"{p.id}: duplicate id (in {ids[p.id]} and {art.path or art.id})")
            ids[p.id] = art.path or art.id
            passages[p.id] = p
            if not p.text.strip():
                problems.append(f"{p.id}: empty text")
    for art in articles:
        for c in art.cites:
            target = passages.get(c)
            if target is None:
                problems.append(f"{art.id}: cites {c!r}, which is not a passage id")
            elif target.superseded:
                problems.append(f"{art.id}: cites {c!r} from a superseded text")
        if art.type in ("script", "directory"):
            if not art.title:
                problems.append(f"{art.id}: no title")
            if art.review_by is None:
                problems.append(f"{art.id}: no review_by date")
            if art.type == "script" and not art.cites:
                problems.append(f"{art.id}: a script must cite at least one passage")
        if known is not None:
            for c in art.categories:
                if c not in known:
                    problems.append(f"{art.id}: unknown category {c!r}")
    return problems
