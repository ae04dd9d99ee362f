"""等保 三员分立: the auditor reads the audit trail and nothing else; nobody else reads it in the console.
Reading it is itself audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hotline.accounts.models import AuditEntry

UNIT = "civil_affairs:长春市/农安县"
CASEWORK_PAGES = ["/console/queue", "/console/new", "/console/callbacks", "/console/children/", "/console/dashboard",
                  "/console/export.csv", "/console/sentiment", "/console/matching/", "/console/field/", "/kb",
                  "/console/scheduler", "/console/notifications/webhooks", "/console/reports"]


def test_the_auditor_lands_on_the_trail_and_filters_it(login, state):
    dispatcher = login("dispatcher")
    assert dispatcher.get("/console/export.csv").status_code == 200  # an audited export
    auditor = login("auditor")
    landing = auditor.get("/console/", follow_redirects=True)
    assert landing.request.path == "/console/audit"
    html = auditor.get("/console/audit?event=export").get_data(as_text=True)
    assert "<code>export</code>" in html and dispatcher.username in html
    assert "<code>audit_view</code>" not in html.split('id="audit-entries"', 1)[1]  # filtered to exports
    with state.db.transaction(readonly=True) as s:
        views = list(s.scalars(select(AuditEntry).where(AuditEntry.event == "audit_view")))
    assert [v.detail for v in views][-1] == "event=export" and views[-1].actor_role == "auditor"


def test_a_bad_filter_is_explained_and_the_trail_still_shown(login):
    resp = login("auditor").get("/console/audit?since=2026-13-45")
    assert resp.status_code == 422 and "审计日志" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", CASEWORK_PAGES)
def test_the_auditor_sees_no_casework(login, path):
    assert login("auditor").get(path).status_code == 403


def test_the_auditor_cannot_act_on_a_ticket(login):
    operator = login("operator")
    created = operator.post("/console/new", {"text": "孩子父母外出务工，孩子一个人在家没人管", "category": "guardianship",
                                             "kind": "report", "urgency": "normal", "prefecture": "长春市",
                                             "county": "农安县", "decision": "dispatch"})
    number = re.search(r"/console/tickets/(12345-\d{8}-\d{5})", created.headers["Location"]).group(1)
    assert operator.get(f"/console/tickets/{number}").status_code == 200
    auditor = login("auditor")
    assert auditor.get(f"/console/tickets/{number}").status_code == 403
    assert auditor.post(f"/console/tickets/{number}/actions/supervise", {}).status_code == 403
    assert auditor.post_json("/console/triage", {"text": "x"}).status_code == 403


@pytest.mark.parametrize("role", ["admin", "dispatcher", "supervisor", "operator"])
def test_nobody_else_reads_the_trail(login, role):
    assert login(role).get("/console/audit").status_code == 403


def test_the_auditor_keeps_their_own_inbox(login):
    auditor = login("auditor")
    assert auditor.get("/console/notifications").status_code == 200
    assert auditor.client.get("/console/notifications/summary", headers={"Accept": "application/json"}).status_code == 200


def test_an_auditor_holds_no_api_token(state):
    from hotline.accounts.tokens import create_token
    from hotline.errors import InputError

    with pytest.raises(InputError) as refused, state.db.transaction() as session:
        create_token(session, "audit-export", "auditor")
    assert refused.value.code == "role_not_allowed"
