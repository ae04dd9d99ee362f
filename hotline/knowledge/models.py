"""Knowledge-base articles (with every saved version), their indexed passages and search statistics.

Ranking is done by the ``knowledge_base`` library from the tokens stored here, identically on both
databases: each process builds its ranking index from ``kb_passages`` once per ``kb_meta.generation``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: law | policy | script | directory
    type: Mapped[str] = mapped_column(String(16), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    effective: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by: Mapped[str | None] = mapped_column(String(64))
    #: scripts and directory entries: the editable Markdown body; official texts: None (not editable)
    body: Mapped[str | None] = mapped_column(Text)
    cites: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(96), default="import")


class KbArticleVersion(Base):
    """Every saved state of an article (version 1 is the imported file)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_by: Mapped[date | None] = mapped_column(Date)
    body: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(96))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(200))


class KbPassage(Base):
    """The unit that is searched and shown; ``id`` is its citation (``minors-protection-law-2024#第四十三条``)."""

    __tablename__ = "kb_passages"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    cites: Mapped[list[str]] = mapped_column(JSON, default=list)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    effective: Mapped[str | None] = mapped_column(String(10))
    #: analysed tokens (space-joined), the same on both databases
    tokens_title: Mapped[str] = mapped_column(Text, default="")
    tokens_tags: Mapped[str] = mapped_column(Text, default="")
    tokens_body: Mapped[str] = mapped_column(Text, default="")


class KbMeta(Base):
    """``generation`` changes with every import or edit: each process's ranking index compares against it."""

    __tablename__ = "kb_meta"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
