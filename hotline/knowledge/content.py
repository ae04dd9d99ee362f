"""Knowledge-base content in the database: idempotent import of the files, edits that keep every
version, restore, the review-due list, and re-analysis when the text analysis changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from hotline import taxonomy as tx
from hotline.accounts.actor import Actor
from hotline.errors import Forbidden, InputError, NotFound
from hotline.inputs import Choice, Day, Spec, Text, TextList
from hotline.knowledge.models import KbArticle, KbArticleVersion, KbMeta, KbPassage
from hotline.knowledge.store import note_local_edit
from hotline.timeutil import utcnow
from knowledge_base import Article, Passage, StoredPassage, index_fingerprint, index_passage, reanalyze

EDITABLE_TYPES = frozenset({"script", "directory"})  # official legal texts are not edited here
MAX_BODY = 20_000


@dataclass(frozen=True)
class ImportReport:
    articles: int
    passages: int
    added: int
    updated: int
    removed: int


def _passage_row(sp: StoredPassage, article_id: str, ordinal: int) -> dict:
    row = sp.to_row()
    row.update(article_id=article_id, ordinal=ordinal)
    return row


def replace_passages(session: Session, article_id: str, rows: Sequence[dict]) -> None:
    """Swap an article's passages (search rebuilds its ranking index on the next generation)."""
    session.execute(delete(KbPassage).where(KbPassage.article_id == article_id))
    if rows:
        session.execute(KbPassage.__table__.insert(), list(rows))
    session.flush()


def bump_generation(session: Session) -> None:
    """Every process's ranking index is rebuilt for the new content: this one's at its next search once
    the transaction commits, the others' within ``store.RECHECK_SECONDS``."""
    event.listen(session, "after_commit", lambda _session: note_local_edit(), once=True)
    meta = session.get(KbMeta, "generation")
    if meta is None:
        session.add(KbMeta(key="generation", value="1"))
    else:
        meta.value = str(int(meta.value) + 1)
    session.flush()


def reanalyze_if_needed(session: Session) -> int:
    """Re-tokenise every stored passage when the text analysis (dictionary, stopwords, segmenter) changed
    since they were indexed: a query must be analysed exactly like the index. Returns how many were."""
    current = index_fingerprint()
    meta = session.get(KbMeta, "analyzer")
    if meta is not None and meta.value == current:
        return 0
    rows = session.execute(select(KbPassage.__table__).order_by(KbPassage.article_id, KbPassage.ordinal)).mappings()
    by_article: dict[str, list[dict]] = {}
    for row in rows:
        fresh = reanalyze(StoredPassage.from_row(row)).to_row()
        fresh.update(article_id=row["article_id"], ordinal=row["ordinal"])
        by_article.setdefault(row["article_id"], []).append(fresh)
    for article_id, fresh_rows in by_article.items():
        replace_passages(session, article_id, fresh_rows)
    if meta is None:
        session.add(KbMeta(key="analyzer", value=current))
    else:
        meta.value = current
    if by_article:
        bump_generation(session)
    session.flush()
    return sum(len(r) for r in by_article.values())


def _rows_for(article: Article | KbArticle, passages: Iterable[Passage]) -> list[dict]:
    return [_passage_row(index_passage(p), article.id, i) for i, p in enumerate(passages)]


def load_kb_content(categories: Iterable[str], sources_dir: str | None = None) -> list[Article]:
    """The repository's content (answer scripts, directory, official texts); ``sources_dir`` replaces
    the official texts (e.g. ../shared/kb-sources). Refuses content whose citations do not resolve or
    whose categories are not ``categories`` (the taxonomy's)."""
    from knowledge_base import load_articles, validate

    articles = load_articles(sources_dir=sources_dir)
    problems = validate(articles, categories=categories)
    if problems:
        raise InputError("知识库内容有误：" + "；".join(problems[:5]), code="bad_kb_content")
    return articles


def import_articles(session: Session, articles: Sequence[Article]) -> ImportReport:
    """Load the files (re-running changes nothing). An article edited in the console keeps its edits:
    the file version is only taken while the article is still at its imported version."""
    reanalyze_if_needed(session)
    existing = {a.id: a for a in session.scalars(select(KbArticle))}
    added = updated = 0
    for art in articles:
        meta = dict(title=art.title, type=art.type, categories=list(art.categories), tags=list(art.tags),
                    source=art.source, effective=art.effective, review_by=art.review_by,
                    superseded_by=art.superseded_by, cites=list(art.cites))
        body = art.passages[0].text if art.type in EDITABLE_TYPES and art.passages else None
        row = existing.get(art.id)
        if row is None:
            session.add(KbArticle(id=art.id, version=1, body=body, updated_by="import", **meta))
            session.flush()
            session.add(KbArticleVersion(article_id=art.id, version=1, title=art.title, categories=list(art.categories),
                                         tags=list(art.tags), review_by=art.review_by, body=body, author="import",
                                         note="导入"))
            added += 1
        elif row.updated_by == "import" and (row.body != body or row.title != art.title or row.tags != list(art.tags)
                                             or row.categories != list(art.categories)):
            for key, value in meta.items():
                setattr(row, key, value)
            row.body = body
            updated += 1
        else:
            continue
        replace_passages(session, art.id, _rows_for(art, art.passages))
    wanted = {a.id for a in articles}
    removed = [a for a in existing.values() if a.id not in wanted and a.updated_by == "import"]
    for row in removed:
        replace_passages(session, row.id, [])
        session.delete(row)
    if added or updated or removed:
        bump_generation(session)
    passages = session.scalar(select(func.count()).select_from(KbPassage)) or 0
    return ImportReport(len(articles), passages, added, updated, len(removed))


