"""Inputs that used to give 500: each now gets a 4xx with a machine code, and nothing is stored."""

import pytest
from sqlalchemy import func, select

from hotline.tickets.models import SavedView, Ticket

DEEP = ("[" * 100_000 + "]" * 100_000).encode()


def count(state, model) -> int:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, make_token, state):
    headers = {"Authorization": f"Bearer {make_token('operator')}"}
    for body in (DEEP, b'{"channel": "phone", "text": "x", "caller": ' + DEEP + b"}"):
        resp = client.post("/api/v1/tickets", data=body, content_type="application/json", headers=headers)
        assert resp.status_code == 400 and resp.get_json()["code"] == "json_too_deep"
    assert count(state, Ticket) == 0


def test_deeply_nested_json_in_the_consoles_live_triage(login):
    desk = login("operator")
    resp = desk.client.post("/console/triage", data=DEEP, content_type="application/json",
                            headers={"X-CSRF-Token": desk.csrf, "Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["code"] == "json_too_deep"


@pytest.mark.parametrize("value", ["²", "٣", "１", "1.0", "-1", "0", "1e3"])
def test_page_numbers_must_be_plain_ascii_digits(api_as, value):
    """str.isdigit() accepts "²" and "٣", which int() then refuses."""
    resp = api_as("operator").get("/tickets", page=value)
    assert resp.status_code == 422 and resp.get_json()["code"] == "bad_parameter"


def test_the_queue_page_refuses_them_too(login):
    resp = login("dispatcher").get("/console/queue?page=²")
    assert resp.status_code == 422 and "bad_parameter" in resp.get_data(as_text=True)


@pytest.mark.parametrize("age", ["²", "٧", "7岁", "18"])
def test_a_childs_age_in_the_call_form_must_be_a_plain_number(login, state, age):
    resp = login("operator").post("/console/new", {"text": "孩子一个人在家", "child_age": age, "decision": "save"})
    assert resp.status_code == 422 and "bad_age" in resp.get_data(as_text=True)
    assert count(state, Ticket) == 0


@pytest.mark.parametrize(
    ("name", "query", "code"),
    [("医疗\r\n类", "category=medical", "bad_characters"),
     ("医疗类", "category=medical\r\nSet-Cookie: x=1", "bad_characters"),
     ("医疗类", "status=lost", "bad_parameter"),
     ("", "category=medical", "missing_field")],
)
def test_saved_views_refuse_line_breaks_and_unknown_filters(login, state, name, query, code):
    resp = login("dispatcher").post("/console/queue/views", {"name": name, "query": query})
    assert resp.status_code == 422 and code in resp.get_data(as_text=True)
    assert count(state, SavedView) == 0
