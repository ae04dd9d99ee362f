"""The audit trail is append-only (AUD-3): the ORM refuses changes, the database refuses them (triggers),
and the HMAC chain finds what someone with direct database access edited, removed or slipped in —
checked by ``verify_chain`` and ``hotline audit verify``. An audit row that cannot be written takes the
change it records down with it (AUD-2, fault scenario 8)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from tests_support import BACKEND, race

from hotline.accounts.audit import AuditAppendOnly, AuditKeyMissing, record_event, use_key, verify_chain
from hotline.accounts.models import ApiToken, AuditEntry
from hotline.accounts.tokens import create_token
from hotline.cli import given, main
from hotline.db import Database
from hotline.migrate import upgrade


def write(state, n: int, prefix: str = "t") -> list[int]:
    ids = []
    with state.db.transaction() as s:
        for i in range(n):
            ids.append(record_event(s, f"{prefix}{i}", "admin", "user_create", object_ref=f"user:{prefix}{i}",
                                    detail="role=operator", source_ip="127.0.0.1").id)
    return ids


def raw(state, sql: str, **params) -> None:  # noqa: ANN003
    with state.db.connect() as conn:
        conn.execute(text(sql), params)


def drop_triggers(state) -> None:
    """What an attacker with database access does first."""
    if BACKEND == "postgresql":
        raw(state, "DROP TRIGGER audit_log_no_change ON audit_log")
        raw(state, "DROP TRIGGER audit_log_no_truncate ON audit_log")
    else:
        raw(state, "DROP TRIGGER audit_log_no_update")
        raw(state, "DROP TRIGGER audit_log_no_delete")


def verify(state):
    with state.db.transaction(readonly=True) as s:
        return verify_chain(s)


def test_every_row_is_chained_and_the_chain_verifies(state):
    ids = write(state, 5)
    with state.db.transaction(readonly=True) as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id)).all()
        total = s.scalar(select(func.count()).select_from(AuditEntry))
    assert all(len(r.chain) == 64 for r in rows) and len({r.chain for r in rows}) == 5
    assert [r.outcome for r in rows] == ["ok"] * 5
    result = verify(state)
    assert result.ok and result.checked + result.legacy == total and result.head == rows[-1].chain


def test_outcome_is_recorded_and_defaults_from_the_event(state):
    with state.db.transaction() as s:
        failure = record_event(s, "someone", "-", "login_failure", detail="unknown_user")
        lockout = record_event(s, "someone", "operator", "lockout")
        refused = record_event(s, "someone", "operator", "export", outcome="denied")
        with pytest.raises(ValueError):
            record_event(s, "someone", "operator", "export", outcome="maybe")
    assert (failure.outcome, lockout.outcome, refused.outcome) == ("denied", "denied", "denied")
    assert verify(state).ok


def test_the_orm_refuses_to_update_or_delete_an_audit_row(state):
    [row_id] = write(state, 1)
    attempts = [
        lambda s: setattr(s.get(AuditEntry, row_id), "detail", "rewritten"),
        lambda s: s.delete(s.get(AuditEntry, row_id)),
        lambda s: s.execute(update(AuditEntry).where(AuditEntry.id == row_id).values(detail="x")),
        lambda s: s.execute(delete(AuditEntry).where(AuditEntry.id == row_id)),
    ]
    for attempt in attempts:
        with pytest.raises(AuditAppendOnly), state.db.transaction() as s:
            attempt(s)
            s.flush()
    with state.db.transaction(readonly=True) as s:
        assert s.get(AuditEntry, row_id).detail == "role=operator"
    assert verify(state).ok


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET detail = 'x' WHERE id = :id",
                                 "DELETE FROM audit_log WHERE id = :id",
                                 "DELETE FROM audit_log"]
                         + (["TRUNCATE audit_log"] if BACKEND == "postgresql" else []))
def test_the_database_refuses_raw_updates_deletes_and_truncate(state, sql):
    [row_id] = write(state, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        raw(state, sql, id=row_id)
    with state.db.transaction(readonly=True) as s:
        assert s.get(AuditEntry, row_id).detail == "role=operator"


TAMPERING = {
    # what the attacker does to the middle row of three -> which row verify names
    "edited": ("UPDATE audit_log SET detail = 'role=admin' WHERE id = :mid", 1),
    "edited time": ("UPDATE audit_log SET at = at - INTERVAL '1 day' WHERE id = :mid"
                    if BACKEND == "postgresql" else "UPDATE audit_log SET at = '2020-01-01 00:00:00' WHERE id = :mid", 1),
    "removed": ("DELETE FROM audit_log WHERE id = :mid", 2),
    "chain blanked": ("UPDATE audit_log SET chain = NULL WHERE id = :mid", 1),
    "chain copied": ("UPDATE audit_log SET chain = (SELECT chain FROM audit_log WHERE id = :first) WHERE id = :mid", 1),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_verify_names_the_first_row_an_attacker_touched(state, how):
    ids = write(state, 3)
    write(state, 2, prefix="later")
    assert verify(state).ok
    drop_triggers(state)
    sql, broken = TAMPERING[how]
    raw(state, sql, mid=ids[1], first=ids[0])
    result = verify(state)
    assert not result.ok and result.broken_id == ids[broken], result
    assert str(ids[broken]) in result.message()


def test_a_row_inserted_out_of_chain_is_found(state):
    ids = write(state, 2)
    drop_triggers(state)
    raw(state, "DELETE FROM audit_log WHERE id = :id", id=ids[1])  # make room, then forge a plausible row
    raw(state, "INSERT INTO audit_log (id, at, actor, actor_role, event, outcome, chain) "
               "SELECT :id, at, 'forged', 'admin', 'user_create', 'ok', chain FROM audit_log WHERE id = :prev",
        id=ids[1], prev=ids[0])
    result = verify(state)
    assert not result.ok and result.broken_id == ids[1]


def test_a_removed_tail_changes_the_head(state):
    """Removing the newest rows leaves a valid shorter chain: the head recorded elsewhere (the backup
    manifest) is what shows it."""
    write(state, 2)
    head = verify(state).head
    drop_triggers(state)
    raw(state, "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)")
    after = verify(state)
    assert after.ok and after.head != head


def test_the_cli_exits_zero_when_intact_and_names_the_broken_row(state):
    ids = write(state, 2)
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify"], obj=given(state))
    assert ok.exit_code == 0, ok.output
    assert "审计链完整" in ok.output
    drop_triggers(state)
    raw(state, "UPDATE audit_log SET reason = 'x' WHERE id = :id", id=ids[0])
    broken = runner.invoke(main, ["audit", "verify"], obj=given(state))
    assert broken.exit_code == 1
    assert f"第一条异常记录 ID {ids[0]}" in broken.output


def test_a_wrong_key_does_not_verify(state):
    write(state, 1)
    with state.db.transaction(readonly=True) as s:
        assert not verify_chain(s, key=b"\x00" * 32).ok


def test_rows_from_before_the_chain_are_a_vouched_prefix(tmp_path):
    """A database migrated from before 0012 keeps its old rows unchained; the first chained row vouches for
    how many there were, so removing one of them is found."""
    db = Database(f"sqlite:///{tmp_path / 'legacy.db'}")
    upgrade(db.engine, "0011")
    with db.connect() as conn:
        for i in range(3):
            conn.execute(text("INSERT INTO audit_log (at, actor, actor_role, event) "
                              "VALUES ('2026-01-01 00:00:00', :a, 'admin', 'login_success')"), {"a": f"old{i}"})
    upgrade(db.engine)
    with pytest.raises(AuditKeyMissing), db.transaction() as s:
        record_event(s, "new", "admin", "login_success")
    use_key(db.engine, b"k" * 32)
    with db.transaction() as s:
        record_event(s, "new", "admin", "login_success")
        record_event(s, "new", "admin", "logout")
    with db.transaction(readonly=True) as s:
        result = verify_chain(s)
    assert result.ok and (result.legacy, result.checked) == (3, 2)
    with db.connect() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE actor = 'old1'"))
    with db.transaction(readonly=True) as s:
        result = verify_chain(s)
    assert not result.ok and result.broken_id == 4
    db.dispose()


def test_concurrent_writers_never_fork_the_chain(live):
    """Sixteen threads append at once, each in its own committed transaction, on a real database."""
    runtime = live.runtime

    def append(i: int) -> None:
        for j in range(5):
            with runtime.db.transaction() as s:
                record_event(s, f"w{i}", "operator", "reveal", object_ref=f"ticket:{i}-{j}")

    race(16, append)
    with runtime.db.transaction(readonly=True) as s:
        result = verify_chain(s)
        total = s.scalar(select(func.count()).select_from(AuditEntry))
    assert result.ok and result.checked == total and total >= 80


def inject_audit_failure(state) -> None:
    """Fault scenario 8: the audit insert fails (a trigger refusing every new audit row)."""
    if BACKEND == "postgresql":
        raw(state, "CREATE FUNCTION audit_fail() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$")
        raw(state, "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_fail()")
    else:
        raw(state, "CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END")


def test_a_failed_audit_insert_rolls_the_change_back(state):
    """AUD-2: creating a token writes the token and its audit row in one transaction: no row, no token."""
    inject_audit_failure(state)
    with pytest.raises(DBAPIError, match="injected audit failure"), state.db.transaction() as s:
        create_token(s, "unaudited", "operator")
    with state.db.transaction(readonly=True) as s:
        assert s.scalar(select(ApiToken).where(ApiToken.name == "unaudited")) is None


def test_a_reveal_whose_audit_row_fails_shows_nothing(api_as, state):
    """AUD-2 over HTTP: a reveal that cannot be audited answers an error and no personal data."""
    operator, police = api_as("operator"), api_as("agency_staff", "public_security:长春市/农安县")
    number = operator.post("/tickets", json=CALL).get_json()["number"]
    assert operator.act(number, "dispatch", **LABELS).status_code == 200
    assert police.get(f"/tickets/{number}").get_json()["personal_data_masked"] is True
    inject_audit_failure(state)
    resp = police.post(f"/tickets/{number}/reveal", json={"reason": "verify"})
    assert resp.status_code >= 500
    assert "13812341234" not in resp.get_data(as_text=True) and "王小红" not in resp.get_data(as_text=True)


LABELS = {"category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}
CALL = {"channel": "phone", "text": "来电人反映邻居家孩子父母外出务工，孩子常常一个人在家。",
        "caller": {"name": "王小红", "phone": "13812341234"}, "child": {"name": "李明", "age": 7},
        "address": "农安县某镇幸福村3组5号"}
