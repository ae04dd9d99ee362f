"""Alembic builds the schema from nothing, and the models never drift from the migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from hotline.db import make_engine
from hotline.migrate import upgrade
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
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(state):
    with state.db.connect() as conn:
        upgrade(conn)  # already at head: a no-op, no error


def test_0015_drops_the_full_text_objects_and_its_downgrade_rebuilds_them(tmp_path):
    from alembic import command

    from hotline.migrate import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    upgrade(engine)
    assert not {"kb_fts", "kb_terms"} & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO kb_articles (id, title, type, categories, tags, source, version, cites, updated_at,"
                          " updated_by) VALUES ('a', 't', 'law', '[]', '[]', '', 1, '[]', '2026-12-04 00:00:00', 'x')"))
        for pid, body in (("a#1", "留守 儿童 监护"), ("a#2", "儿童 救助")):
            conn.execute(text("INSERT INTO kb_passages (id, article_id, ordinal, type, title, text, source, categories,"
                              " tags, cites, superseded, tokens_title, tokens_tags, tokens_body) VALUES (:id, 'a', 0,"
                              " 'law', 't', 'x', '', '[]', '[]', '[]', 0, '', '', :body)"), {"id": pid, "body": body})
    with engine.begin() as conn:
        cfg = alembic_config(url=str(engine.url))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
    with engine.connect() as conn:
        assert dict(conn.execute(text("SELECT term, df FROM kb_terms")).all()) == {"留守": 1, "儿童": 2, "监护": 1, "救助": 1}
        assert conn.execute(text("SELECT passage_id FROM kb_fts WHERE kb_fts MATCH '\"救助\"'")).scalars().all() == ["a#2"]
    upgrade(engine)
    assert "kb_terms" not in inspect(engine).get_table_names()
    engine.dispose()
