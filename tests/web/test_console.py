"""Console pages through the Flask test client: the call-to-callback loop, emergencies, masking with an
audited reveal, queues, permissions for every role and view, and escaping of hostile input."""

import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from tests_support import ACCOUNT_EVENTS

from classifier import load_classifier
from hotline.accounts.models import AuditEntry
from hotline.tickets.models import Ticket
from hotline.tickets.triage import ClassifierTriage

UNIT = "civil_affairs:长春市/农安县"
TRIAGED_CALL = "来电人说邻居家7岁孩子一个人在家，大人两天没回来了，孩子一直在哭，现在家里没吃的。农安县某村。"
CALL = {
    "caller_name": "王小红", "caller_phone": "13812341234", "child_name": "李明", "child_age": "7",
    "address": "农安县某镇幸福村3组5号", "text": "来电人反映邻居家孩子父母外出务工，孩子常一个人在家，希望有人关心。",
    "category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县",
}


def number_of(resp) -> str:
    return re.search(r"/console/tickets/(12345-\d{8}-\d{5})", resp.headers["Location"]).group(1)


def ticket_row(state, number):
    with state.db.transaction(readonly=True) as s:
        row = s.scalar(select(Ticket).where(Ticket.number == number))
        row.co_units, row.lead_unit  # noqa: B018 - load what the tests read before the session closes
        return row


def test_operator_takes_a_call_and_dispatches_then_the_unit_resolves_and_callback_reopens(login, state):
    desk = login("operator")
    resp = desk.post("/console/new", {**CALL, "decision": "dispatch"})
    assert resp.status_code == 302
    number = number_of(resp)
    assert ticket_row(state, number).lead_unit.code == UNIT

    unit = login("agency_staff", UNIT)
    inbox = unit.get("/console/inbox").get_data(as_text=True)
    assert number in inbox
    for action, data in (("sign", {}), ("progress", {"note": "已入户走访"}), ("resolve", {"result": "已落实委托照护"})):
        resp = unit.post(f"/console/tickets/{number}/actions/{action}", data)
        assert resp.status_code == 302
        assert "操作已完成" in unit.get(resp.headers["Location"]).get_data(as_text=True)
    assert number in desk.get("/console/callbacks").get_data(as_text=True)
    desk.post(f"/console/tickets/{number}/actions/callback", {"satisfaction": "unsatisfied", "note": "仍无人照看"})
    assert ticket_row(state, number).status == "reopened"


def test_direct_answer_closes_the_ticket(login, state):
    desk = login("operator")
    resp = desk.post("/console/new", {**CALL, "kind": "consult", "urgency": "normal", "decision": "answer",
                                       "answer": "已告知申请流程"})
    assert ticket_row(state, number_of(resp)).status == "closed"


def test_emergency_needs_the_police_notification_recorded(login, state):
    desk = login("operator")
    data = {**CALL, "urgency": "emergency", "decision": "dispatch"}
    refused = desk.post("/console/new", data)
    assert refused.status_code == 422 and "通知公安" in refused.get_data(as_text=True)
    with state.db.transaction(readonly=True) as s:
        assert s.scalar(select(Ticket.id)) is None  # a refused form stores nothing
    resp = desk.post("/console/new", {**data, "police_notified": "1", "police_note": "农安县公安局指挥中心"})
    number = number_of(resp)
    row = ticket_row(state, number)
    assert row.police_notified_at is not None
    assert "public_security:长春市/农安县" in [u.code for u in row.co_units]
    page = desk.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert "emergency-banner" in page and "已于" in page


def test_bad_form_input_is_a_clear_error(login):
    desk = login("operator")
    resp = desk.post("/console/new", {"text": "", "decision": "dispatch"})
    assert resp.status_code == 422 and "诉求内容" in resp.get_data(as_text=True)
    resp = desk.post("/console/new", {**CALL, "child_age": "abc", "decision": "save"})
    assert resp.status_code == 422


def audit_rows(state):
    with state.db.transaction(readonly=True) as s:
        return [(e.event, e.object_ref, e.actor, e.reason, e.detail) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.event.not_in(ACCOUNT_EVENTS)).order_by(AuditEntry.id))]


