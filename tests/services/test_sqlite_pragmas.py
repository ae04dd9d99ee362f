"""REL-1: every pooled SQLite connection runs WAL, synchronous=FULL, a busy timeout ≥ 5 s, foreign keys and
secure_delete — checked on a database of its own, whichever backend the suite runs on."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hotline.db import Database
from hotline.migrate import upgrade


@pytest.fixture
def sqlite_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    upgrade(db.engine)
    yield db
    db.dispose()


def test_every_pooled_connection_is_configured(sqlite_db):
    # four distinct pooled connections, each in a deferred (read) transaction so that none waits for another
    connections = [sqlite_db.reader.connect() for _ in range(4)]
    try:
        for conn in connections:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731, B023
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL: no acknowledged commit is lost on power failure
            assert pragma("busy_timeout") >= 5000
            assert pragma("foreign_keys") == 1
            assert pragma("secure_delete") == 1
    finally:
        for conn in connections:
            conn.close()


def test_an_orphan_row_is_refused(sqlite_db):
    with pytest.raises(IntegrityError), sqlite_db.transaction() as session:
        session.execute(text("INSERT INTO ticket_events (ticket_id, at, action, actor, actor_role) "
                             "VALUES (987654, '2026-01-01 00:00:00', 'note', 'x', 'operator')"))