def get_article(session: Session, article_id: str) -> KbArticle:
    article = session.get(KbArticle, article_id)
    if article is None:
        raise NotFound(f"知识条目 {article_id} 不存在", code="article_not_found")
    return article


def article_passages(session: Session, article_id: str) -> list[KbPassage]:
    return list(session.scalars(select(KbPassage).where(KbPassage.article_id == article_id).order_by(KbPassage.ordinal)))


def versions(session: Session, article_id: str) -> list[KbArticleVersion]:
    stmt = select(KbArticleVersion).where(KbArticleVersion.article_id == article_id)
    return list(session.scalars(stmt.order_by(KbArticleVersion.version.desc())))


#: an article edit as the console's form sends it
EDIT_SPEC = Spec([
    Text(name="title", label="标题", required=True, max_length=200),
    TextList(name="categories", label="分类", max_items=20,
             item=Choice(name="category", label="分类", choices=tx.category_names)),
    Text(name="tags", label="标签（逗号分隔）", max_length=500),
    Day(name="review_by", label="复审日期"),
    Text(name="body", label="正文", multiline=True, max_length=MAX_BODY),
    Text(name="note", label="修改说明", max_length=200),
])


@dataclass(frozen=True)
class ArticleEdit:
    title: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    review_by: date | None
    body: str | None
    note: str | None = None

    @classmethod
    def from_input(cls, values: dict, article: KbArticle) -> ArticleEdit:
        """From what ``EDIT_SPEC`` parsed; an official text keeps its wording whatever the form sent."""
        tags = (values.get("tags") or "").replace("，", ",").split(",")
        return cls(
            title=values["title"],
            categories=tuple(dict.fromkeys(values.get("categories") or ())),
            tags=tuple(t.strip() for t in tags if t.strip()),
            review_by=values.get("review_by"),
            body=values.get("body") if article.type in EDITABLE_TYPES else article.body,
            note=values.get("note"),
        )


def save_article(session: Session, article_id: str, edit: ArticleEdit, actor: Actor) -> KbArticle:
    """A new version with author and time; the article's passages are re-indexed in the same transaction."""
    if actor.role.value != "admin":
        raise Forbidden("只有管理员可以编辑知识库", code="role_not_allowed")
    article = get_article(session, article_id)
    if article.type in EDITABLE_TYPES:
        if not (edit.body or "").strip():
            raise InputError("正文不能为空", code="missing_field", details={"field": "body"})
    elif edit.body is not None and edit.body != article.body:
        raise InputError("法律法规原文不能在此修改，只能修改标题、分类、标签和复审日期", code="not_editable")
    article.version += 1
    article.title, article.categories, article.tags = edit.title.strip(), list(edit.categories), list(edit.tags)
    article.review_by, article.updated_at, article.updated_by = edit.review_by, utcnow(), actor.label
    if article.type in EDITABLE_TYPES:
        article.body = (edit.body or "").strip()
    session.add(KbArticleVersion(article_id=article.id, version=article.version, title=article.title,
                                 categories=article.categories, tags=article.tags, review_by=article.review_by,
                                 body=article.body, author=actor.label, note=edit.note))
    _reindex(session, article)
    bump_generation(session)
    return article


def restore_version(session: Session, article_id: str, version: int, actor: Actor) -> KbArticle:
    """Restoring is itself a new version (history is never rewritten)."""
    old = session.scalar(select(KbArticleVersion).where(KbArticleVersion.article_id == article_id,
                                                        KbArticleVersion.version == version))
    if old is None:
        raise NotFound(f"版本 {version} 不存在", code="version_not_found")
    edit = ArticleEdit(old.title, tuple(old.categories), tuple(old.tags), old.review_by, old.body, note=f"恢复到版本 {version}")
    return save_article(session, article_id, edit, actor)


def _reindex(session: Session, article: KbArticle) -> None:
    rows = []
    for i, p in enumerate(article_passages(session, article.id)):
        text_ = article.body if article.type in EDITABLE_TYPES else p.text
        title = article.title if article.type in EDITABLE_TYPES else p.title
        passage = Passage(id=p.id, article_id=article.id, type=article.type, title=title, section="",
                          section_path=(), text=text_ or "", doc_title=article.title, source=p.source,
                          superseded=p.superseded, categories=tuple(article.categories) or tuple(p.categories),
                          effective=date.fromisoformat(p.effective) if p.effective else None,
                          tags=tuple(article.tags), cites=tuple(p.cites))
        rows.append(_passage_row(index_passage(passage), article.id, i))
    replace_passages(session, article.id, rows)


def due_for_review(session: Session, today: date) -> list[KbArticle]:
    stmt = select(KbArticle).where(KbArticle.review_by.is_not(None), KbArticle.review_by <= today)
    return list(session.scalars(stmt.order_by(KbArticle.review_by)))
