"""Rate limits with shared storage (AUTH-3, API-4, fault scenario 9): failed logins per address and account,
per address, per account; intake per API token; live triage per console session. 429 with Retry-After,
counted in the database (or Redis, falling back to the database while Redis is down), by every process
together."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace

import pytest
import requests
from sqlalchemy import func, select

from hotline.errors import TooManyRequests
from hotline.ratelimit.models import RateCounter
from hotline.ratelimit.service import (
    DatabaseCounters,
    Limiter,
    RedisCounters,
    Rule,
    counter_key,
    lease_size,
    make_limiter,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def limits(state, monkeypatch):
    """limits(rate_login_ip=(3, 900), …): the app's rate limits for this test."""

    def _set(**values) -> None:  # noqa: ANN003
        monkeypatch.setattr(state, "settings", replace(state.settings, **values))

    return _set


def attempt(browser, username: str, password: str, address: str):  # noqa: ANN001, ANN201
    browser.get("/login")
    return browser.post("/login", {"username": username, "password": password},
                        environ_base={"REMOTE_ADDR": address})


def assert_429(resp, text: str) -> None:  # noqa: ANN001
    assert resp.status_code == 429, resp.status_code
    assert 1 <= int(resp.headers["Retry-After"]) <= 3600
    assert text in resp.get_data(as_text=True)


def test_one_address_cannot_lock_an_account(new_browser, make_user, password):
    """From one address an account takes 4 failures, never the 5 that would lock it: its owner still logs
    in from the duty room while the attacker's address is refused."""
    victim, attacker = make_user("operator"), new_browser()
    for _ in range(4):
        assert attempt(attacker, victim, "wrong-password-1", "203.0.113.9").status_code == 401
    assert_429(attempt(attacker, victim, "wrong-password-1", "203.0.113.9"), "登录失败次数过多")
    assert_429(attempt(attacker, victim, password, "203.0.113.9"), "登录失败次数过多")
    assert attempt(new_browser(), victim, password, "10.1.1.20").status_code == 302


