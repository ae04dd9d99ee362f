"""PI-5: closed tickets keep their personal data ``HOTLINE_RETENTION_DAYS`` (default 1095) after closing; the
daily ``purge_tickets`` job then removes it, keeps a statistics stub, marks the ticket and leaves the audit
trail alone. Time travel: tickets closed at chosen moments, the job run as of a chosen moment."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.accounts.actor import SYSTEM
from hotline.accounts.models import AuditEntry
from hotline.accounts.privacy import disclose
from hotline.config import ConfigError, load_settings
from hotline.scheduling.jobs import JOBS
from hotline.scheduling.runner import run_due
from hotline.tickets.actions import perform_action
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.tickets.retention import PURGED_TEXT, purge_due
from hotline.timeutil import SHANGHAI

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
DAYS = 1095
ANSWER = {"category": "guardianship", "kind": "consult", "urgency": "normal", "prefecture": "长春市",
          "county": "农安县", "answer": "已告知来电人可向村儿童主任求助。"}


def closed_ticket(state, when: datetime, *, close: bool = True) -> str:  # noqa: ANN001
    """A call with personal data answered directly (and so closed) at ``when``; its number."""
    with state.db.transaction() as session:
        req = IntakeRequest(channel="phone", text="来电人王小红反映孩子父母外出务工，孩子常一个人在家。",
                            caller_name="王小红", caller_phone="13812345678", child_name="李小梅", child_age=7,
                            address="农安县合隆镇陈家店村三社12号", received_at=when - timedelta(hours=1))
        ticket, _ = intake(session, req, SYSTEM, cipher=state.cipher)
        if close:
            perform_action(session, ticket.number, "answer", SYSTEM, ANSWER, policy=state.policy,
                           taxonomy=state.taxonomy, now=when)
        return ticket.number


def load(state, number: str) -> Ticket:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        ticket.events  # noqa: B018 - loaded while the session is open
        return ticket


def audit_rows(state) -> list[tuple[int, str, str | None]]:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        return [(e.id, e.event, e.object_ref) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_closed_tickets_lose_their_personal_data_just_after_the_retention_and_not_before(state):
    now = CLOSED + timedelta(days=DAYS)
    old = closed_ticket(state, CLOSED - timedelta(minutes=1))  # closed just over 1095 days ago
    young = closed_ticket(state, CLOSED + timedelta(minutes=1))  # just under
    still_open = closed_ticket(state, CLOSED - timedelta(days=400), close=False)
    with state.db.transaction() as session:  # a view of the old ticket's data, audited before the purge
        disclose(session, SYSTEM, session.scalar(select(Ticket).where(Ticket.number == old)), cipher=state.cipher,
                 now=now, source_ip=None, reveal={"reason": "verify"})
    before = audit_rows(state)

    summary = run_due(state, now, only=("purge_tickets",))
    assert summary["jobs"] == {"purge_tickets": "ok"} and summary["tickets_personal_data_purged"] == 1

    purged = load(state, old)
    assert purged.personal_data_purged_at == now
    assert (purged.caller_name_sealed, purged.caller_phone_sealed, purged.caller_phone_digest, purged.address_sealed,
            purged.address_masked, purged.child_name, purged.child_age, purged.result) == (None,) * 8
    assert purged.text == PURGED_TEXT and all(e.note is None for e in purged.events)
    # the stub the statistics need is still there
    assert (purged.number, purged.category, purged.kind, purged.county, purged.status) == \
        (old, "guardianship", "consult", "农安县", "closed")
    assert purged.received_at is not None and purged.closed_at is not None and len(purged.events) >= 2
    for kept in (young, still_open):
        ticket = load(state, kept)
        assert ticket.personal_data_purged_at is None and state.cipher.open(ticket.caller_phone_sealed) == "13812345678"
        assert ticket.child_name == "李小梅"
    # the audit trail is untouched (the reveal of the purged data stays provable); one row says what the job did
    after = audit_rows(state)
    assert after[: len(before)] == before and [e[1] for e in after[len(before):]] == ["retention_purge"]

    # idempotent: the second run, and a later one, find nothing more to do; the young ticket goes in its turn
    with state.db.transaction() as session:
        assert purge_due(session, now, DAYS) == {"tickets_personal_data_purged": 0}
    assert load(state, old).personal_data_purged_at == now and len(audit_rows(state)) == len(after)
    later = run_due(state, now + timedelta(days=1), only=("purge_tickets",))
    assert later["tickets_personal_data_purged"] == 1 and load(state, young).personal_data_purged_at is not None
    assert load(state, still_open).personal_data_purged_at is None


def test_the_retention_is_configured_and_bounded():
    env = {"HOTLINE_SECRET_KEY": "k" * 40, "HOTLINE_INSTANCE_PATH": "/nonexistent/hotline"}
    assert load_settings(env=env).retention_days == 1095
    assert load_settings(env={**env, "HOTLINE_RETENTION_DAYS": "365"}).retention_days == 365
    for bad in ("7", "5000", "abc"):
        with pytest.raises(ConfigError, match="HOTLINE_RETENTION_DAYS"):
            load_settings(env={**env, "HOTLINE_RETENTION_DAYS": bad})


def test_the_purge_job_is_daily_after_the_list_purge():
    job = next(j for j in JOBS if j.id == "purge_tickets")
    assert job.trigger.describe() == "每天 03:10" and job.transactional
