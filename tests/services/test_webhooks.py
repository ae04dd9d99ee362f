"""Webhook delivery against real HTTP servers on loopback: the signature and timestamp verify with the unit's
secret; a failing endpoint is retried at 1, 5, 15, 60 and 180 minutes of ``ctx.now`` and given up after the
sixth attempt; a hanging endpoint is cut off at the timeout and delays no other unit (measured); a run that
crashes after claiming loses nothing (the lease runs out and the delivery goes out later); two runs never
claim the same deliveries."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from sqlalchemy import select
from tests_support import http_server

from hotline.directory.units import get_unit
from hotline.notifications import delivery as webhook_delivery
from hotline.notifications.delivery import BACKOFF, LEASE, MAX_ATTEMPTS, claim, deliver_due
from hotline.notifications.models import WebhookDelivery
from hotline.notifications.service import notify
from hotline.notifications.webhooks import create_webhook, set_active
from hotline.scheduling.jobs import JobContext
from hotline.timeutil import utcnow

NONGAN = "civil_affairs:长春市/农安县"
JIUTAI = "civil_affairs:长春市/九台区"
CHANGCHUN = "civil_affairs:长春市"
HANG_SECONDS = 3.0


class Receiver(BaseHTTPRequestHandler):
    """/ok verifies the signature and timestamp (401 when wrong); /flaky answers 500 once, then 200;
    /down always 500; /hang answers after HANG_SECONDS."""

    secrets: dict = {}
    hits: Counter = Counter()
    received: list = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        arrived = time.monotonic()
        Receiver.hits[self.path] += 1
        timestamp = self.headers.get("X-Hotline-Timestamp", "")
        expected = "sha256=" + hmac.new(Receiver.secrets.get(self.path, "").encode(), f"{timestamp}.".encode() + raw,
                                        hashlib.sha256).hexdigest()
        verified = (hmac.compare_digest(expected, self.headers.get("X-Hotline-Signature", ""))
                    and timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300)
        Receiver.received.append({"path": self.path, "at": arrived, "verified": verified, "body": json.loads(raw),
                                  "delivery": self.headers.get("X-Hotline-Delivery"),
                                  "content_type": self.headers.get("Content-Type")})
        if self.path == "/hang":
            time.sleep(HANG_SECONDS)
            status = 200
        elif self.path == "/ok":
            status = 200 if verified else 401
        elif self.path == "/flaky":
            status = 500 if Receiver.hits[self.path] == 1 else 200
        else:
            status = 500
        body = b"{}" if status == 200 else "网关内部错误".encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the hotline gave up waiting
            pass


@pytest.fixture
def server():
    Receiver.secrets.clear()
    Receiver.hits.clear()
    Receiver.received.clear()
    with http_server(Receiver) as url:
        yield url


@pytest.fixture
def fast(state, monkeypatch):
    """A one-second webhook timeout (HOTLINE_WEBHOOK_TIMEOUT=1)."""
    monkeypatch.setattr(state, "settings", replace(state.settings, webhook_timeout_seconds=1.0))
    return 1.0


def hook(state, base: str, unit: str, path: str) -> int:
    with state.db.transaction() as session:
        created, secret = create_webhook(session, unit, base + path)
        Receiver.secrets[path] = secret
        return created.id


def note(state, unit: str, title: str = "工单 12345-20261204-00001 签收即将超时", now=None) -> int:
    with state.db.transaction() as session:
        return notify(session, kind="remind", title=title, body="请在 2 小时内签收", ref="ticket:12345-20261204-00001",
                      link="/console/tickets/12345-20261204-00001", unit=get_unit(session, unit), now=now).id


def run(state, now) -> dict:
    return deliver_due(JobContext(runtime=state, now=now))


def deliveries(state, webhook_id: int) -> list[WebhookDelivery]:
    with state.db.transaction(readonly=True) as session:
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
                                    .order_by(WebhookDelivery.id)))


def test_signed_json_is_delivered_and_recorded(state, server, fast):
    hook_id = hook(state, server, NONGAN, "/ok")
    now = utcnow()
    notification_id = note(state, NONGAN, now=now)
    assert run(state, now) == {"webhooks_sent": 1, "webhooks_retry": 0, "webhooks_failed": 0}
    [got] = Receiver.received
    [row] = deliveries(state, hook_id)
    assert got["verified"] and got["delivery"] == str(row.id)
    assert got["content_type"] == "application/json; charset=utf-8"
    assert got["body"] == {
        "delivery_id": row.id, "notification_id": notification_id, "unit": NONGAN, "kind": "remind",
        "title": "工单 12345-20261204-00001 签收即将超时", "body": "请在 2 小时内签收",
        "ref": "ticket:12345-20261204-00001", "link": "/console/tickets/12345-20261204-00001",
        "created_at": got["body"]["created_at"]}
    assert got["body"]["created_at"].endswith("+08:00")
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 1, 200, None)
    assert row.delivered_at == now and row.last_attempt_at == now
    assert run(state, now + timedelta(minutes=5)) == {"webhooks_sent": 0, "webhooks_retry": 0, "webhooks_failed": 0}
    assert Receiver.hits["/ok"] == 1  # delivered once


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(state, server, fast):
    hook_id = hook(state, server, NONGAN, "/ok")
    Receiver.secrets["/ok"] = "whsec_not-the-one"
    now = utcnow()
    note(state, NONGAN, now=now)
    assert run(state, now)["webhooks_retry"] == 1
    [row] = deliveries(state, hook_id)
    assert (row.status, row.last_status_code, row.attempts) == ("pending", 401, 1)
    assert row.last_error.startswith("HTTP 401")


def test_failures_back_off_on_ctx_now_then_give_up(state, server, fast):
    flaky, down = hook(state, server, JIUTAI, "/flaky"), hook(state, server, NONGAN, "/down")
    t0 = utcnow()
    note(state, JIUTAI, now=t0)
    note(state, NONGAN, now=t0)
    assert run(state, t0) == {"webhooks_sent": 0, "webhooks_retry": 2, "webhooks_failed": 0}
    [row] = deliveries(state, down)
    assert (row.attempts, row.next_attempt_at, row.last_status_code) == (1, t0 + timedelta(minutes=1), 500)
    assert row.last_error == "HTTP 500：网关内部错误"

    assert run(state, t0 + timedelta(seconds=59))["webhooks_retry"] == 0  # not yet due: nothing posted
    assert Receiver.hits == Counter({"/flaky": 1, "/down": 1})

    moment = t0 + timedelta(minutes=1)
    assert run(state, moment) == {"webhooks_sent": 1, "webhooks_retry": 1, "webhooks_failed": 0}
    [ok] = deliveries(state, flaky)
    assert (ok.status, ok.attempts, ok.delivered_at) == ("delivered", 2, moment)
    for attempt, wait in enumerate(BACKOFF[1:], start=2):
        [row] = deliveries(state, down)
        assert row.attempts == attempt and row.next_attempt_at == moment + wait
        assert run(state, moment + wait - timedelta(seconds=1))["webhooks_retry"] == 0
        moment += wait
        run(state, moment)
    [row] = deliveries(state, down)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and Receiver.hits["/down"] == MAX_ATTEMPTS
    assert run(state, moment + timedelta(days=1))["webhooks_failed"] == 0  # given up: never posted again


def test_a_hanging_endpoint_does_not_delay_another_unit(state, server, fast):
    hanging, healthy = hook(state, server, JIUTAI, "/hang"), hook(state, server, NONGAN, "/ok")
    now = utcnow()
    for n in range(3):
        note(state, JIUTAI, f"九台 第 {n} 条", now=now)
        note(state, NONGAN, f"农安 第 {n} 条", now=now)
    started = time.monotonic()
    counts = run(state, now)
    took = time.monotonic() - started
    healthy_arrivals = [r["at"] - started for r in Receiver.received if r["path"] == "/ok"]
    print(f"\nrun took {took:.2f}s with a {fast:.0f}s timeout and a {HANG_SECONDS:.0f}s hang; healthy unit's 3 "
          f"deliveries arrived at {', '.join(f'{a:.3f}s' for a in healthy_arrivals)}")
    assert counts == {"webhooks_sent": 3, "webhooks_retry": 1, "webhooks_failed": 0}
    assert len(healthy_arrivals) == 3 and max(healthy_arrivals) < 0.5  # not behind the hanging one
    assert fast <= took < fast + 1.0  # the hanging post is cut off at the timeout
    assert [d.status for d in deliveries(state, healthy)] == ["delivered"] * 3
    first, *rest = deliveries(state, hanging)
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 1, now + BACKOFF[0])
    assert "超时" in first.last_error and first.last_status_code is None
    # the webhook stopped at its first failure; the rest wait, in order, behind it (no attempt counted)
    assert [(d.attempts, d.next_attempt_at) for d in rest] == [(0, now), (0, now)]
    assert Receiver.hits["/hang"] == 1
    run(state, now + timedelta(seconds=30))
    assert Receiver.hits["/hang"] == 1  # held back behind the first one's retry


def test_a_crash_after_claiming_loses_nothing(state, server, fast):
    hook_id = hook(state, server, NONGAN, "/ok")
    now = utcnow()
    note(state, NONGAN, now=now)
    with state.db.transaction() as session:  # a run claims, then dies before posting
        lease_until, groups = claim(session, now)
    assert lease_until == now + LEASE and len(groups) == 1
    assert run(state, now + timedelta(minutes=1))["webhooks_sent"] == 0  # leased: not taken twice
    assert run(state, now + LEASE)["webhooks_sent"] == 1
    [row] = deliveries(state, hook_id)
    assert row.status == "delivered" and Receiver.hits["/ok"] == 1


def test_an_inactive_webhook_keeps_its_deliveries_for_later(state, server, fast):
    hook_id = hook(state, server, CHANGCHUN, "/ok")
    now = utcnow()
    note(state, CHANGCHUN, now=now)
    with state.db.transaction() as session:
        set_active(session, hook_id, False)
    note(state, CHANGCHUN, now=now)  # not queued while off
    assert run(state, now)["webhooks_sent"] == 0
    with state.db.transaction() as session:
        set_active(session, hook_id, True)
    assert run(state, now + timedelta(minutes=1))["webhooks_sent"] == 1
    assert len(deliveries(state, hook_id)) == 1


def test_two_runs_never_claim_the_same_deliveries(live, server):
    """Real commits (the live database): a second run while the first holds its claim gets nothing."""
    runtime = live.runtime
    now = utcnow()
    with runtime.db.transaction() as session:
        create_webhook(session, NONGAN, server + "/ok")
        for n in range(3):
            notify(session, kind="remind", title=f"第 {n} 条", unit=get_unit(session, NONGAN), now=now)
    claimed, second = threading.Event(), []

    def first_run() -> None:
        with runtime.db.transaction() as session:
            _, groups = claim(session, now)
            assert sum(len(g) for g in groups) == 3
            claimed.set()
            time.sleep(0.5)  # still inside the claim's transaction

    thread = threading.Thread(target=first_run)
    thread.start()
    claimed.wait(10)
    with runtime.db.transaction() as session:  # PostgreSQL: skips the locked webhook; SQLite: waits, sees the lease
        second.extend(claim(session, now)[1])
    thread.join()
    assert second == []


def test_the_signature_scheme(monkeypatch):
    body = b'{"delivery_id":1}'
    assert webhook_delivery.sign("whsec_k", 1700000000, body) == "sha256=" + hmac.new(
        b"whsec_k", b"1700000000." + body, hashlib.sha256).hexdigest()
