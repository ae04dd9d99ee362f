"""The composition root: everything a process needs, built once from the settings, without Flask.

The web app, each CLI command and (later) the scheduler build one ``Runtime`` and hand its parts to
the services they call; services never reach for a global. The triage model and the knowledge base
are loaded on first use, so a command that needs neither never pays for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hotline.config import Settings, load_settings
from hotline.crypto import FieldCipher
from hotline.db import Database
from hotline.sentiment.policy import SentimentPolicy
from hotline.taxonomy import Taxonomy, get_taxonomy
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.tickets.workcalendar import WorkCalendar
from hotline.training.watch import TriageHolder

if TYPE_CHECKING:
    from hotline.knowledge.search import KnowledgeService
    from hotline.sentiment.queue import SentimentQueue
    from hotline.tickets.triage import Triage

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, settings: Settings, *, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, busy_seconds=settings.sqlite_busy_seconds)
        from hotline.accounts.audit import audit_key, use_key

        use_key(self.db.engine, audit_key(settings.audit_key, settings.secret_key))  # the audit chain's HMAC key
        self.taxonomy: Taxonomy = get_taxonomy()
        self.calendar = WorkCalendar(settings.holidays_path)
        self.policy = DeadlinePolicy.from_file(settings.sla_policy_path, self.calendar)
        self.sentiment_policy = SentimentPolicy.from_file(settings.sentiment_policy_path)
        self._lock = threading.Lock()
        self.cipher = FieldCipher.from_secret(settings.data_key, settings.secret_key, settings.data_key_previous)
        self._triage = TriageHolder(settings.artifact_path, self.taxonomy)
        self._knowledge: KnowledgeService | None = None
        self._queue: SentimentQueue | None = None

    @classmethod
    def from_env(cls, overrides: Mapping[str, object] | None = None) -> Runtime:
        return cls(load_settings(overrides))

    @property
    def triage(self) -> Triage:
        """The classifier behind ticket triage (rules only when no usable model is installed); a model
        promoted later (nightly retraining, ``hotline train``) replaces it within 30 s, without a restart."""
        return self._triage.get()

    @triage.setter
    def triage(self, value: Triage) -> None:
        """A fixed triage (tests): never replaced by a promoted model."""
        self._triage.set(value)

    @property
    def knowledge(self) -> KnowledgeService:
        if self._knowledge is None:
            with self._lock:
                if self._knowledge is None:
                    from hotline.knowledge.search import KnowledgeService

                    self._knowledge = KnowledgeService(self.db)
        return self._knowledge

    @property
    def sentiment_queue(self) -> SentimentQueue | None:
        """The broker queue for sentiment work, or None (processed inline) when no broker is configured."""
        if self.settings.broker_url is None:
            return None
        if self._queue is None:
            with self._lock:
                if self._queue is None:
                    from hotline.sentiment.queue import SentimentQueue

                    self._queue = SentimentQueue(self.settings.broker_url, self.settings.broker_queue,
                                                 heartbeat_ms=self.settings.broker_heartbeat_ms)
        return self._queue

    def warm_up(self) -> None:
        """Pay the one-off costs (model, segmenter dictionary, knowledge-base vocabulary and typo index)
        before the first caller does."""
        from hotline.tickets.triage import safe_suggest

        safe_suggest(self.triage, "孩子父母外出务工，孩子一个人在家")
        try:
            self.knowledge.warm()
        except Exception:  # a missing knowledge base must not stop the server; searches will say so
            log.exception("knowledge-base warm-up failed")

    def close(self) -> None:
        if self._queue is not None:
            self._queue.broker.close()
        self.db.dispose()
