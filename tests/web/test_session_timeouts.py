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


def test_the_session_cookie_is_sent_again_only_when_the_idle_clock_moves(login):
    """Pages within a minute of the last recorded activity leave the session as it is (no cookie to sign and
    send); a request a minute later moves the idle clock and sends it, so 30 idle minutes still count from
    the person's last minute of activity."""
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        browser = login("dispatcher")
        clock.shift(timedelta(minutes=2))
        moved = browser.get("/console/queue")
        assert moved.status_code == 200 and "Set-Cookie" in moved.headers
        clock.shift(timedelta(seconds=30))
        same = browser.get("/console/queue")
        assert same.status_code == 200 and "Set-Cookie" not in same.headers
        clock.shift(timedelta(minutes=29, seconds=45))  # 30 min 15 s after the request that moved the clock
        assert not _alive(browser)
