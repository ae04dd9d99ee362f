"""Fault scenario 1: ``kill -9`` a real server while calls arrive from several threads, restart it, and let
the clients resend what was not acknowledged with the same Idempotency-Key. Every acknowledged ticket is
there, no call is there twice, every ticket has exactly one "create" timeline row (ticket and audit row
commit together), and (SQLite) the database file is intact."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
from process_support import Server, shared_env, wait_for
from sqlalchemy import func, select, text
from tests_support import BACKEND

from hotline.tickets.models import IdempotencyKey, Ticket, TicketEvent

CLIENTS, CALLS_EACH = 6, 12


@pytest.mark.slow
def test_kill_9_during_intake_loses_no_acknowledged_call_and_duplicates_none(live, tmp_path: Path):
    token = live.make_token("operator")
    headers = {"Authorization": f"Bearer {token}"}
    env = shared_env(live.runtime, tmp_path / "host")
    server = Server(env)
    wait_for(server.ready, what="first server")
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    started = threading.Event()

    def client(n: int) -> None:
        http = requests.Session()
        for i in range(CALLS_EACH):
            key = f"call-{n}-{i}"
            try:
                resp = http.post(f"{server.url}/api/v1/tickets", headers={**headers, "Idempotency-Key": key},
                                 json={"channel": "phone", "text": f"第{n}路第{i}个来电：孩子父母外出务工，孩子一个人在家"},
                                 timeout=30)
            except requests.RequestException:
                return  # the server died: this client resends later
            if resp.status_code in (200, 201):
                with lock:
                    acknowledged[key] = resp.json()["number"]
                    if len(acknowledged) >= CLIENTS * 2:
                        started.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    assert started.wait(60), "no calls were acknowledged"
    server.proc.kill()  # SIGKILL: no shutdown, no flush, mid-request
    server.proc.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=60)
    assert 0 < len(acknowledged) < CLIENTS * CALLS_EACH, "the kill should land mid-stream"

    restarted = Server(env)  # the same database, a new process
    wait_for(restarted.ready, what="restarted server")
    try:
        http = requests.Session()
        for n in range(CLIENTS):
            for i in range(CALLS_EACH):
                key = f"call-{n}-{i}"
                resp = http.post(f"{restarted.url}/api/v1/tickets", headers={**headers, "Idempotency-Key": key},
                                 json={"channel": "phone", "text": f"第{n}路第{i}个来电：孩子父母外出务工，孩子一个人在家"},
                                 timeout=30)
                assert resp.status_code in (200, 201), resp.text
                if key in acknowledged:  # acknowledged before the crash: the same ticket, not a new one
                    assert resp.status_code == 200 and resp.json()["number"] == acknowledged[key]
    finally:
        restarted.stop()

    with live.runtime.db.transaction(readonly=True) as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        keys = session.scalar(select(func.count()).select_from(IdempotencyKey))
        numbers = set(session.scalars(select(Ticket.number)))
        created = session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.action == "create")).all()
        if BACKEND == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert tickets == keys == CLIENTS * CALLS_EACH  # every call once, none twice
    assert len(created) == len(set(created)) == tickets  # each ticket committed with its "create" timeline row
    assert set(acknowledged.values()) <= numbers
