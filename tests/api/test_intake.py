"""POST /api/v1/tickets: creation, idempotency, triage fallback and every class of bad input."""

import json

import pytest
from sqlalchemy import func, select

from hotline.tickets.models import Ticket
from hotline.tickets.triage import TriageSuggestion

CALL = {"channel": "phone", "text": "来电人反映，农安县某村孩子父母在外务工，孩子由爷爷照看，想咨询补贴。"}


def count_tickets(state) -> int:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(func.count(Ticket.id)))


def test_intake_creates_a_numbered_ticket_with_a_timeline(api_as):
    api = api_as("operator")
    resp = api.post(
        "/tickets",
        json={
            **CALL,
            "caller": {"name": "王女士", "phone": "13812341234"},
            "child": {"age": 7, "gender": "男"},
            "address": "农安县某镇某村3组",
        },
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["number"].startswith("12345-") and len(body["number"]) == len("12345-20261129-00042")
    assert body["status"] == "received"
    assert body["triage"]["mode"] == "pending"  # no model loaded: manual triage
    assert body["caller"] == {"name": "王女士", "phone": "13812341234"}
    detail = api.get(f"/tickets/{body['number']}").get_json()
    assert [e["action"] for e in detail["events"]] == ["create"]


def test_numbers_increase_within_a_day(api_as):
    api = api_as("operator")
    day = "2026-11-29T10:00:00+08:00"
    a = api.post("/tickets", json={**CALL, "received_at": day}).get_json()["number"]
    b = api.post("/tickets", json={**CALL, "received_at": day}).get_json()["number"]
    assert a == "12345-20261129-00001" and b == "12345-20261129-00002"


PERSON = {"caller": {"name": "王女士", "phone": "13812341234"}, "address": "农安县某镇幸福村3组5号"}


def test_same_external_id_returns_the_same_ticket(api_as, state):
    api = api_as("operator")
    first = api.post("/tickets", json={**CALL, **PERSON, "external_id": "call-1"})
    again = api.post("/tickets", json={**CALL, **PERSON, "external_id": "call-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["number"] == again.get_json()["number"]
    assert again.get_json()["caller"] == PERSON["caller"]  # what the request itself held
    assert count_tickets(state) == 1


def test_a_reused_external_id_with_another_body_is_a_conflict_that_reveals_nothing(api_as, state):
    api_as("operator").post("/tickets", json={**CALL, **PERSON, "external_id": "call-1"})
    guess = api_as("operator").post("/tickets", json={**CALL, "external_id": "call-1"})  # another integration
    assert guess.status_code == 409 and guess.get_json()["code"] == "external_id_reused"
    body = guess.get_data(as_text=True)
    assert "13812341234" not in body and "王女士" not in body and "幸福村" not in body
    assert count_tickets(state) == 1


def test_the_intake_answer_holds_no_more_personal_data_than_the_request(api_as):
    api = api_as("operator")
    body = api.post("/tickets", json={**CALL, "child": {"age": 7}}).get_json()
    assert body["caller"] == {"name": None, "phone": None} and body["address"] is None
    assert body["child"] == {"name": None, "age": 7, "gender": None}


def test_idempotency_key_replay_and_misuse(api_as, state):
    api = api_as("operator")
    first = api.post("/tickets", json=CALL, headers={"Idempotency-Key": "k-1"})
    again = api.post("/tickets", json=CALL, headers={"Idempotency-Key": "k-1"})
    other = api.post("/tickets", json={**CALL, "text": "完全不同的来电"}, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert first.get_json()["number"] == again.get_json()["number"]
    assert count_tickets(state) == 1


def test_classifier_labels_are_used_when_present(api_as, state):
    class FakeModelOutput:  # stands in for the classifier library, not for our database
        def suggest(self, text, **_options):
            return TriageSuggestion(
                "guardianship",
                "report",
                "urgent",
                "civil_affairs",
                ("public_security",),
                "长春市",
                "农安县",
                0.91,
                False,
            )

    state.triage = FakeModelOutput()
    body = api_as("operator").post("/tickets", json=CALL).get_json()
    assert body["status"] == "triaged" and body["triage"]["mode"] == "auto"
    assert (body["category"], body["county"]) == ("guardianship", "农安县")


def test_a_broken_model_never_loses_the_call(api_as, state):
    class Broken:
        def suggest(self, text, **_options):
            raise RuntimeError("model file corrupt")

    state.triage = Broken()
    resp = api_as("operator").post("/tickets", json=CALL)
    assert resp.status_code == 201
    assert resp.get_json()["triage"]["mode"] == "pending"


def test_agency_tokens_cannot_record_calls(api_as, state):
    resp = api_as("agency_staff", "civil_affairs:长春市").post("/tickets", json=CALL)
    assert resp.status_code == 403
    assert count_tickets(state) == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"channel": "phone"}, 422, "missing_field"),
        ({"channel": "phone", "text": "   "}, 422, "missing_field"),
        ({"channel": "fax", "text": "x"}, 422, "unknown_code"),
        ({"channel": "phone", "text": 42}, 422, "wrong_type"),
        ({"channel": "phone", "text": "x" * 5001}, 422, "too_long"),
        ({"channel": "phone", "text": "x", "priority": "high"}, 422, "unknown_field"),
        ({"channel": "phone", "text": "x", "caller": "张三"}, 422, "wrong_type"),
        ({"channel": "phone", "text": "x", "caller": {"phone": "call me"}}, 422, "bad_phone"),
        ({"channel": "phone", "text": "x", "child": {"age": 19}}, 422, "bad_age"),
        ({"channel": "phone", "text": "x", "child": {"age": "7"}}, 422, "bad_age"),
        ({"channel": "phone", "text": "x", "received_at": "yesterday"}, 422, "bad_datetime"),
        ([1, 2], 422, "wrong_type"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_stored(api_as, state, body, status, code):
    resp = api_as("operator").post("/tickets", json=body)
    assert resp.status_code == status
    assert resp.get_json()["code"] == code
    assert resp.get_json()["message"]  # a Chinese message for the integrator
    assert count_tickets(state) == 0


def test_exactly_5000_characters_is_accepted(api_as):
    assert api_as("operator").post("/tickets", json={"channel": "phone", "text": "字" * 5000}).status_code == 201


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"channel": "phone", "text": ', "application/json", 400, "malformed_json"),
        (b'{"channel": "phone", "text": "\xff\xfe"}', "application/json", 400, "invalid_utf8"),
        (json.dumps(CALL).encode(), "text/plain", 415, "unsupported_media_type"),
        (b"", "application/json", 400, "malformed_json"),
        (b"x" * (1024 * 1024 + 1), "application/json", 413, "payload_too_large"),
    ],
)
def test_malformed_bodies(client, make_token, state, data, content_type, status, code):
    resp = client.post(
        "/api/v1/tickets",
        data=data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {make_token('operator')}"},
    )
    assert resp.status_code == status
    assert resp.get_json()["code"] == code
    assert count_tickets(state) == 0


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    resp = client.post("/api/v1/tickets", json=CALL, headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["code"] in ("missing_token", "invalid_token")


def test_wrong_method_and_unknown_path_are_json(client):
    assert client.delete("/api/v1/tickets").status_code == 405
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"


def test_openapi_document_lists_the_contract(client):
    from hotline.tickets.actions import TICKET_ACTIONS

    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/tickets", "/tickets/{number}", "/tickets/{number}/reveal"} <= set(doc["paths"])
    assert {f"/tickets/{{number}}/actions/{a.name}" for a in TICKET_ACTIONS} <= set(doc["paths"])
    dispatch = doc["paths"]["/tickets/{number}/actions/dispatch"]["post"]["requestBody"]["content"]["application/json"]
    assert {"unit", "police_notified_at", "police_note", "version"} <= set(dispatch["schema"]["properties"])


def test_security_headers(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def test_health_and_start_page(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": True}
    assert client.get("/").headers["Location"].endswith("/console/")
    login = client.get("/console/", follow_redirects=True)
    assert login.status_code == 200 and "登录" in login.get_data(as_text=True)


def test_health_reports_a_dead_database(tmp_path):
    from hotline import create_app

    broken = create_app({"instance_path": tmp_path, "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    resp = broken.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["database"] is False


def test_database_errors_never_carry_personal_data(state):
    from sqlalchemy import text as sql
    from sqlalchemy.exc import DBAPIError

    try:
        with state.db.transaction() as session:
            session.execute(sql("INSERT INTO no_such_table (x) VALUES (:phone)"), {"phone": "13812341234"})
    except DBAPIError as exc:
        assert "13812341234" not in str(exc)
    else:
        raise AssertionError("the insert should have failed")
