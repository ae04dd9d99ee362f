"""Everything the app owns at run time, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from hotline.config import Settings
from hotline.db import Database
from hotline.knowledge.store import DbPassageStore
from hotline.taxonomy import Taxonomy, get_taxonomy
from hotline.tickets.deadlines import DeadlinePolicy
from hotline.tickets.triage import Triage, load_triage
from hotline.tickets.workcalendar import WorkCalendar
from knowledge_base import KnowledgeBase


@dataclass
class AppState:
    settings: Settings
    db: Database
    policy: DeadlinePolicy
    taxonomy: Taxonomy
    #: the classifier behind ticket triage; None means every ticket waits for manual triage
    triage: Triage | None = None
    kb: KnowledgeBase | None = None
    kb_store: DbPassageStore | None = None

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        calendar = WorkCalendar(settings.holidays_path)
        policy = DeadlinePolicy.from_file(settings.sla_policy_path, calendar)
        taxonomy = get_taxonomy()
        db = Database(settings.database_url)
        store = DbPassageStore(db.reader)
        return cls(
            settings=settings,
            db=db,
            policy=policy,
            taxonomy=taxonomy,
            triage=load_triage(settings.artifact_path, taxonomy),
            kb=KnowledgeBase(store),
            kb_store=store,
        )


def app_state() -> AppState:
    return current_app.extensions["hotline"]
