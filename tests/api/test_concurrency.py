"""Races over real HTTP (waitress on loopback, real database): exactly one winner, never a 500."""

import requests
from sqlalchemy import func, select
from tests_support import race

from hotline.tickets.models import Ticket, TicketEvent

CALL = {"channel": "phone", "text": "来电人反映，孩子放学后一直没人接，想咨询托管服务。"}
LABELS = {"category": "guardianship", "kind": "help", "urgency": "normal", "prefecture": "长春市", "county": "农安县"}


def headers(token: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token}", **extra}


def test_concurrent_duplicate_posts_make_exactly_one_ticket(live):
    token = live.make_token("operator")
    url = f"{live.url}/api/v1/tickets"
    results = race(
        12, lambda i: requests.post(url, json={**CALL, "external_id": "tel-777"}, headers=headers(token), timeout=60)
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 11 + [201]
    assert len({r.json()["number"] for r in results}) == 1
    keyed = race(
        12, lambda i: requests.post(url, json=CALL, headers=headers(token, **{"Idempotency-Key": "idem-9"}), timeout=60)
    )
    assert sorted(r.status_code for r in keyed) == [200] * 11 + [201]
    assert len({r.json()["number"] for r in keyed}) == 1
    with live.runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(Ticket.id))) == 2


def test_concurrent_distinct_posts_get_distinct_numbers(live):
    token = live.make_token("operator")
    results = race(
        16,
        lambda i: requests.post(
            f"{live.url}/api/v1/tickets", json={**CALL, "external_id": f"c-{i}"}, headers=headers(token), timeout=60
        ),
    )
    assert all(r.status_code == 201 for r in results)
    assert len({r.json()["number"] for r in results}) == 16


def test_two_units_signing_at_once_one_wins(live):
    desk = live.make_token("operator")
    staff = live.make_token("agency_staff", "civil_affairs:长春市/农安县")
    base = f"{live.url}/api/v1/tickets"
    number = requests.post(base, json=CALL, headers=headers(desk), timeout=60).json()["number"]
    assert requests.post(f"{base}/{number}/actions/dispatch", json=LABELS, headers=headers(desk), timeout=60).ok
    results = race(
        8,
        lambda i: requests.post(
            f"{base}/{number}/actions/sign", json={"note": f"签收{i}"}, headers=headers(staff), timeout=60
        ),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 7, [r.text for r in results]
    with live.runtime.db.transaction(readonly=True) as session:
        signs = session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.action == "sign"))
        assert signs == 1


def test_concurrent_conflicting_actions_leave_one_consistent_state(live):
    desk = live.make_token("operator")
    staff = live.make_token("agency_staff", "civil_affairs:长春市/农安县")
    base = f"{live.url}/api/v1/tickets"
    number = requests.post(base, json=CALL, headers=headers(desk), timeout=60).json()["number"]
    requests.post(f"{base}/{number}/actions/dispatch", json=LABELS, headers=headers(desk), timeout=60)
    requests.post(f"{base}/{number}/actions/sign", json={}, headers=headers(staff), timeout=60)
    # the unit resolves and returns at the same moment: exactly one of them happens
    calls = [("resolve", {"result": "已办结"}), ("return", {"reason": "非本单位职责"})] * 3
    results = race(
        6,
        lambda i: requests.post(
            f"{base}/{number}/actions/{calls[i][0]}", json=calls[i][1], headers=headers(staff), timeout=60
        ),
    )
    assert sorted(r.status_code for r in results) == [200] + [409] * 5
    final = requests.get(f"{base}/{number}", headers=headers(desk), timeout=60).json()
    assert final["status"] in ("resolved", "returned")
    assert [e["action"] for e in final["events"]][-1] in ("resolve", "return")
    assert len(final["events"]) == 5


def test_classification_never_runs_inside_the_write_transaction(live, password):
    """A slow model must not hold the database's write lock: other calls would queue behind it."""
    import re
    import threading

    from sqlalchemy import text

    writes_went_through = []

    class Probe:  # stands in for the classifier library; the database and the server are real
        def suggest(self, _text, **_options):
            done = threading.Event()

            def write():
                with live.runtime.db.transaction() as session:
                    session.execute(text("UPDATE ticket_counters SET last = last WHERE day = 'none'"))
                done.set()

            other = threading.Thread(target=write)
            other.start()
            other.join(timeout=5)
            writes_went_through.append(done.is_set())
            other.join()
            return None

    live.runtime.triage = Probe()
    token = live.make_token("operator")
    assert requests.post(f"{live.url}/api/v1/tickets", json=CALL, headers=headers(token), timeout=60).status_code == 201
    browser = requests.Session()  # the console's new-ticket screen, logged in through the real form
    csrf = lambda html: re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # noqa: E731
    login = browser.get(f"{live.url}/login", timeout=30).text
    browser.post(f"{live.url}/login", timeout=30, data={"csrf_token": csrf(login), "username": live.make_user("operator"),
                                                         "password": password})
    page = browser.get(f"{live.url}/console/new", timeout=30).text
    answer = browser.post(f"{live.url}/console/new", timeout=60, allow_redirects=False,
                          data={"csrf_token": csrf(page), "text": CALL["text"], "decision": "save"})
    assert answer.status_code == 302
    assert writes_went_through == [True, True]
