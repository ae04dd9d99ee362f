"""What the sources become: articles (documents with their metadata) and their passages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ARTICLE_TYPES = ("law", "policy", "script", "directory")


@dataclass(frozen=True, slots=True)
class Passage:
    """The unit that is indexed, ranked and shown.  ``id`` is the citation form."""

    id: str
    article_id: str
    type: str  # law / policy / script / directory (the article's type)
    title: str  # display title, e.g. "未成年人保护法（2024）第四十三条 · 第三章 学校保护"
    section: str  # "第四十三条", "二(二)3"; "" for a script / directory file
    section_path: tuple[str, ...]  # headings from the top, e.g. ("第三章 学校保护", "第四十三条")
    text: str  # the passage in full, as written in the source
    doc_title: str
    source: str  # citation string: document title + doc number + section
    effective: dt.date | None = None
    superseded: bool = False
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()  # scripts / directory files: the passage ids they rely on
    ordinal: int = 0  # position in its document


@dataclass(frozen=True, slots=True)
class Article:
    """A document of the knowledge base and its metadata; its passages carry the text."""

    id: str  # doc key (file stem) for sources, front-matter id for scripts / directory files
    title: str
    type: str
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    effective: dt.date | None = None
    review_by: dt.date | None = None
    version: str = "1"
    issuer: str = ""
    doc_number: str = ""
    completeness: str = ""
    superseded_by: str | None = None
    cites: tuple[str, ...] = ()
    path: str = ""
    passages: tuple[Passage, ...] = field(default=(), repr=False)

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None
