"""``/metrics`` (Prometheus text format): latency histograms by endpoint and status class that add up across
gunicorn workers, queue lengths and overdue counts from the domains' own rules, access only from allowed
networks or with the token, and no personal data in any label."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import timedelta

import requests
from sqlalchemy import update

from hotline.app import create_app
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow

TOKEN = "m" * 8 + "-fabricated-metrics-token-for-tests"  # noqa: S105


def _series(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _app(state, **changes):  # noqa: ANN001, ANN003, ANN202
    return create_app(runtime=Runtime(replace(state.settings, **changes), db=state.db))


def test_only_allowed_networks_or_the_token_read_metrics(state):  # noqa: ANN001
    app = _app(state, metrics_allow=("10.20.0.0/16",), metrics_token=TOKEN)
    client = app.test_client()
    assert client.get("/metrics").status_code == 403  # loopback is not in this list
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    default = _app(state).test_client()  # default: loopback only
    assert default.get("/metrics").status_code == 200
    assert default.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 403


def test_latency_is_counted_by_endpoint_and_status_class_without_personal_data(state, api_as):  # noqa: ANN001
    app = _app(state)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/login").status_code == 200
    assert client.get("/no-such-page-13800000000").status_code == 404
    api = api_as("operator")
    created = client.post("/api/v1/tickets", json={"channel": "phone", "text": "王小明一个人在家，电话13800000000，农安县。"},
                          headers=api.headers)
    assert created.status_code == 201
    number = created.get_json()["number"]
    client.get(f"/api/v1/tickets/{number}", headers=api.headers)
    text = client.get("/metrics").get_data(as_text=True)
    assert "# TYPE hotline_http_request_duration_seconds histogram" in text
    name = "hotline_http_request_duration_seconds"
    assert _series(text, f"{name}_count", endpoint="auth.login", status="2xx") == 3
    assert _series(text, f"{name}_bucket", endpoint="auth.login", status="2xx", le="+Inf") == 3
    assert _series(text, f"{name}_count", endpoint="<unmatched>", status="4xx") == 1
    assert _series(text, f"{name}_count", endpoint="api.create_ticket", status="2xx") == 1
    assert _series(text, f"{name}_sum", endpoint="auth.login", status="2xx") > 0
    for secret in (number, "13800000000", "王小明", "no-such-page"):  # labels are endpoint names, never paths
        assert secret not in text


def test_queue_lengths_and_overdue_counts_follow_the_database(state, api_as):  # noqa: ANN001
    client = _app(state).test_client()
    before = client.get("/metrics").get_data(as_text=True)
    assert _series(before, "hotline_database_up") == 1
    api = api_as("dispatcher")
    answer = api.post("/tickets", json={"channel": "phone", "text": "孩子父母外出务工，孩子独自在家，农安县。"})
    assert answer.status_code == 201
    number = answer.get_json()["number"]
    triaged = api.act(number, "triage", category="guardianship", kind="report", urgency="normal", county="农安县")
    assert triaged.status_code == 200, triaged.get_json()
    middle = client.get("/metrics").get_data(as_text=True)
    waiting = "hotline_queue_length"
    assert _series(middle, waiting, queue="tickets_waiting_dispatch") == _series(before, waiting, queue="tickets_waiting_dispatch") + 1
    dispatched = api.act(number, "dispatch", category="guardianship", kind="report", urgency="normal", county="农安县")
    assert dispatched.status_code == 200, dispatched.get_json()
    with state.db.transaction() as session:  # its sign deadline has passed
        session.execute(update(Ticket).where(Ticket.number == number).values(sign_due_at=utcnow() - timedelta(hours=1)))
    after = client.get("/metrics").get_data(as_text=True)
    assert _series(after, waiting, queue="tickets_waiting_dispatch") == _series(before, waiting, queue="tickets_waiting_dispatch")
    assert _series(after, "hotline_overdue", kind="tickets") == _series(before, "hotline_overdue", kind="tickets") + 1
    for kind in ("leads", "visit_tasks", "reviews"):
        assert f'hotline_overdue{{kind="{kind}"}}' in after
    for queue in ("notifications_pending_delivery", "sentiment_items_pending"):
        assert f'hotline_queue_length{{queue="{queue}"}}' in after


def test_histograms_add_up_across_gunicorn_workers(start_server):  # noqa: ANN001
    """``hotline serve --workers 3`` (gunicorn): requests spread over the workers, one scrape counts them all."""
    from concurrent.futures import ThreadPoolExecutor

    server = start_server(workers=3)
    http = requests.Session()

    def fetch(_: int) -> int:  # a new connection each: any worker may take it
        return requests.get(f"{server.url}/login", timeout=30).status_code

    sent, pids = 0, set()
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(12) as pool:
        # which worker accepts a connection is the kernel's choice, and a worker still loading the model accepts
        # none (the server is ready once one answers; on a busy machine the others may take tens of seconds):
        # send batches of concurrent requests until at least two workers have answered
        while len(pids) < 2 and time.monotonic() < deadline:
            assert set(pool.map(fetch, range(60))) == {200}
            sent += 60
            pids = {f.stem.rsplit("-", 1)[1] for f in server_metrics_dir(server).glob("latency-*.bin")}
    assert len(pids) >= 2, "the requests should have reached more than one worker"
    text = http.get(f"{server.url}/metrics", timeout=30).text
    assert _series(text, "hotline_http_request_duration_seconds_count", endpoint="auth.login", status="2xx") == sent
    assert _series(text, "hotline_http_request_duration_seconds_bucket", endpoint="auth.login", status="2xx",
                   le="+Inf") == sent


def server_metrics_dir(server):  # noqa: ANN001, ANN201
    from pathlib import Path

    return Path(server.env["HOTLINE_INSTANCE_PATH"]) / "metrics"
