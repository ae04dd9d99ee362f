"""Data at rest (PI-6, INT-2, file modes): the tickets' caller name, phone and address are sealed (a raw read
shows ciphertext, digests and masks only) while every feature keeps working on them; migration 0014 seals the
rows an older version wrote; the instance folder is 0700 and the SQLite files 0600; deleted personal data is
overwritten in the SQLite file (secure_delete)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, select, text

from hotline.accounts.actor import SYSTEM
from hotline.accounts.audit import use_key
from hotline.accounts.privacy import PersonalData
from hotline.cli import main
from hotline.crypto import FieldCipher
from hotline.db import Database
from hotline.migrate import upgrade
from hotline.tickets import calls
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.tickets.retention import purge_due

PHONE, NAME, ADDRESS = "13812345678", "王小红", "农安县合隆镇陈家店村三社12号"
TEXT = "来电人反映孩子父母外出务工，孩子常一个人在家。"


def take(session, cipher, **over) -> Ticket:  # noqa: ANN001, ANN003
    values = {"channel": "phone", "text": TEXT, "caller_name": NAME, "caller_phone": PHONE, "address": ADDRESS,
              "child_name": "李小梅", **over}
    return intake(session, IntakeRequest(**values), SYSTEM, cipher=cipher)[0]


def test_a_raw_read_of_a_ticket_shows_ciphertext_digests_and_masks_only(state):
    with state.db.transaction() as session:
        number = take(session, state.cipher).number
    with state.db.transaction(readonly=True) as session:
        row = session.execute(text("SELECT * FROM tickets WHERE number = :n"), {"n": number}).mappings().one()
        raw = " ".join(str(v) for v in row.values())
        assert PHONE not in raw and NAME not in raw and ADDRESS not in raw and "5678" not in row["caller_phone_sealed"]
        assert not {"caller_phone", "caller_name", "address"} & set(row.keys())  # no plaintext column is left
        assert row["caller_phone_sealed"].startswith(f"v2:{state.cipher.key_id}:")
        assert (row["caller_name_masked"], row["caller_phone_masked"], row["address_masked"]) == \
            ("王**", "138****5678", "农安县合隆镇陈家店村***")
        assert row["caller_phone_digest"] == state.cipher.digest(PHONE) and len(row["address_digest"]) == 64
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        full, hidden = PersonalData.full(ticket, state.cipher), PersonalData.hidden(ticket)
        assert (full.caller_name, full.caller_phone, full.address) == (NAME, PHONE, ADDRESS)
        assert (hidden.caller_phone, hidden.address, hidden.masked) == ("138****5678", "农安县合隆镇陈家店村***", True)
        # another key opens nothing
        with pytest.raises(ValueError):
            FieldCipher(os.urandom(32)).open(ticket.caller_phone_sealed)


def test_repeat_callers_and_addresses_are_found_through_the_digests(state):
    with state.db.transaction() as session:
        first = take(session, state.cipher, caller_phone="+86 138-1234-5678", address=" 农安县合隆镇陈家店村 三社12号",
                     child_name=None)
        other = take(session, state.cipher, caller_phone="13900000000", address="长春市朝阳区幸福街1号", child_name=None)
        again = take(session, state.cipher, child_name=None)
        numbers = lambda found: {t.number for t in found}  # noqa: E731
        # the operator typing the number in another format finds the earlier call
        typed = calls.related_history(session, SYSTEM, cipher=state.cipher, phone="138 1234 5678")
        assert {first.number, again.number} <= numbers(typed) and other.number not in numbers(typed)
        by_address = calls.related_history(session, SYSTEM, cipher=state.cipher, address=ADDRESS)
        assert {first.number, again.number} <= numbers(by_address) and other.number not in numbers(by_address)
        # the ticket page's history comes from the stored digests (nothing decrypted)
        assert first.number in numbers(calls.ticket_history(session, SYSTEM, again))
        assert numbers(calls.related_history(session, SYSTEM, cipher=state.cipher, phone="123")) == set()


def test_the_api_and_the_console_still_show_sealed_data_to_those_allowed(api_as, state):
    api = api_as("operator")
    call = {"channel": "phone", "text": TEXT, "caller": {"name": NAME, "phone": PHONE}, "address": ADDRESS}
    number = api.post("/tickets", json=call).get_json()["number"]
    body = api.get(f"/tickets/{number}").get_json()  # the taker, within a day: in full
    assert (body["caller"], body["address"], body["personal_data_masked"]) == \
        ({"name": NAME, "phone": PHONE}, ADDRESS, False)
    listed = next(t for t in api.get("/tickets").get_json()["items"] if t["number"] == number)
    assert listed["caller"] == {"name": "王**", "phone": "138****5678"} and listed["address"] == "农安县合隆镇陈家店村***"


# --- migration 0014 on a database of its own -------------------------------------------------------------------


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's backend, dropped afterwards."""
    url = os.environ.get("HOTLINE_TEST_DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"{make_url(url).database}_c14_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


OLD_ROW = ("INSERT INTO tickets (id, number, channel, status, text, caller_name, caller_phone, address, received_at, "
           "created_at, updated_at, triage_mode, needs_review, supervision_count, callback_wanted, version) VALUES "
           "(1, '12345-20250101-00001', 'phone', 'received', :text, :name, :phone, :address, :at, :at, :at, "
           "'pending', false, 0, false, 1)")


def test_migration_0014_seals_the_rows_an_older_version_wrote(scratch_url):
    db = Database(scratch_url)
    cipher = FieldCipher(os.urandom(32))
    try:
        upgrade(db.engine, "0013")
        with db.engine.begin() as conn:
            conn.execute(text(OLD_ROW), {"text": TEXT, "name": NAME, "phone": "138 1234 5678", "address": ADDRESS,
                                         "at": "2025-01-01 00:00:00"})
            conn.execute(text("INSERT INTO ticket_events (ticket_id, at, action, actor, actor_role) "
                              "VALUES (1, '2025-01-01 00:00:00', 'create', 'user:op', 'operator')"))
        # without the key (plain alembic), nothing is dropped: refused, still at 0013 with the plaintext
        with pytest.raises(RuntimeError, match="hotline init"):
            upgrade(db.engine)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0013"
            assert conn.execute(text("SELECT caller_phone FROM tickets")).scalar() == "138 1234 5678"
        upgrade(db.engine, cipher=cipher)  # what hotline init does
        with db.transaction(readonly=True) as session:
            row = session.execute(text("SELECT * FROM tickets")).mappings().one()
            assert NAME not in str(dict(row)) and "1234" not in (row["caller_phone_masked"] or "1234")
            ticket = session.get(Ticket, 1)
            full = PersonalData.full(ticket, cipher)
            assert (full.caller_name, full.caller_phone, full.address) == (NAME, "138 1234 5678", ADDRESS)
            assert ticket.caller_phone_digest == cipher.digest(PHONE) and len(ticket.events) == 1
            assert [t.id for t in calls.related_history(session, SYSTEM, cipher=cipher, phone=PHONE,
                                                        now=ticket.received_at)] == [1]
    finally:
        db.dispose()


# --- files on disk ---------------------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_folder_and_sqlite_files_are_private_after_init_and_writes(tmp_path):
    from hotline.app import create_app
    from hotline.runtime import Runtime

    old = os.umask(0o022)  # the usual umask: without our code, files would be 0644 and folders 0755
    try:
        instance = tmp_path / "instance"
        env = {"HOTLINE_INSTANCE_PATH": str(instance), "HOTLINE_DATABASE_URL": "", "HOTLINE_SECRET_KEY": ""}
        result = CliRunner().invoke(main, ["init"], env=env)
        assert result.exit_code == 0, result.output
        assert mode(instance) == 0o700 and mode(instance / "secret_key") == 0o600
        assert mode(instance / "hotline.db") == 0o600
        runtime = Runtime.from_env({"instance_path": instance, "database_url": f"sqlite:///{instance / 'hotline.db'}"})
        try:
            from hotline.accounts.tokens import create_token

            with runtime.db.transaction() as session:
                _, token = create_token(session, "telephony", "operator")
            client = create_app(runtime=runtime).test_client()
            resp = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                               json={"channel": "phone", "text": TEXT, "caller": {"phone": PHONE}})
            assert resp.status_code == 201
            for name in ("hotline.db", "hotline.db-wal", "hotline.db-shm"):
                assert mode(instance / name) == 0o600, name
        finally:
            runtime.close()
    finally:
        os.umask(old)


