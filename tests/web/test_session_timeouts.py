"""SESS-3: the server ends a session after 30 idle minutes, and after 12 hours however busy it was."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from hotline.timeutil import utcnow


def _alive(browser) -> bool:  # noqa: ANN001
    resp = browser.get("/console/queue")
    return resp.status_code == 200


def test_thirty_idle_minutes_end_the_session(login):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        browser = login("dispatcher")
        clock.shift(timedelta(minutes=29))
        assert _alive(browser)
        clock.shift(timedelta(minutes=31))
        resp = browser.get("/console/queue")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
        fetch = browser.client.get("/console/notifications/summary", headers={"Accept": "application/json"})
        assert fetch.status_code == 401


def test_twelve_hours_end_even_a_busy_session(login):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        browser = login("dispatcher")
        for _ in range(28):  # active every 25 minutes: 11 h 40 min
            clock.shift(timedelta(minutes=25))
            assert _alive(browser)
        clock.shift(timedelta(minutes=25))  # 12 h 05 min after login
        assert not _alive(browser)
