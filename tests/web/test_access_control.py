"""Deny by default (AC-1), no mass assignment (AC-5), response hygiene (CFG-1, CFG-3).

The walk over ``app.url_map`` covers every route, including routes added later: a new endpoint is
protected unless it is put on the public list below, on purpose.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

#: reachable without a session or token; each has a rule of its own (login form, public health probe, the
#: API's description, the metrics address allowlist in tests/deploy)
PUBLIC = {"home.index", "auth.login", "auth.logout", "static", "health.healthz", "api.openapi", "metrics.metrics"}


def _sample_url(rule) -> str:  # noqa: ANN001
    """The rule with every argument filled in (an object that need not exist: refusal comes first)."""
    values = {name: 1 if "int" in type(conv).__name__.lower() else "x" for name, conv in rule._converters.items()}
    if "fmt" in values:
        values["fmt"] = "csv"
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), url)
    return url


def _rules(app):  # noqa: ANN001, ANN202
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_outside_the_public_list_refuses_a_visitor(app):
    client = app.test_client()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    checked = 0
    for rule, method in _rules(app):
        url = _sample_url(rule)
        if method == "GET":
            resp = client.get(url)
        else:  # a valid CSRF token, so the refusal comes from the missing login, not from the CSRF check
            resp = client.open(url, method=method, data={"csrf_token": csrf})
        if url.startswith("/api/"):
            assert resp.status_code == 401, (method, url, resp.status_code)
        else:
            assert resp.status_code in (302, 401), (method, url, resp.status_code)
            if resp.status_code == 302:
                assert "/login" in resp.headers["Location"], (method, url, resp.headers["Location"])
        checked += 1
    assert checked > 60  # the walk really covered the console and the API


def test_a_failure_inside_the_permission_check_shows_no_data(app, login, monkeypatch):
    """Fail closed: an exception while deciding who the visitor is gives the generic error page."""
    browser = login("dispatcher")
    import hotline.web.sessions as sessions

    def broken(user):  # noqa: ANN001, ANN202
        raise RuntimeError("permission check failed")

    monkeypatch.setattr(sessions, "actor_for", broken)
    resp = browser.get("/console/queue")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "请求编号" in body and "Traceback" not in body and "RuntimeError" not in body
    assert "工单" not in body.split("<main", 1)[-1]


@pytest.mark.parametrize("field,value", [
    ("agency_id", 3), ("assignee_id", 1), ("role", "admin"), ("status", "closed"), ("created_by", "x"),
    ("id", 99), ("version", 7), ("unit", "police:吉林省"),
])
def test_access_control_fields_in_an_intake_body_are_refused_and_nothing_is_stored(api_as, state, field, value):
    from hotline.tickets.models import Ticket

    api = api_as("operator")
    with state.db.transaction(readonly=True) as s:
        before = s.scalar(select(func.count()).select_from(Ticket))
    resp = api.post("/tickets", json={"text": "孩子父母外出务工，孩子一个人在家没人管", field: value})
    assert resp.status_code in (400, 422), resp.get_json()
    assert field in resp.get_json()["message"]
    with state.db.transaction(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == before


def test_a_ticket_action_cannot_set_fields_it_does_not_declare(api_as, state):
    from hotline.tickets.models import Ticket

    desk = api_as("dispatcher")
    number = desk.post("/tickets", json={"channel": "phone", "text": "孩子父母外出务工，孩子一个人在家没人管"}).get_json()["number"]
    resp = desk.act(number, "supervise", status="closed", unit_id=1, version=99)
    assert resp.status_code in (400, 422) and resp.get_json()["code"] == "unknown_field"
    with state.db.transaction(readonly=True) as s:
        row = s.execute(select(Ticket.status, Ticket.version).where(Ticket.number == number)).one()
    assert row.status != "closed"
    assert desk.get(f"/tickets/{number}").get_json()["version"] == row.version


def test_unused_methods_are_405_and_no_wildcard_cors(client):
    for method in ("TRACE", "PUT", "DELETE", "PATCH"):
        resp = client.open("/login", method=method)
        assert resp.status_code == 405, method
    resp = client.get("/login", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_html_pages_carry_the_security_headers_and_a_charset(client):
    resp = client.get("/login")
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = resp.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'self'"):
        assert part in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["Cache-Control"] == "no-store"  # CFG-2: every page may carry personal data


def test_an_unexpected_error_is_a_generic_page_with_a_request_id(app, login, monkeypatch):
    browser = login("operator")
    import hotline.web.home as home

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ValueError("SELECT secret FROM /srv/hotline/config.py")

    monkeypatch.setattr(home, "redirect", boom)
    resp = browser.get("/console/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500 and re.search(r"请求编号 [0-9a-f]{12}", body)
    for leak in ("Traceback", "SELECT", "/srv/", "ValueError", "Werkzeug", "Python"):
        assert leak not in body
    assert "Server" not in resp.headers or not re.search(r"\d", resp.headers["Server"])