def test_an_older_world_readable_database_is_narrowed_on_connect(tmp_path):
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    try:
        with db.connect() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        assert mode(path) == 0o600 and mode(Path(f"{path}-wal")) == 0o600
    finally:
        db.dispose()


def checkpoint(db: Database, path: Path) -> None:
    """Copy the WAL into the database file and truncate it, as SQLite eventually does by itself."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def test_purged_personal_data_is_overwritten_in_the_sqlite_file(tmp_path):
    """INT-2: SQLite runs with secure_delete, so text the retention purge removes is zeroed in the file, not
    left in a free page (checked on a SQLite file of its own, whatever the suite's backend)."""
    from datetime import timedelta

    from hotline.tickets.lifecycle import TicketStatus
    from hotline.timeutil import utcnow

    path = tmp_path / "marker.db"
    db = Database(f"sqlite:///{path}")
    marker = "MARKER-7f3a9c-" * 20
    try:
        upgrade(db.engine)
        use_key(db.engine, os.urandom(32))  # the audit chain's key (a Runtime registers it)
        with db.transaction() as session:
            ticket = take(session, FieldCipher(os.urandom(32)), text=f"来电人说 {marker}")
            ticket.status, ticket.closed_at = TicketStatus.CLOSED, utcnow() - timedelta(days=2000)
        checkpoint(db, path)
        assert marker.encode() in path.read_bytes()  # the test can see the text where it lies
        with db.transaction() as session:
            assert purge_due(session, utcnow(), 1095) == {"tickets_personal_data_purged": 1}
        checkpoint(db, path)
        assert b"MARKER-7f3a9c" not in path.read_bytes()
        assert b"MARKER-7f3a9c" not in (Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b"")
    finally:
        db.dispose()
