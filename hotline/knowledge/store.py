"""The knowledge_base library's PassageStore over our database: the library builds its ranking index
from the analysed tokens stored here (once per content generation) and fetches in full only the
passages it shows — identically on SQLite and PostgreSQL.

The fetched passages are cached per process and dropped when ``kb_meta.generation`` changes (every
import and edit bumps it). A process reads the generation again at most every ``RECHECK_SECONDS``, not on
every search (a search is a few milliseconds; the read was a tenth of it), and at once after an edit it
committed itself: another worker sees an edit within a second, the editing worker on its next search.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence

from sqlalchemy import select

from hotline.db import Database
from hotline.knowledge.models import KbMeta, KbPassage
from knowledge_base import PassageTerms, StoredPassage
from knowledge_base.index import FIELDS

#: passages held in full per process (the ranking index holds tokens, not text)
PASSAGE_CACHE = 20_000
#: how long a process trusts the generation it read last (edits committed by this process count at once)
RECHECK_SECONDS = 1.0

_edits = itertools.count(1)
#: the number of the last knowledge-base edit committed in this process
_last_local_edit = 0


def note_local_edit() -> None:
    """An edit was committed in this process: its next search reads the generation again."""
    global _last_local_edit  # noqa: PLW0603 - one process-wide number, advanced atomically by next()
    _last_local_edit = next(_edits)


class DbPassageStore:
    def __init__(self, db: Database) -> None:
        self.db = db  # reads only, through Database.connect(readonly=True): deferred BEGIN on SQLite
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._checked_at = 0.0
        self._local_edit = 0
        self._passages: dict[str, StoredPassage] = {}

    # -- cache ------------------------------------------------------------------------------------
    def generation(self) -> str:
        with self.db.connect(readonly=True) as conn:
            return conn.scalar(select(KbMeta.value).where(KbMeta.key == "generation")) or "0"

    def sync(self) -> bool:
        """Drop cached passages when the content changed; True when it did (the caller then drops
        its ranking index)."""
        now, local_edit = time.monotonic(), _last_local_edit
        if (self._generation is not None and local_edit == self._local_edit
                and now - self._checked_at < RECHECK_SECONDS):
            return False
        current = self.generation()
        with self._lock:
            self._checked_at, self._local_edit = now, local_edit
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
