"""``hotline backup`` and ``hotline restore`` (等保 8.1.4.9, REL-5): a consistent copy of the whole database
plus a manifest, and a restore that proves itself against that manifest.

- SQLite: the online backup API (a consistent snapshot while the app keeps writing; never a raw copy of a
  live file without its WAL).
- PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --clean --if-exists --no-owner``; the connection's parts go
  to the tools through ``PG*`` environment variables, never a password on a command line.
- ``manifest.json``: backend, time, schema revision, per-table row counts and the audit chain's head. A
  restore loads the dump, then checks the revision, every count and the audit chain (intact, and the same
  head: a backup cut short or tampered with is caught).

The data key and the audit key are not in the backup (they live in the environment): keep them apart from it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, make_url, select, text
from sqlalchemy.orm import Session

from hotline.accounts.audit import audit_key, use_key, verify_chain
from hotline.orm import Base
from hotline.runtime import Runtime
from hotline.timeutil import iso_local, utcnow

MANIFEST = "manifest.json"
SQLITE_DUMP = "hotline.db"
PG_DUMP = "hotline.dump"


class BackupError(ValueError):
    """The backup or restore cannot be done or did not verify; the message is Chinese."""


@dataclass(frozen=True)
class Snapshot:
    """What a database holds, as the manifest records it."""

    revision: str | None
    counts: dict[str, int]
    audit_head: str | None
    audit_ok: bool


@dataclass
class RestoreReport:
    manifest: dict
    found: Snapshot
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def snapshot(session: Session) -> Snapshot:
    """The schema revision, every mapped table's row count and the audit chain, read in one transaction."""
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    counts = {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}
    chain = verify_chain(session)
    return Snapshot(revision, counts, chain.head, chain.ok)


def _pg_env(url: str) -> dict[str, str]:
    parts = make_url(url)
    env = {**os.environ, "PGHOST": parts.host or "127.0.0.1", "PGPORT": str(parts.port or 5432),
           "PGUSER": parts.username or "postgres", "PGDATABASE": parts.database or ""}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    for key, value in (parts.query or {}).items():  # sslmode, sslrootcert … as libpq variables
        if key.startswith("ssl"):
            env[f"PG{key.upper()}"] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{(done.stderr or done.stdout).strip().splitlines()[-1:]}")


def backup(runtime: Runtime, target: Path) -> dict:
    """Write the dump and the manifest into the directory ``target`` (created; must be empty). Returns the manifest."""
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    if any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 不是空目录，请指定新目录")
    url = runtime.settings.database_url
    with runtime.db.transaction(readonly=True) as session:
        found = snapshot(session)
    if runtime.db.is_sqlite:
        source = sqlite3.connect(make_url(url).database)
        copy = sqlite3.connect(target / SQLITE_DUMP)
        try:
            source.backup(copy)  # the online backup API: a consistent snapshot, WAL included
        finally:
            copy.close()
            source.close()
        os.chmod(target / SQLITE_DUMP, 0o600)
        dump = SQLITE_DUMP
    else:
        _run(["pg_dump", "-Fc", "--no-owner", "-f", str(target / PG_DUMP)], _pg_env(url))
        os.chmod(target / PG_DUMP, 0o600)
        dump = PG_DUMP
    manifest = {
        "backend": "sqlite" if runtime.db.is_sqlite else "postgresql",
        "created_at": iso_local(utcnow()),
        "dump": dump,
        "revision": found.revision,
        "tables": found.counts,
        "audit_head": found.audit_head,
        "audit_ok": found.audit_ok,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def _holds_tickets(runtime: Runtime) -> bool:
    try:
        with runtime.db.transaction(readonly=True) as session:
            return bool(session.execute(text("SELECT 1 FROM tickets LIMIT 1")).first())
    except Exception:  # noqa: BLE001 - no schema yet: an empty database
        return False


def restore(runtime: Runtime, source: Path, *, force: bool = False) -> RestoreReport:
    """Load the backup in ``source`` into the configured database, then check it against its manifest."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} 中没有可读的 {MANIFEST}：{exc}") from None
    backend = "sqlite" if runtime.db.is_sqlite else "postgresql"
    if manifest.get("backend") != backend:
        raise BackupError(f"备份来自 {manifest.get('backend')}，当前数据库是 {backend}")
    dump = source / str(manifest.get("dump", ""))
    if not dump.is_file():
        raise BackupError(f"备份文件 {dump} 不存在")
    if _holds_tickets(runtime) and not force:
        raise BackupError("目标数据库已有工单；确认要覆盖时加 --force")
    url = runtime.settings.database_url
    runtime.db.dispose()  # no pooled connection may hold the old file or schema open; the new pool needs the key
    use_key(runtime.db.engine, audit_key(runtime.settings.audit_key, runtime.settings.secret_key))
    if runtime.db.is_sqlite:
        path = Path(make_url(url).database)
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        loaded, live = sqlite3.connect(dump), sqlite3.connect(path)
        try:
            loaded.backup(live)
        finally:
            live.close()
            loaded.close()
    else:
        env = _pg_env(url)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", env["PGDATABASE"],
              str(dump)], env)
    with runtime.db.transaction(readonly=True) as session:
        found = snapshot(session)
    report = RestoreReport(manifest, found)
    if found.revision != manifest.get("revision"):
        report.problems.append(f"结构版本 {found.revision} 与备份清单 {manifest.get('revision')} 不一致")
    for table, expected in sorted(manifest.get("tables", {}).items()):
        if found.counts.get(table) != expected:
            report.problems.append(f"表 {table}：恢复后 {found.counts.get(table)} 行，备份清单 {expected} 行")
    if not found.audit_ok:
        report.problems.append("审计链校验未通过")
    elif found.audit_head != manifest.get("audit_head"):
        report.problems.append("审计链链尾与备份清单不一致（记录被截断或清单被改动）")
    return report

