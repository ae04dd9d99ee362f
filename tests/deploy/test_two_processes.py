"""Two app processes (two hosts' ``hotline serve``, each behind a trusted proxy: ``HOTLINE_PROXY_HOPS=1``) and
the scheduler, all on one database, behave as one system: a session started on one works on the other and a
logout on one ends it on both; failed logins on both add up to one lockout, and to one per-address rate
limit; an idempotency key used on one is honoured on the other. Real processes, real HTTP, a ``live``
database shared by the module (PostgreSQL in the PostgreSQL pass). Also: a TOTP login started on one and finished
on the other, its code then spent on both; a signed API request's nonce refused when replayed to the other."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from process_support import Server, csrf_of, post_login, shared_env, wait_for
from tests_support import PASSWORD, totp_codes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(module_live):  # noqa: ANN001, ANN201
    """One database for the module: its tests share the two hosts (each uses its own users, tokens and
    addresses), which spares starting two processes per test."""
    return module_live


@pytest.fixture(scope="module")
def two(live, tmp_path_factory):  # noqa: ANN001, ANN201
    """Two hosts, started side by side (each start is mostly loading the model and the knowledge base)."""
    hosts = [Server(shared_env(live.runtime, tmp_path_factory.mktemp("host"), HOTLINE_PROXY_HOPS="1")) for _ in range(2)]
    try:
        for host in hosts:
            wait_for(host.ready, what=f"server on {host.url}")
        yield hosts
    finally:
        for host in hosts:
            host.stop()


def _console(http: requests.Session, base: str) -> requests.Response:
    """The person's home page (followed past the console's redirect to it); at /login without a session."""
    return http.get(f"{base}/console/", timeout=30)


def test_a_session_from_one_process_works_on_the_other_and_a_logout_ends_it_on_both(live, two):  # noqa: ANN001
    first, second = two
    username = live.make_user("operator")
    http = requests.Session()
    assert post_login(http, first.url, username, PASSWORD).status_code == 302
    assert "/login" not in _console(http, first.url).url
    other = requests.Session()
    other.cookies.update(http.cookies)  # the same cookie, presented to the other host
    page = _console(other, second.url)
    assert page.status_code == 200
    assert "/login" not in page.url
    # log out on the first host, with the session's CSRF token
    token = csrf_of(page.text)
    assert http.post(f"{first.url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30).status_code == 302
    assert "/login" in _console(other, second.url).url


def test_failed_logins_on_both_processes_lock_the_account_on_both(live, two):  # noqa: ANN001
    first, second = two
    username = live.make_user("operator")
    # five failures from five addresses (the proxy's X-Forwarded-For), alternating hosts: no per-address limit
    # is reached, the account's counter in the database is
    for i in range(5):
        host = (first, second)[i % 2]
        answer = post_login(requests.Session(), host.url, username, "wrong-Passw0rd-x", **{"X-Forwarded-For": f"198.51.100.{i + 1}"})
        assert answer.status_code == 401, answer.text[:200]
    for host in (first, second):  # the right password is refused on both now
        answer = post_login(requests.Session(), host.url, username, PASSWORD, **{"X-Forwarded-For": "198.51.100.50"})
        assert answer.status_code == 401
    with live.runtime.db.transaction(readonly=True) as session:
        from sqlalchemy import select

        from hotline.accounts.models import User

        user = session.scalar(select(User).where(User.username == username))
        assert user.locked_until is not None


def test_the_per_address_login_limit_is_shared_by_both_processes(live, two):  # noqa: ANN001
    """Rate limits (shared storage): an address's failures on one host count on the other."""
    first, second = two
    username = live.make_user("operator")
    address = {"X-Forwarded-For": "203.0.113.77"}
    limit = live.runtime.settings.rate_login_ip_account[0]
    for i in range(limit):
        answer = post_login(requests.Session(), (first, second)[i % 2].url, username, "wrong-Passw0rd-x", **address)
        assert answer.status_code == 401
    for host in (first, second):
        refused = post_login(requests.Session(), host.url, username, PASSWORD, **address)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
    # another address (another operator's desk) still logs in: the lockout was not reached
    assert post_login(requests.Session(), second.url, username, PASSWORD, **{"X-Forwarded-For": "203.0.113.78"}).status_code == 302