def units_opened(state, monkeypatch) -> list[bool]:
    """The ``readonly`` flag of every unit of work opened from now on (the real ones, only recorded)."""
    opened, real = [], state.db.transaction
    monkeypatch.setattr(state.db, "transaction", lambda *, readonly=False: opened.append(readonly) or real(readonly=readonly))
    return opened


def test_a_ticket_page_reads_without_the_write_lock_and_a_full_view_commits_its_audit_first(login, state, monkeypatch):
    taker = login("operator")
    number = number_of(taker.post("/console/new", {**CALL, "decision": "dispatch"}))
    supervisor, unit = login("supervisor"), login("agency_staff", UNIT)
    opened = units_opened(state, monkeypatch)
    assert "138****1234" in supervisor.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert opened == [True]  # masked: one read-only unit (the badge reads in it too), nothing written
    opened.clear()
    assert "13812341234" in unit.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert opened == [True, False]  # full: the read, then the audit row's own write
    assert [(e[0], e[3]) for e in audit_rows(state)][-1] == ("view_personal_data", "lead_unit")

    def failing(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr("hotline.accounts.privacy.record_audit", failing)
    resp = unit.get(f"/console/tickets/{number}")
    assert resp.status_code == 503 and "13812341234" not in resp.get_data(as_text=True)  # not recorded: not shown


def test_personal_data_is_masked_for_dispatchers_until_an_audited_reveal_with_a_reason(login, state):
    number = number_of(login("operator").post("/console/new", {**CALL, "decision": "dispatch"}))
    before = len(audit_rows(state))
    dispatcher = login("dispatcher")
    page = dispatcher.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert "13812341234" not in page and "138****1234" in page and "王**" in page
    assert "幸福村***" in page and "3组5号" not in page
    assert len(audit_rows(state)) == before  # a masked view is not an unmasked one
    refused = dispatcher.post(f"/console/tickets/{number}/reveal")
    assert refused.status_code == 422 and "13812341234" not in refused.get_data(as_text=True)
    unexplained = dispatcher.post(f"/console/tickets/{number}/reveal", {"reason": "other"})
    assert unexplained.status_code == 422 and "13812341234" not in unexplained.get_data(as_text=True)
    revealed = dispatcher.post(f"/console/tickets/{number}/reveal", {"reason": "callback"}).get_data(as_text=True)
    assert "13812341234" in revealed
    event, ref, actor, reason, detail = audit_rows(state)[-1]
    assert (event, ref, actor, reason) == ("reveal", f"ticket:{number}", f"user:{dispatcher.username}", "reveal:callback")
    assert "1381234" not in (detail or "")  # the audit row holds no personal data


def test_full_data_goes_to_the_lead_unit_and_the_operator_who_took_the_call_audited(login, state):
    taker = login("operator")
    number = number_of(taker.post("/console/new", {**CALL, "decision": "dispatch"}))
    assert "13812341234" in taker.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert "13812341234" in login("agency_staff", UNIT).get(f"/console/tickets/{number}").get_data(as_text=True)
    assert [(e[0], e[3]) for e in audit_rows(state)] == [("view_personal_data", "taker"), ("view_personal_data", "lead_unit")]
    # other operators, the co-unit, supervisors and admins see it masked: ticket numbers are guessable
    for other in (login("operator"), login("agency_staff", "public_security:长春市/农安县"), login("supervisor"),
                  login("admin")):
        page = other.get(f"/console/tickets/{number}").get_data(as_text=True)
        assert "13812341234" not in page and "138****1234" in page
    assert len(audit_rows(state)) == 2


def test_the_takers_full_view_ends_after_a_day(login, state):
    from datetime import timedelta

    taker = login("operator")
    number = number_of(taker.post("/console/new", {**CALL, "decision": "save"}))
    with state.db.transaction() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        ticket.created_at = ticket.created_at - timedelta(hours=25)
    assert "13812341234" not in taker.get(f"/console/tickets/{number}").get_data(as_text=True)


def test_agency_cannot_open_another_units_ticket(login):
    number = number_of(login("operator").post("/console/new", {**CALL, "decision": "dispatch"}))
    other = login("agency_staff", "civil_affairs:长春市/榆树市")
    resp = other.get(f"/console/tickets/{number}")
    assert resp.status_code == 404 and "王" not in resp.get_data(as_text=True)
    assert other.post(f"/console/tickets/{number}/actions/sign").status_code == 404
    assert number not in other.get("/console/inbox").get_data(as_text=True)


def test_stale_form_is_refused_with_a_message(login, state):
    number = number_of(login("operator").post("/console/new", {**CALL, "decision": "dispatch"}))
    unit = login("agency_staff", UNIT)
    version = ticket_row(state, number).version
    unit.post(f"/console/tickets/{number}/actions/sign", {"version": str(version)})
    resp = unit.post(f"/console/tickets/{number}/actions/progress", {"version": str(version), "note": "x"})
    assert "已被他人修改" in unit.get(resp.headers["Location"]).get_data(as_text=True)


def test_hostile_text_is_escaped_everywhere(login):
    payload = '<script>alert(1)</script>"><svg onload=alert(2)>'
    desk = login("operator")
    number = number_of(desk.post("/console/new", {**CALL, "text": payload, "caller_name": payload, "decision": "dispatch"}))
    for page in (desk.get(f"/console/tickets/{number}"), login("dispatcher").get("/console/queue")):
        html = page.get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<svg onload" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;svg onload" in html  # shown, escaped


def test_queue_filters_and_saved_views(login):
    desk = login("operator")
    desk.post("/console/new", {**CALL, "decision": "dispatch"})
    desk.post("/console/new", {**CALL, "category": "medical", "kind": "help", "decision": "save"})
    dispatcher = login("dispatcher")
    page = dispatcher.get("/console/queue?category=medical&prefecture=长春市").get_data(as_text=True)
    assert "共 1 张" in page
    # the form keeps the filters chosen, and only them
    assert '<option value="medical" selected>医疗救助与儿童健康</option>' in page and '<option value="长春市" selected>' in page
    assert page.count(" selected>") == 2
    assert "共 0 张" in dispatcher.get("/console/queue?overdue=true").get_data(as_text=True)
    bad = dispatcher.get("/console/queue?status=lost")
    assert bad.status_code == 422 and "状态（status）取值“lost”无效" in bad.get_data(as_text=True)
    dispatcher.post("/console/queue/views", {"name": "医疗类", "query": "category=medical&evil=1"})
    assert 'href="?category=medical"' in dispatcher.get("/console/queue").get_data(as_text=True)


def test_live_triage_and_deadline_preview(login):
    desk = login("operator")
    data = desk.post_json("/console/triage", {"text": "孩子一个人在家，大人两天没回来，农安县", "phone": ""}).get_json()
    assert data["suggestion"]["county"] == "农安县" and data["suggestion"]["urgency"] == "emergency"
    preview = desk.client.get("/console/deadlines?urgency=emergency&kind=report").get_json()
    assert set(preview) == {"sign", "first_feedback", "resolve"}
    assert desk.client.get("/console/deadlines?urgency=x&kind=y").status_code == 422


def test_live_triage_explains_what_the_desk_shows_and_intake_records_every_head(api_as, login, state,
                                                                                fixture_model_dir):
    state.triage = ClassifierTriage(load_classifier(fixture_model_dir), state.taxonomy)
    live = login("operator").post_json("/console/triage", {"text": TRIAGED_CALL}).get_json()["suggestion"]
    assert set(live["explanation"]) == {"category", "cues", "review_reasons"} and live["explanation"]["category"]
    taken = api_as("operator").post("/tickets", json={"channel": "phone", "text": TRIAGED_CALL}).get_json()
    recorded = taken["triage"]["predicted"]["explanation"]
    assert {"category", "kind", "urgency", "cues"} <= set(recorded)
    assert recorded["category"] == live["explanation"]["category"]  # the same words, whichever heads are explained


# Every role against every console view: allowed views answer 200, the others 403.
VIEWS = {
    "/console/new": {"operator", "dispatcher", "admin"},
    "/console/queue": {"operator", "dispatcher", "supervisor", "admin"},
    "/console/inbox": {"agency_staff"},
    "/console/callbacks": {"operator", "dispatcher", "admin"},
    "/console/dashboard": {"dispatcher", "supervisor", "admin"},
    "/console/export.csv": {"dispatcher", "supervisor", "admin"},
    "/kb": {"operator", "dispatcher", "agency_staff", "supervisor", "admin"},
    "/kb/articles/script-001": {"operator", "dispatcher", "agency_staff", "supervisor", "admin"},
    "/kb/articles/script-001/edit": {"admin"},
    "/kb/review": {"supervisor", "admin"},
}


@pytest.mark.parametrize("role", ["operator", "dispatcher", "agency_staff", "supervisor", "admin", "auditor"])
def test_role_view_matrix(login, role):
    browser = login(role, UNIT if role == "agency_staff" else None)
    for path, allowed in VIEWS.items():
        status = browser.get(path).status_code
        assert status == (200 if role in allowed else 403), (role, path, status)
    live = browser.post_json("/console/triage", {"text": "x"}).status_code
    assert live == (200 if role in VIEWS["/console/new"] else 403)


def test_sixteen_operators_typing_at_once_over_http(live, password):
    """Each live-triage request holds its unit of work's connection while the knowledge-base store opens
    another: 16 at once must neither exhaust the pool nor time out."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def operator_session():
        s = requests.Session()
        user = live.make_user("operator")
        token = re.search(r'name="csrf-token" content="([^"]+)"', s.get(f"{live.url}/login", timeout=30).text).group(1)
        s.post(f"{live.url}/login", data={"csrf_token": token, "username": user, "password": password}, timeout=30)
        page = s.get(f"{live.url}/console/new", timeout=30).text
        s.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return s

    sessions = [operator_session() for _ in range(16)]
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda s: s.post(f"{live.url}/console/triage", json={"text": "孩子父母外出务工，一个人在家"},
                                               timeout=120).status_code, sessions))
    assert codes == [200] * 16


def test_the_ticket_pages_forms_are_the_action_declarations(login, state):
    """Buttons and fields come from hotline.tickets.actions, nowhere else."""
    from hotline.tickets.actions import TICKET_ACTIONS

    number = number_of(login("operator").post("/console/new", {**CALL, "decision": "dispatch"}))
    html = login("agency_staff", UNIT).get(f"/console/tickets/{number}").get_data(as_text=True)
    forms = dict(re.findall(r'<details class="card" id="action-(\w+)"(.*?)</details>', html, re.S))
    assert set(forms) == {"sign", "return"}  # the lead unit, before signing
    row = ticket_row(state, number)
    for name, block in forms.items():
        declared = {f.name for f in TICKET_ACTIONS.get(name).visible_fields(row)} | {"version", "csrf_token"}
        assert set(re.findall(r'name="(\w+)"', block)) == declared, name


def test_an_emergency_dispatched_from_the_ticket_page_needs_the_police_too(login, state):
    desk = login("operator")
    number = number_of(desk.post("/console/new", {**CALL, "urgency": "emergency", "decision": "save"}))
    page = desk.get(f"/console/tickets/{number}").get_data(as_text=True)
    assert 'name="police_notified"' in page  # the dispatch form asks for the notification
    refused = desk.post(f"/console/tickets/{number}/actions/dispatch", {})
    assert "特急事项须先通知公安机关" in desk.get(refused.headers["Location"]).get_data(as_text=True)
    assert ticket_row(state, number).status == "triaged"
    desk.post(f"/console/tickets/{number}/actions/dispatch", {"police_notified": "1", "police_note": "110 已接警"})
    row = ticket_row(state, number)
    assert row.status == "dispatched" and row.police_notified_at is not None


def test_a_possible_emergency_is_marked_on_the_ticket_page_until_someone_decides(login, state):
    desk = login("operator")
    number = number_of(desk.post("/console/new", {**CALL, "decision": "dispatch"}))
    with state.db.transaction() as s:  # what the classifier stores for a ticket it marks 疑似特急
        t = s.scalar(select(Ticket).where(Ticket.number == number))
        t.predicted = {"urgency": "urgent", "possible_emergency": True}
        t.needs_review = True
    assert "疑似特急" in desk.get(f"/console/tickets/{number}").get_data(as_text=True)
    with state.db.transaction() as s:
        s.scalar(select(Ticket).where(Ticket.number == number)).urgency = "emergency"
    assert "疑似特急" not in desk.get(f"/console/tickets/{number}").get_data(as_text=True)
    with state.db.transaction() as s:
        t = s.scalar(select(Ticket).where(Ticket.number == number))
        t.urgency, t.needs_review = "urgent", False  # a person triaged it
    assert "疑似特急" not in desk.get(f"/console/tickets/{number}").get_data(as_text=True)
