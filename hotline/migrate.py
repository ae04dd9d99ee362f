"""Run Alembic migrations programmatically (``hotline init`` and the tests use this)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from hotline.crypto import FieldCipher

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(bind: Engine | Connection, revision: str = "head", *, cipher: FieldCipher | None = None) -> None:
    """Migrate to ``revision`` on an engine (in its own transaction) or on a connection (in the caller's).
    ``cipher`` (the runtime's) lets a migration seal existing personal data (0014); without it such a
    migration refuses a database that holds any."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            upgrade(connection, revision, cipher=cipher)
        return
    cfg = alembic_config()
    cfg.attributes["connection"] = bind
    cfg.attributes["cipher"] = cipher
    command.upgrade(cfg, revision)


def require_current_schema(connection: Connection) -> None:
    """Refuse (ValueError, in Chinese) a database that was never initialised or lags behind the code, before
    a command works on it (the scheduler's jobs would each fail on a missing table)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if not current:
        raise ValueError("数据库尚未初始化，请先运行 hotline init")
    if current != heads:
        raise ValueError(f"数据库结构版本（{', '.join(sorted(current))}）与程序（{', '.join(sorted(heads))}）不一致，"
                         "请先运行 hotline init 升级")
