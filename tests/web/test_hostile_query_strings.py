"""Hostile query strings and search forms (IN-1, API-2, "bad input is a clear 4xx, never a 500"): every
console page an admin can open, and the API's list endpoints, get each filter parameter the code reads with
a NUL byte (PostgreSQL refuses NUL in text), bytes that are not UTF-8, and a 20,000-character value —
the answer is a page or a 4xx, never a 5xx. The register's posted name search gets the same values."""

import pytest
from tests_support import PASSWORD

from hotline.accounts.audit_trail import FILTER_SPEC as AUDIT_SPEC
from hotline.children.listing import LIST_SPEC
from hotline.children.reviews import QUEUE_SPEC
from hotline.sentiment.desk import EVENT_FILTER_SPEC
from hotline.tickets.queries import FILTER_SPEC

#: every query parameter a console page or the API reads: the filter specs' fields and the few read directly
PARAMS = sorted({f.name for spec in (FILTER_SPEC, AUDIT_SPEC, LIST_SPEC, QUEUE_SPEC, EVENT_FILTER_SPEC)
                 for f in spec.fields} | {"q", "category", "urgency", "kind", "days", "page", "next"})
#: raw (already percent-encoded) values: NUL; a lone surrogate's UTF-8-like bytes, a stray byte, a malformed escape
HOSTILE = {"nul": "%00x%00", "not utf-8": "%ED%A0%80%FF%zz%"}
LONG = "a" * 20_000
SKIP = ("/logout", "/healthz", "/metrics", "/static", "/api/", "/login", "/console/export.")


def _pages(app) -> list[str]:  # noqa: ANN001
    return sorted({r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and not r.rule.startswith(SKIP)})


def test_every_console_page_answers_hostile_query_parameters_without_a_5xx(app, login):
    admin = login("admin")
    failures = []
    for path in _pages(app):
        for name in PARAMS:
            for kind, value in HOSTILE.items():
                resp = admin.client.get(f"{path}?{name}={value}")
                if resp.status_code >= 500:
                    failures.append(f"{path}?{name}= ({kind}): {resp.status_code}")
        resp = admin.client.get(path, query_string={name: LONG for name in PARAMS})
        if resp.status_code >= 500:
            failures.append(f"{path} (20,000 characters in every parameter): {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_the_exports_answer_hostile_filters_with_a_4xx(login):
    boss = login("supervisor")
    for fmt in ("csv", "xlsx"):
        for value in HOSTILE.values():
            for name in ("status", "category", "unit", "prefecture", "page"):
                resp = boss.client.get(f"/console/export.{fmt}?{name}={value}")
                assert resp.status_code < 500, f"export.{fmt}?{name}={value}: {resp.status_code}"


@pytest.mark.parametrize("role,unit", [("dispatcher", None), ("agency_staff", "civil_affairs:长春市/农安县")])
def test_the_api_lists_answer_hostile_query_parameters_with_a_4xx(api_as, role, unit):
    api = api_as(role, unit)
    failures = []
    for path in ("/tickets", "/leads"):
        for name in PARAMS:
            for kind, value in HOSTILE.items():
                resp = api.client.get(f"/api/v1{path}?{name}={value}", headers=api.headers)
                if resp.status_code >= 500 or resp.mimetype != "application/json":
                    failures.append(f"{path}?{name}= ({kind}): {resp.status_code} {resp.mimetype}")
    assert not failures, "\n".join(failures)


def test_the_registers_posted_search_answers_hostile_values(login):
    desk = login("dispatcher")
    for value in ("\x00王", "%", "_", "\\", LONG, "<script>alert(1)</script>"):
        resp = desk.post("/console/children/", {field.name: value for field in LIST_SPEC.fields})
        assert resp.status_code < 500, f"{value[:20]!r}: {resp.status_code}"
        resp = desk.post("/console/children/", {"name": value})
        assert resp.status_code < 500, f"{value[:20]!r}: {resp.status_code}"
        assert "<script>alert(1)</script>" not in resp.get_data(as_text=True)
    raw = desk.client.post("/console/children/", data=f"csrf_token={desk.csrf}&name=%ED%A0%80%00%FF",
                           content_type="application/x-www-form-urlencoded")
    assert raw.status_code < 500


def test_fields_read_outside_the_specs_answer_nul_and_long_values(new_browser, login, make_user):
    """The login form (its name also keys the rate limiter), the code step and the report publisher read
    their fields directly: a NUL byte or a long value is refused as a failed login or a 4xx, never a 5xx."""
    visitor = new_browser()
    for username in ("a\x00b", "\x00", "王" * 500):
        resp = visitor.post("/login", {"username": username, "password": "x\x00y"})
        assert resp.status_code in (401, 422, 429), f"{username[:10]!r}: {resp.status_code}"
    halfway = new_browser()
    halfway.get("/login")
    assert halfway.post("/login", {"username": make_user("admin"), "password": PASSWORD}).status_code == 302
    halfway.get("/login/code")
    for code in ("\x00" * 6, "1" * 5000):
        assert halfway.post("/login/code", {"code": code}).status_code < 500
    admin = login("admin")
    for kind, period in (("\x00", "2026-11"), ("monthly", "\x00"), ("monthly", "9" * 5000)):
        resp = admin.post("/console/reports/publish", {"kind": kind, "period": period})
        assert resp.status_code < 500, f"{kind!r} {period[:10]!r}: {resp.status_code}"
    resp = admin.post("/account/totp", {"code": "\x00" * 20})
    assert resp.status_code < 500
