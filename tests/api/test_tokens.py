"""API tokens (API-1 tokens part, AUD-1 token events): expiry set at creation, refused once expired or
revoked with a clear code, ``last_used_at`` refreshed at most once a minute, and the token's creation,
revocation and use in the audit trail."""

import hashlib
from datetime import datetime, time, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from hotline.accounts.models import ApiToken, AuditEntry
from hotline.accounts.tokens import issue_token
from hotline.cli import given, main
from hotline.timeutil import SHANGHAI, utcnow


@pytest.fixture
def run(state):
    def _run(*args: str):
        return CliRunner().invoke(main, list(args), obj=given(state), catch_exceptions=False)

    return _run


def token_row(state, name: str) -> ApiToken:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(ApiToken).where(ApiToken.name == name).order_by(ApiToken.id.desc()))


def audit_rows(state, event: str) -> list[AuditEntry]:
    with state.db.transaction(readonly=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.event == event).order_by(AuditEntry.id)))


def token_name(state, token: str) -> str:
    """The name of the token whose secret this is (only its SHA-256 is stored)."""
    with state.db.transaction(readonly=True) as session:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return session.scalar(select(ApiToken.name).where(ApiToken.token_sha256 == digest))


def get_tickets(client, token: str, ip: str = "127.0.0.1"):
    return client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                      environ_base={"REMOTE_ADDR": ip})


def test_a_token_expires_after_the_days_given_at_creation_default_a_year(run, state):
    before = utcnow()
    assert run("token", "create", "--name", "tel-a", "--role", "operator").exit_code == 0
    assert run("token", "create", "--name", "tel-b", "--role", "operator", "--expires-days", "30").exit_code == 0
    assert token_row(state, "tel-a").expires_at - before - timedelta(days=365) < timedelta(minutes=1)
    assert token_row(state, "tel-b").expires_at - before - timedelta(days=30) < timedelta(minutes=1)


@pytest.mark.parametrize("days", ["0", "731", "-5"])
def test_an_expiry_outside_1_to_730_days_is_refused(run, state, days):
    result = run("token", "create", "--name", "tel-x", "--role", "operator", "--expires-days", days)
    assert result.exit_code == 2 and "有效期须为 1-730 天" in result.output
    assert token_row(state, "tel-x") is None


def test_an_expired_token_is_refused_with_its_own_code(client, state):
    with state.db.transaction() as session:
        old = issue_token(session, "old-integration", "operator", expires_days=30, now=utcnow() - timedelta(days=31))
    resp = get_tickets(client, old.token)
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "token_expired" and "过期" in resp.get_json()["message"]


def test_a_revoked_token_is_refused_from_its_next_request_and_the_revocation_is_audited(run, client, state):
    token = run("token", "create", "--name", "leaked", "--role", "operator").output.strip()
    assert get_tickets(client, token).status_code == 200
    assert run("token", "revoke", "--name", "leaked").exit_code == 0
    resp = get_tickets(client, token)
    assert resp.status_code == 401 and resp.get_json()["code"] == "token_revoked"
    revoked = audit_rows(state, "token_revoke")
    assert len(revoked) == 1 and revoked[0].object_ref == f"token:{token_row(state, 'leaked').id}"
    assert revoked[0].actor.startswith("cli")
    assert get_tickets(client, "hl_not-a-real-token").get_json()["code"] == "invalid_token"


def test_creation_is_audited_without_the_secret(run, state):
    token = run("token", "create", "--name", "telephony", "--role", "operator", "--expires-days", "90").output.strip()
    created = audit_rows(state, "token_create")
    assert [r.object_ref for r in created] == [f"token:{token_row(state, 'telephony').id}"]
    assert "name=telephony;role=operator" in created[0].detail and token not in created[0].detail


def test_last_used_is_written_at_most_once_a_minute(client, make_token, state):
    token = make_token("operator")
    name = token_name(state, token)
    assert token_row(state, name).last_used_at is None
    assert get_tickets(client, token).status_code == 200
    first = token_row(state, name).last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    assert get_tickets(client, token).status_code == 200
    assert token_row(state, name).last_used_at == first  # a read stayed a read
    with state.db.transaction() as session:  # a minute and a bit later
        session.get(ApiToken, token_row(state, name).id).last_used_at = first - timedelta(seconds=61)
    assert get_tickets(client, token).status_code == 200
    assert token_row(state, name).last_used_at > first - timedelta(seconds=61)


def test_token_use_is_audited_once_a_day_and_on_a_new_address(client, make_token, state):
    # Noon in Beijing, so that "two minutes later" cannot cross Beijing midnight (16:00 UTC).
    noon = datetime.combine(utcnow().astimezone(SHANGHAI).date(), time(12), SHANGHAI)
    with time_machine.travel(noon, tick=False):
        audited_once_a_day_and_on_a_new_address(client, make_token, state)


def audited_once_a_day_and_on_a_new_address(client, make_token, state):
    token = make_token("operator")
    token_id = token_row(state, token_name(state, token)).id

    def uses():
        return [(r.detail, r.source_ip) for r in audit_rows(state, "token_use") if r.object_ref == f"token:{token_id}"]

    for _ in range(3):
        assert get_tickets(client, token, "10.0.0.5").status_code == 200
    assert uses() == [("first_use_today", "10.0.0.5")]  # three calls, one row
    with state.db.transaction() as session:  # yesterday, Beijing time
        session.get(ApiToken, token_id).last_used_at -= timedelta(days=1)
    get_tickets(client, token, "10.0.0.5")
    with state.db.transaction() as session:  # two minutes later, from somewhere else
        session.get(ApiToken, token_id).last_used_at -= timedelta(minutes=2)
    get_tickets(client, token, "192.0.2.44")
    assert uses() == [("first_use_today", "10.0.0.5"), ("first_use_today", "10.0.0.5"), ("new_address", "192.0.2.44")]
    assert {r.actor for r in audit_rows(state, "token_use") if r.object_ref == f"token:{token_id}"} == {
        f"token:{token_name(state, token)}"}


def test_token_list_shows_expiry_and_state_never_a_secret(run):
    token = run("token", "create", "--name", "listed", "--role", "dispatcher").output.strip()
    run("token", "create", "--name", "gone", "--role", "operator")
    run("token", "revoke", "--name", "gone")
    listing = run("token", "list").output
    lines = {line.split("\t")[0]: line for line in listing.splitlines()}
    assert "到期" in lines["listed"] and lines["listed"].endswith("有效") and "不签名" in lines["listed"]
    assert lines["gone"].endswith("已吊销")
    assert token not in listing
