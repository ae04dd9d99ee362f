"""REL-5, fault scenario 11: ``hotline backup`` then ``hotline restore`` into a fresh database gives the same
tickets (numbers and sealed content), the same row counts and the same audit chain; a restore refuses to
overwrite a database with tickets unless forced, and reports a manifest that does not match."""

from __future__ import annotations

import json
import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, select, text
from tests_support import BACKEND, TEST_DB_URL

from hotline.cli import given, main
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket

CALLS = [("13912340001", "孩子父母外出务工，孩子一个人在家没人管"), ("13912340002", "邻居家孩子经常挨打，身上有伤")]


@pytest.fixture
def databases(tmp_path):
    """Two empty databases of the suite's backend: the source and the restore target."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
        return
    names = [f"test_backup_{secrets.token_hex(4)}_{which}" for which in ("src", "dst")]
    admin = create_engine(TEST_DB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield tuple(make_url(TEST_DB_URL).set(database=n).render_as_string(hide_password=False) for n in names)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _runtime(tmp_path, url: str, name: str) -> Runtime:  # noqa: ANN001
    # one installation: the same secret key, so the same data key and audit key on both sides
    return Runtime.from_env({"instance_path": tmp_path / name, "database_url": url, "testing": True,
                             "secret_key": "backup-test-secret-key-0123456789abcdef"})


def _tickets(runtime: Runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.transaction(readonly=True) as session:
        rows = session.scalars(select(Ticket).order_by(Ticket.number)).all()
        return [(t.number, t.text, runtime.cipher.open(t.caller_phone_sealed)) for t in rows]


def _cli(runtime: Runtime, *args: str):  # noqa: ANN202
    return CliRunner().invoke(main, list(args), obj=given(runtime))


def test_a_backup_restores_the_same_tickets_counts_and_audit_chain(databases, tmp_path):
    from hotline import create_app
    from hotline.accounts.tokens import create_token
    from hotline.bootstrap import initialise

    source_url, target_url = databases
    source = _runtime(tmp_path, source_url, "source")
    initialise(source)
    with source.db.transaction() as session:
        _, token = create_token(session, "telephony", "dispatcher")
    api = create_app(runtime=source).test_client()
    for phone, narrative in CALLS:
        created = api.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                           json={"channel": "phone", "text": narrative, "caller": {"phone": phone}})
        assert created.status_code == 201
        number = created.get_json()["number"]
        api.post(f"/api/v1/tickets/{number}/reveal", headers={"Authorization": f"Bearer {token}"},
                 json={"reason": "verify"})  # an audit row
    before = _tickets(source)
    assert [phone for *_, phone in before] == [phone for phone, _ in CALLS]

    done = _cli(source, "backup", "--to", str(tmp_path / "backup"))
    assert done.exit_code == 0, done.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["tickets"] == 2 and manifest["audit_ok"] and manifest["tables"]["audit_log"] > 0
    assert _cli(source, "backup", "--to", str(tmp_path / "backup")).exit_code == 2  # never over an old backup
    source.close()

    target = _runtime(tmp_path, target_url, "target")
    restored = _cli(target, "restore", "--from", str(tmp_path / "backup"))
    assert restored.exit_code == 0, restored.output
    assert "与清单一致" in restored.output and "审计链完整" in restored.output
    assert _tickets(target) == before

    again = _cli(target, "restore", "--from", str(tmp_path / "backup"))
    assert again.exit_code == 2 and "--force" in again.output  # a database with tickets is not overwritten
    assert _cli(target, "restore", "--from", str(tmp_path / "backup"), "--force").exit_code == 0
    target.close()


def test_a_manifest_that_does_not_match_is_reported(databases, tmp_path):
    from hotline.bootstrap import initialise

    source_url, target_url = databases
    source = _runtime(tmp_path, source_url, "source")
    initialise(source)
    assert _cli(source, "backup", "--to", str(tmp_path / "backup")).exit_code == 0
    source.close()
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tables"]["agency_units"] += 1  # a row the dump does not hold
    manifest["audit_head"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    target = _runtime(tmp_path, target_url, "target")
    result = _cli(target, "restore", "--from", str(tmp_path / "backup"))
    assert result.exit_code == 1
    assert "agency_units" in result.output and "链尾" in result.output
    target.close()
