"""Idempotency keys (API-3, fault scenario 4): scoped per client token, a replay returns the same ticket and
inserts nothing, a reused key with another body is 409, a request refused by validation keeps no key, and a
retry sent while the original is still in flight — or a burst of them — ends with exactly one ticket, over
real HTTP on the test database (SQLite or PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select
from tests_support import race

from hotline.tickets.models import IdempotencyKey, Ticket

CALL = {"channel": "phone", "text": "来电人反映，邻居家孩子常常一个人在家，想请社区上门看看。",
        "caller": {"name": "赵先生", "phone": "13900001111"}}
OTHER = {"channel": "phone", "text": "另一家话务平台的另一通来电：孩子放学后无人接送。"}


def count(state, model=Ticket) -> int:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_two_clients_using_the_same_key_never_meet(api_as, state):
    province, city = api_as("operator"), api_as("operator")  # two integrations
    a = province.post("/tickets", json=CALL, headers={"Idempotency-Key": "call-20261204-0001"})
    b = city.post("/tickets", json=OTHER, headers={"Idempotency-Key": "call-20261204-0001"})
    assert (a.status_code, b.status_code) == (201, 201)  # not 409: the key is the other client's
    assert a.get_json()["number"] != b.get_json()["number"]
    same_body = city.post("/tickets", json=CALL, headers={"Idempotency-Key": "call-20261204-0001"})
    assert same_body.status_code == 409  # city's own key, other body: never province's ticket
    assert "13900001111" not in same_body.get_data(as_text=True)
    again = province.post("/tickets", json=CALL, headers={"Idempotency-Key": "call-20261204-0001"})
    assert again.status_code == 200 and again.get_json()["number"] == a.get_json()["number"]
    assert count(state) == 2 and count(state, IdempotencyKey) == 2


def test_a_replay_returns_the_original_ticket_marked_and_inserts_nothing(api_as, state):
    api = api_as("operator")
    first = api.post("/tickets", json=CALL, headers={"Idempotency-Key": "k-77"})
    again = api.post("/tickets", json=CALL, headers={"Idempotency-Key": "k-77"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json()  # the same answer: number, labels, the request's own data
    assert count(state) == 1 and count(state, IdempotencyKey) == 1


def test_a_key_reused_for_another_body_is_a_conflict_that_changes_nothing(api_as, state):
    api = api_as("operator")
    api.post("/tickets", json=CALL, headers={"Idempotency-Key": "k-1"})
    other = api.post("/tickets", json=OTHER, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.get_json()["code"] == "idempotency_key_reused"
    assert "赵先生" not in other.get_data(as_text=True)
    assert count(state) == 1


def test_a_request_refused_by_validation_keeps_no_key_so_it_can_be_retried(api_as, state):
    api = api_as("operator")
    bad = api.post("/tickets", json={**CALL, "child": {"age": 40}}, headers={"Idempotency-Key": "k-fix"})
    assert bad.status_code == 422 and count(state, IdempotencyKey) == 0
    fixed = api.post("/tickets", json={**CALL, "child": {"age": 4}}, headers={"Idempotency-Key": "k-fix"})
    assert fixed.status_code == 201  # not 409: the refused attempt left nothing behind
    assert count(state) == 1


def test_an_overlong_key_is_refused(api_as, state):
    resp = api_as("operator").post("/tickets", json=CALL, headers={"Idempotency-Key": "k" * 129})
    assert resp.status_code == 422 and count(state) == 0


def headers(token: str, key: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


def test_a_retry_while_the_original_is_in_flight_makes_one_ticket(live):
    """Scenario 4: the client gives up on the original (still being handled) and resends with the same key."""
    token, url = live.make_token("operator"), f"{live.url}/api/v1/tickets"
    in_flight, answered = threading.Event(), threading.Event()
    seen = []

    class SlowOnce:  # stands in for the classifier library: the first call hangs until the retry is answered
        def suggest(self, _text, **_options):
            seen.append(_text)
            if len(seen) == 1:
                in_flight.set()
                answered.wait(30)
            return None

    live.runtime.triage = SlowOnce()
    with ThreadPoolExecutor(1) as pool:
        original = pool.submit(requests.post, url, json=CALL, headers=headers(token, "tel-4242"), timeout=60)
        assert in_flight.wait(30)
        retry = requests.post(url, json=CALL, headers=headers(token, "tel-4242"), timeout=60)
        answered.set()
        first = original.result()
    assert sorted((first.status_code, retry.status_code)) == [200, 201]
    assert first.json() == retry.json()  # the identical answer
    with live.runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


def test_a_burst_of_retries_and_another_client_on_the_same_key(live):
    mine, theirs = live.make_token("operator"), live.make_token("operator")
    url = f"{live.url}/api/v1/tickets"
    results = race(12, lambda i: requests.post(url, json=CALL if i % 3 else OTHER,
                                               headers=headers(theirs if i % 3 == 0 else mine, "shared-1"), timeout=60))
    mine_answers = [r for i, r in enumerate(results) if i % 3]
    theirs_answers = [r for i, r in enumerate(results) if i % 3 == 0]
    assert sorted(r.status_code for r in mine_answers) == [200] * 7 + [201]
    assert sorted(r.status_code for r in theirs_answers) == [200] * 3 + [201]
    assert len({r.json()["number"] for r in mine_answers}) == 1 and len({r.json()["number"] for r in theirs_answers}) == 1
    assert mine_answers[0].json()["number"] != theirs_answers[0].json()["number"]
    with live.runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(Ticket.id))) == 2
        assert session.scalar(select(func.count(IdempotencyKey.id))) == 2
