"""The API follows the same privacy policy as the console: full personal data for the lead unit and, for a
day, the integration that took the call; masked for everyone else, with an audited reveal for a reason."""

from datetime import timedelta

from sqlalchemy import select

from hotline.accounts.models import AuditEntry
from hotline.tickets.models import Ticket

UNIT = "civil_affairs:长春市/农安县"
POLICE = "public_security:长春市/农安县"
LABELS = {"category": "guardianship", "kind": "report", "urgency": "urgent", "prefecture": "长春市", "county": "农安县"}
CALL = {"channel": "phone", "text": "来电人反映邻居家孩子父母外出务工，孩子常常一个人在家。",
        "caller": {"name": "王小红", "phone": "13812341234"}, "child": {"name": "李明", "age": 7},
        "address": "农安县某镇幸福村3组5号"}


def audit(state):
    """The audit rows of data access (tokens' creation and use are audited too: tests/api/test_tokens.py)."""
    with state.db.transaction(readonly=True) as s:
        rows = s.scalars(select(AuditEntry).where(~AuditEntry.event.startswith("token_")).order_by(AuditEntry.id))
        return [(e.event, e.actor, e.reason) for e in rows]


def dispatched(api) -> str:
    number = api.post("/tickets", json=CALL).get_json()["number"]
    assert api.act(number, "dispatch", **LABELS).status_code == 200
    return number


def test_a_co_unit_token_sees_masked_data_until_it_gives_a_reason(api_as, state):
    number = dispatched(api_as("operator"))
    police = api_as("agency_staff", POLICE)
    body = police.get(f"/tickets/{number}").get_json()
    assert body["personal_data_masked"] is True
    assert body["caller"] == {"name": "王**", "phone": "138****1234"} and body["child"]["name"] == "李*"
    assert body["address"] == "农安县某镇幸福村***"
    assert [a for a in audit(state) if a[1].startswith("token:test-agency")] == []
    assert police.post(f"/tickets/{number}/reveal", json={}).status_code == 422
    assert police.post(f"/tickets/{number}/reveal", json={"reason": "other"}).get_json()["code"] == "missing_field"
    revealed = police.post(f"/tickets/{number}/reveal", json={"reason": "emergency", "note": "民警上门核实"}).get_json()
    assert revealed["personal_data_masked"] is False and revealed["caller"]["phone"] == "13812341234"
    event, actor, reason = audit(state)[-1]
    assert event == "reveal" and actor.startswith("token:") and reason == "reveal:emergency 民警上门核实"


def test_the_lead_unit_and_the_taking_integration_see_it_in_full_audited(api_as, state):
    desk = api_as("operator")
    number = dispatched(desk)
    assert desk.get(f"/tickets/{number}").get_json()["caller"]["phone"] == "13812341234"  # it took the call
    assert api_as("agency_staff", UNIT).get(f"/tickets/{number}").get_json()["caller"]["phone"] == "13812341234"
    assert [a[2] for a in audit(state)][-2:] == ["taker", "lead_unit"]
    for role in ("operator", "dispatcher", "supervisor", "admin"):  # any other token: masked
        assert api_as(role).get(f"/tickets/{number}").get_json()["personal_data_masked"] is True
    with state.db.transaction() as s:  # a day later the integration that took it is like anyone else
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        ticket.created_at -= timedelta(hours=25)
    assert desk.get(f"/tickets/{number}").get_json()["personal_data_masked"] is True


def test_action_answers_follow_the_policy_too(api_as):
    desk = api_as("operator")
    number = dispatched(desk)
    body = api_as("supervisor").act(number, "supervise", note="请加快办理").get_json()
    assert body["caller"]["phone"] == "138****1234"
