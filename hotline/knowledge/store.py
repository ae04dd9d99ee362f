"""The knowledge_base library's PassageStore over our database: the library builds its ranking index
from the analysed tokens stored here (once per content generation) and fetches in full only the
passages it shows — identically on SQLite and PostgreSQL.

The fetched passages are cached per process and dropped when ``kb_meta.generation`` changes (every
import and edit bumps it), so every worker sees an edit on its next search.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import select

from hotline.db import Database
from hotline.knowledge.models import KbMeta, KbPassage
from knowledge_base import PassageTerms, StoredPassage
from knowledge_base.index import FIELDS

#: passages held in full per process (the ranking index holds tokens, not text)
PASSAGE_CACHE = 20_000


class DbPassageStore:
    def __init__(self, db: Database) -> None:
        self.db = db  # reads only, through Database.connect(readonly=True): deferred BEGIN on SQLite
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._passages: dict[str, StoredPassage] = {}

    # -- cache ------------------------------------------------------------------------------------
    def generation(self) -> str:
        with self.db.connect(readonly=True) as conn:
            return conn.scalar(select(KbMeta.value).where(KbMeta.key == "generation")) or "0"

    def sync(self) -> bool:
        """Drop cached passages when the content changed; True when it did (the caller then drops
        its ranking index)."""
        current = self.generation()
        with self._lock:
            if current == self._generation:
                return False
            self._generation, self._passages = current, {}
            return True

    # -- PassageStore protocol --------------------------------------------------------------------
    def entries(self) -> list[PassageTerms]:
        columns = [KbPassage.id, KbPassage.type, KbPassage.superseded, KbPassage.categories, KbPassage.cites,
                   KbPassage.tokens_title, KbPassage.tokens_tags, KbPassage.tokens_body, KbPassage.title, KbPassage.text]
        with self.db.connect(readonly=True) as conn:
            rows = conn.execute(select(*columns).order_by(KbPassage.article_id, KbPassage.ordinal)).all()
        return [
            PassageTerms(pid, type_, bool(superseded), tuple(categories or ()), tuple(cites or ()),
                         dict(zip(FIELDS, (tuple(t.split()), tuple(g.split()), tuple(b.split())), strict=True)),
                         title, text_)
            for pid, type_, superseded, categories, cites, t, g, b, title, text_ in rows
        ]

    def get(self, ids: Sequence[str]) -> list[StoredPassage]:
        missing = [i for i in dict.fromkeys(ids) if i not in self._passages]
        if missing:
            with self.db.connect(readonly=True) as conn:
                rows = conn.execute(select(KbPassage.__table__).where(KbPassage.id.in_(missing))).mappings().all()
            if len(self._passages) + len(rows) > PASSAGE_CACHE:
                self._passages = {}
            for row in rows:
                self._passages[row["id"]] = StoredPassage.from_row(row)
        return [self._passages[i] for i in ids if i in self._passages]