def test_failures_per_address_are_limited_across_accounts(new_browser, make_user, limits):
    limits(rate_login_ip=(3, 900))
    browser = new_browser()
    for _ in range(3):
        assert attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.10").status_code == 401
    assert_429(attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.10"), "本机登录失败次数过多")
    assert attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.11").status_code == 401


def test_an_account_takes_at_most_its_failures_per_hour_from_any_address(new_browser, make_user, password, limits):
    limits(rate_login_account=(3, 3600))
    victim, other = make_user("operator"), make_user("operator")
    for i in range(3):
        assert attempt(new_browser(), victim, "wrong-password-1", f"198.51.100.{i}").status_code == 401
    assert_429(attempt(new_browser(), victim, password, "198.51.100.99"), "该账号登录失败次数过多")
    assert attempt(new_browser(), other, password, "198.51.100.99").status_code == 302


def test_successful_logins_spend_nothing(new_browser, make_user, password, limits):
    """A call centre behind one NAT address logs in all at once."""
    limits(rate_login_ip=(2, 900), rate_login_ip_account=(2, 900))
    for _ in range(4):
        assert attempt(new_browser(), make_user("operator"), password, "192.0.2.1").status_code == 302


def test_intake_is_limited_per_token(api_as, limits, state):
    limits(rate_intake_token=(2, 3600))
    first, second = api_as("operator"), api_as("operator")
    assert [first.post("/tickets", json={}).status_code for _ in range(2)] == [422, 422]  # requests count
    refused = first.post("/tickets", json={})
    assert_429(refused, "该令牌提交工单过于频繁")
    assert refused.get_json()["code"] == "rate_limited"
    assert second.post("/tickets", json={}).status_code == 422
    with state.db.transaction(readonly=True) as s:  # stored by hash: no token in the table
        keys = s.scalars(select(RateCounter.key)).all()
    assert keys and all(k.split(":")[0] in {"intake_token", "login_ip", "login_account", "login_ip_account"}
                        and len(k.split(":")[1]) == 48 for k in keys)


def test_live_triage_is_limited_per_session(login, limits):
    limits(rate_triage_session=(2, 3600))  # an hour: the three calls never straddle two fixed windows
    first, second = login("operator"), login("operator")
    for _ in range(2):
        assert first.post_json("/console/triage", {"text": "孩子一个人在家"}).status_code == 200
    refused = first.post_json("/console/triage", {"text": "孩子一个人在家"})
    assert_429(refused, "智能分拣请求过于频繁")
    assert refused.is_json
    assert second.post_json("/console/triage", {"text": "孩子一个人在家"}).status_code == 200


def test_the_console_shows_the_chinese_error_page(new_browser, make_user, limits):
    limits(rate_login_ip=(1, 900))
    browser = new_browser()
    assert attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.50").status_code == 401
    resp = attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.50")
    assert_429(resp, "本机登录失败次数过多")
    assert resp.mimetype == "text/html"


def test_redis_counts_for_everyone(state):
    """Two limiters (two processes' worth) over one Redis count together; nothing goes to the database."""
    prefix = f"hotline-test:{uuid.uuid4().hex}:"
    a = Limiter(RedisCounters(REDIS_URL, DatabaseCounters(state.db), prefix=prefix))
    b = Limiter(RedisCounters(REDIS_URL, DatabaseCounters(state.db), prefix=prefix))
    rule = Rule("intake_token", 3, 60)
    for limiter in (a, b, a):
        limiter.hit(rule, "token-hash", "{seconds}")
    with pytest.raises(TooManyRequests) as refused:
        b.hit(rule, "token-hash", "请 {seconds} 秒后再试")
    assert 1 <= refused.value.retry_after <= 60
    lease_rule, now = Rule("triage_session", 60, 60), time.time()
    Limiter(a.counters, clock=lambda: now).hit(lease_rule, "session", "{seconds}")  # a lease: INCRBY 2
    assert a.counters.peek(counter_key(lease_rule, "session"), int(now // 60) * 60, 60) == lease_size(lease_rule) == 2
    with state.db.transaction(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(RateCounter)) == 0


def test_redis_down_falls_back_to_the_database_never_to_no_limit(state):
    """Fault scenario 9: Redis unreachable (a closed port) -> the database counts; still refused at the limit."""
    counters = RedisCounters(CLOSED_PORT_URL, DatabaseCounters(state.db))
    limiter = Limiter(counters)
    rule = Rule("login_account", 2, 3600)
    assert limiter.count(rule, "operator7") == 1
    assert counters.using_fallback
    assert limiter.count(rule, "operator7") == 2
    with pytest.raises(TooManyRequests):
        limiter.refuse_if_spent(rule, "operator7", "{seconds}")
    with state.db.transaction(readonly=True) as s:
        assert s.scalar(select(func.sum(RateCounter.count)).where(RateCounter.key.startswith("login_account:"))) == 2


def test_logins_stay_limited_through_the_app_while_redis_is_down(app, new_browser, make_user, limits, monkeypatch,
                                                                  state):
    monkeypatch.setitem(app.extensions, "hotline_limiter", make_limiter(state.db, CLOSED_PORT_URL))
    limits(rate_login_ip=(2, 900))
    browser = new_browser()
    for _ in range(2):
        assert attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.77").status_code == 401
    assert_429(attempt(browser, make_user("operator"), "wrong-password-1", "203.0.113.77"), "本机登录失败次数过多")


def _stored(db, rule: Rule, identity: str) -> int:  # noqa: ANN001
    with db.transaction(readonly=True) as s:
        return s.scalar(select(func.sum(RateCounter.count)).where(RateCounter.key == counter_key(rule, identity))) or 0


def test_per_request_limits_write_once_per_lease_and_never_exceed_the_limit(state):
    """Two processes' limiters over one database: each claims lease_size numbers per write; together they
    allow at most the limit, losing at most (lease - 1) each; once past the limit they refuse without writing."""
    rule, now = Rule("triage_session", 120, 3600), time.time()
    a, b = (Limiter(DatabaseCounters(state.db), clock=lambda: now) for _ in range(2))
    size = lease_size(rule)
    assert size == 4
    a.hit(rule, "session", "{seconds}")
    assert _stored(state.db, rule, "session") == size  # one write claimed a whole lease
    for _ in range(size - 1):
        a.hit(rule, "session", "{seconds}")
    assert _stored(state.db, rule, "session") == size  # served from the lease, no write
    allowed = size
    for turn in range(400):
        try:
            (a if turn % 3 else b).hit(rule, "session", "{seconds}")
            allowed += 1
        except TooManyRequests:
            pass
    assert rule.count - 2 * (size - 1) <= allowed <= rule.count
    spent = _stored(state.db, rule, "session")
    for limiter in (a, b):
        with pytest.raises(TooManyRequests):
            limiter.hit(rule, "session", "{seconds}")
    assert _stored(state.db, rule, "session") == spent  # refused without writing


def test_one_process_allows_exactly_its_limit(state):
    rule, now = Rule("intake_token", 61, 60), time.time()
    limiter = Limiter(DatabaseCounters(state.db), clock=lambda: now)
    answers = []
    for _ in range(70):
        try:
            limiter.hit(rule, "token", "{seconds}")
            answers.append(True)
        except TooManyRequests:
            answers.append(False)
    assert answers == [True] * 61 + [False] * 9


def test_counters_are_atomic_under_concurrency(live):
    """Sixteen threads hit one key at once on a real database: every count from 1 to 160 is handed out once."""
    from tests_support import race

    counters = DatabaseCounters(live.runtime.db)
    window = int(time.time() // 3600) * 3600
    results = race(16, lambda i: [counters.hit("intake_token:race", window, 3600) for _ in range(10)])
    assert sorted(n for batch in results for n in batch) == list(range(1, 161))


def test_a_count_does_not_wait_for_the_disk_and_nothing_else_stops_waiting(live):
    """A count's commit does not wait for the disk (a lost count costs nothing): SQLite commits it with
    synchronous=NORMAL, PostgreSQL with synchronous_commit off. The setting is that transaction's own: every
    pooled connection is back to waiting afterwards, so an intake on it stays durable."""
    db = live.runtime.db

    def setting(dbapi) -> object:  # noqa: ANN001 - a DB-API connection, read outside SQLAlchemy's transactions
        query = "PRAGMA synchronous" if db.is_sqlite else "SHOW synchronous_commit"
        return dbapi.execute(query).fetchone()[0]

    counters, window = DatabaseCounters(db), int(time.time() // 3600) * 3600
    waiting, not_waiting = (2, 1) if db.is_sqlite else ("on", "off")  # FULL, NORMAL
    with db.connect(durable=False) as conn:
        assert setting(conn.connection.dbapi_connection) == not_waiting
    assert [counters.hit("intake_token:disk", window, 3600) for _ in range(3)] == [1, 2, 3]
    pooled = [db.engine.connect() for _ in range(max(1, db.engine.pool.checkedin()))]  # every idle connection
    try:
        assert [setting(conn.connection.dbapi_connection) for conn in pooled] == [waiting] * len(pooled)
    finally:
        for conn in pooled:
            conn.close()


# --- two real app processes over one database -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--port", str(port), "--threads", "4"],
                            env={**env, "HOTLINE_PORT": str(port)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _wait_ready(proc: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start")


def test_two_server_processes_count_together(live, tmp_path):
    """API-4: two `hotline serve` processes over one database share the intake limit of a token."""
    from hotline.accounts.audit import verify_chain

    env = {**os.environ, "HOTLINE_DATABASE_URL": live.runtime.settings.database_url,
           "HOTLINE_INSTANCE_PATH": str(tmp_path / "shared"), "HOTLINE_SECRET_KEY": live.runtime.settings.secret_key,
           "HOTLINE_RATE_LIMIT_INTAKE_TOKEN": "3/1h"}
    env.pop("HOTLINE_RATE_LIMIT_URL", None)
    token = live.make_token("operator")
    ports = [_free_port(), _free_port()]
    procs = [_serve(env, port) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for proc, url in zip(procs, urls, strict=True):
            _wait_ready(proc, url)
        answers = [requests.post(f"{urls[i % 2]}/api/v1/tickets", json={}, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) for i in range(6)]
        assert [a.status_code for a in answers] == [422, 422, 422, 429, 429, 429]
        assert all(int(a.headers["Retry-After"]) >= 1 for a in answers[3:])
        assert answers[4].json()["code"] == "rate_limited"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    with live.runtime.db.transaction(readonly=True) as s:  # both processes appended to one unbroken chain
        assert verify_chain(s).ok


def test_limits_and_keys_are_validated_settings(tmp_path):
    from hotline.config import ConfigError, load_settings

    env = {"HOTLINE_INSTANCE_PATH": str(tmp_path), "HOTLINE_SECRET_KEY": "s" * 40}
    settings = load_settings(env={**env, "HOTLINE_RATE_LIMIT_LOGIN_IP": "20/10m", "HOTLINE_RATE_LIMIT_INTAKE_TOKEN": "50/60"})
    assert (settings.rate_login_ip, settings.rate_intake_token, settings.rate_login_account) == ((20, 600), (50, 60),
                                                                                                 (100, 3600))
    for name, value in [("HOTLINE_RATE_LIMIT_LOGIN_IP", "many"), ("HOTLINE_RATE_LIMIT_LOGIN_ACCOUNT", "0/1h"),
                        ("HOTLINE_RATE_LIMIT_URL", "memory://"), ("HOTLINE_AUDIT_KEY", "too-short")]:
        with pytest.raises(ConfigError, match=name):
            load_settings(env={**env, name: value})
