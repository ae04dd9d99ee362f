"""AUD-5: what the app logs and what the audit trail keeps carry no password, cookie, CSRF token, full ID
number, phone number or narrative — after logins, a call taken with personal data, a reveal, an export and
a few refused requests."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from hotline.accounts.models import AuditEntry

PHONE = "13912345678"
ID_NUMBER = "220102201501011234"
NARRATIVE = "邻居家的孩子小明晚上一个人在家哭，父母都在外地打工"


def test_logs_and_audit_details_leak_nothing(login, api_as, state, password, caplog):
    caplog.set_level(logging.DEBUG)
    desk = api_as("dispatcher")
    number = desk.post("/tickets", json={"channel": "phone", "text": NARRATIVE, "caller": {"name": "王五", "phone": PHONE},
                                         "address": "长春市朝阳区幸福街 1 号"}).get_json()["number"]
    desk.post(f"/tickets/{number}/reveal", json={"reason": "verify"})
    desk.post("/tickets", json={"channel": "phone", "text": NARRATIVE, "id_number": ID_NUMBER})  # refused field
    browser = login("dispatcher")
    browser.get(f"/console/tickets/{number}")
    browser.post(f"/console/tickets/{number}/reveal", {"reason": "verify"})
    browser.get("/console/export.csv")
    browser.client.post("/login", data={"username": "nobody", "password": password})  # no CSRF: refused
    secrets_seen = [password, PHONE, ID_NUMBER, NARRATIVE[:12], browser.csrf]
    cookie = browser.client.get_cookie("hotline_session")
    if cookie is not None:
        secrets_seen.append(cookie.value)

    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    with state.db.transaction(readonly=True) as s:
        entries = list(s.scalars(select(AuditEntry)))
    audited = "\n".join(f"{e.actor} {e.detail or ''} {e.reason or ''} {e.object_ref or ''}" for e in entries)
    assert {"reveal", "view_personal_data", "export"} <= {e.event for e in entries}  # the scan looked at real audit rows
    for secret in secrets_seen:
        assert secret not in logged, f"log carries {secret[:4]}…"
        assert secret not in audited, f"audit carries {secret[:4]}…"
    assert not re.search(r"1[3-9]\d{9}", logged + audited)  # no phone number of any caller


def test_line_breaks_in_what_a_caller_sends_cannot_forge_a_log_line(api_as, caplog):
    caplog.set_level(logging.DEBUG)
    api = api_as("operator")
    api.post("/tickets", json={"channel": "phone", "text": "x\nERROR forged line", "bogus\nfield": 1})
    for record in caplog.records:
        assert "\nERROR forged line" not in record.getMessage()
