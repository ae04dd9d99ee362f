"""Everything the app owns at run time, built once per app from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from hotline.config import Settings
from hotline.db import Database
from hotline.services.deadlines import DeadlinePolicy
from hotline.services.triage import Triage
from hotline.services.workcalendar import WorkCalendar
from hotline.taxonomy import Taxonomy, get_taxonomy


@dataclass
class AppState:
    settings: Settings
    db: Database
    policy: DeadlinePolicy
    taxonomy: Taxonomy
    #: the classifier behind ticket triage; None means every ticket waits for manual triage
    triage: Triage | None = None

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        calendar = WorkCalendar(settings.holidays_path)
        policy = DeadlinePolicy.from_file(settings.sla_policy_path, calendar)
        return cls(settings=settings, db=Database(settings.database_url), policy=policy, taxonomy=get_taxonomy())


def app_state() -> AppState:
    return current_app.extensions["hotline"]
