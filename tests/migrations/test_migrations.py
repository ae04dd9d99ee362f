"""Alembic builds the schema from nothing, and the models never drift from the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hotline.db import make_engine
from hotline.migrate import include_object, upgrade
from hotline.models import Base  # every domain's tables


def test_empty_sqlite_upgrades_to_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_models_match_the_migrated_schema(state):
    """Run against the session's database: SQLite, or PostgreSQL in the second pass of `make test`."""
    with state.db.connect(readonly=True) as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(state):
    with state.db.connect() as conn:
        upgrade(conn)  # already at head: a no-op, no error
