"""The knowledge base as one process sees it: the library's ranking over the database store, with the
caches dropped whenever any worker imported or edited content."""

from __future__ import annotations

import threading

from hotline.db import Database
from hotline.knowledge.store import DbPassageStore
from knowledge_base import Hit, KnowledgeBase, SearchResult


class KnowledgeService:
    def __init__(self, db: Database) -> None:
        self.store = DbPassageStore(db)
        self.kb = KnowledgeBase(self.store)
        self._warm_lock = threading.Lock()

    def _fresh(self) -> None:
        if self.store.sync():
            self.kb.refresh()

    def search(self, query: str, *, limit: int = 10, category: str | None = None) -> SearchResult:
        self._fresh()
        return self.kb.query(query, limit=limit, category=category)

    def related(self, ticket_text: str, *, category: str | None = None, limit: int = 5) -> list[Hit]:
        """Passages and answer scripts most likely needed for a ticket's text."""
        self._fresh()
        return self.kb.related(ticket_text, category=category, limit=limit)

    def warm(self) -> None:
        """Build the vocabulary and the typo-correction index now (about 2 s cold) instead of inside
        the first searches; servers call this at start-up, one thread at a time."""
        with self._warm_lock:
            self._fresh()
            if not self.kb.is_warm:
                self.kb.warm()