def test_an_idempotency_key_is_honoured_across_processes(live, two):  # noqa: ANN001
    first, second = two
    token = live.make_token("operator")
    key = f"call-{uuid.uuid4().hex[:12]}"
    body = {"channel": "phone", "text": "来电人反映邻居家孩子长期一个人在家，无人照看，农安县。"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    created = requests.post(f"{first.url}/api/v1/tickets", json=body, headers=headers, timeout=60)
    assert created.status_code == 201, created.text[:300]
    again = requests.post(f"{second.url}/api/v1/tickets", json=body, headers=headers, timeout=60)
    assert again.status_code == 200, again.text[:300]
    assert again.json()["number"] == created.json()["number"]
    changed = requests.post(f"{second.url}/api/v1/tickets", json={**body, "text": body["text"] + "补充。"},
                            headers=headers, timeout=60)
    assert changed.status_code == 409
    assert changed.json()["code"] == "idempotency_key_reused"
    from sqlalchemy import func, select

    from hotline.tickets.models import Ticket

    with live.runtime.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.number == created.json()["number"])) == 1


def test_the_scheduler_beside_two_app_processes_runs_jobs_once(live, two, start_scheduler):  # noqa: ANN001
    """One scheduler and its standby beside the web processes: exactly one is active."""
    active, standby = start_scheduler(), start_scheduler()
    wait_for(lambda: active.said("已成为当前调度进程") or standby.said("已成为当前调度进程"), what="an active scheduler")
    wait_for(lambda: active.said("待命") and standby.said("待命"), what="both schedulers started")
    time.sleep(3)  # three standby rounds
    assert [p.said("已成为当前调度进程") for p in (active, standby)].count(True) == 1
    for host in two:  # the web processes started no scheduler of their own (REL-6) and still answer
        assert requests.get(f"{host.url}/healthz", timeout=10).status_code == 200


def test_a_totp_login_started_on_one_process_finishes_on_the_other_and_its_code_is_spent_on_both(live, two):  # noqa: ANN001
    """The half-logged-in state travels in the session cookie; the last used time-step lives in the database."""
    first, second = two
    username = live.make_user("admin")  # admins need the second factor (tests_support.ready_user enrols it)
    http = requests.Session()
    step = post_login(http, first.url, username, PASSWORD)
    assert step.status_code == 302 and step.headers["Location"].endswith("/login/code")
    form = http.get(f"{second.url}/login/code", timeout=30)
    used = None
    for code in totp_codes():
        answer = http.post(f"{second.url}/login/code", data={"csrf_token": csrf_of(form.text), "code": code},
                           allow_redirects=False, timeout=30)
        if answer.status_code == 302:
            used = code
            break
        form = http.get(f"{second.url}/login/code", timeout=30)
    assert used is not None, "no code accepted on the second process"
    assert "/login" not in _console(http, first.url).url  # and the session works on the first
    replay = requests.Session()  # the same code, replayed at the first process: refused
    assert post_login(replay, first.url, username, PASSWORD).status_code == 302
    form = replay.get(f"{first.url}/login/code", timeout=30)
    refused = replay.post(f"{first.url}/login/code", data={"csrf_token": csrf_of(form.text), "code": used},
                          allow_redirects=False, timeout=30)
    assert refused.status_code == 401


def test_a_signed_request_replayed_to_the_other_process_is_refused(live, two):  # noqa: ANN001
    """API nonces are shared: the same signed bytes (same nonce) sent to the second host are a replay."""
    from hotline.accounts.signing import sign
    from hotline.accounts.tokens import issue_token

    first, second = two
    with live.runtime.db.transaction() as session:
        issued = issue_token(session, f"signed-{uuid.uuid4().hex[:6]}", "operator", cipher=live.runtime.cipher)
    body = json.dumps({"channel": "phone", "text": "来电人反映孩子一个人在家，农安县。"}, ensure_ascii=False).encode()
    stamp, nonce = int(time.time()), uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {issued.token}", "Content-Type": "application/json",
               "X-Hotline-Timestamp": str(stamp), "X-Hotline-Nonce": nonce,
               "X-Hotline-Signature": f"v1={sign(issued.signing_secret, stamp, nonce, body)}"}
    assert requests.post(f"{first.url}/api/v1/tickets", data=body, headers=headers, timeout=60).status_code == 201
    assert requests.post(f"{second.url}/api/v1/tickets", data=body, headers=headers, timeout=60).status_code == 401
