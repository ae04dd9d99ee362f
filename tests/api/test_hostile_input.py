"""Fault scenario 12 and API-2 over real HTTP (a waitress server on loopback): oversized bodies get 413,
deeply nested JSON 400, a 1 MB narrative 413 (and a long one under the body limit 422), hostile values
(NUL, lone surrogates, huge numbers, invalid UTF-8) a clear 4xx — each answered, never a 5xx, and no table
gains or loses a row. Signature cases (bad signature, old timestamp) are in tests/api/test_signing.py."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import func, select

from hotline.accounts.models import AuditEntry
from hotline.models import Base

MB = 1024 * 1024
CALL = {"channel": "phone", "text": "长春市农安县某村一名留守儿童无人照看"}
#: deeper than Python's recursion limit: json.loads gives up with RecursionError
DEEP = b"[" * 100_000 + b"]" * 100_000
#: tables a refused request legitimately adds to: the token's rate-limit window, and the audit trail (checked
#: below: only the token's first use is recorded there)
MAY_CHANGE = frozenset({"rate_limit_counters", "audit_log"})


def _row_counts(live) -> dict[str, int]:  # noqa: ANN001
    with live.runtime.db.transaction() as session:
        return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables if t.name not in MAY_CHANGE}


def _audit_events(live) -> list[str]:  # noqa: ANN001
    with live.runtime.db.transaction() as session:
        return list(session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)))


@pytest.fixture
def server(live):  # noqa: ANN001
    """The live server with an operator's and a dispatcher's token, and the row counts before the test."""
    live.operator = {"Authorization": f"Bearer {live.make_token('operator')}"}
    live.dispatcher = {"Authorization": f"Bearer {live.make_token('dispatcher')}"}
    live.before, audit_before = _row_counts(live), _audit_events(live)
    yield live
    assert _row_counts(live) == live.before, "a refused request changed the number of rows"
    assert set(_audit_events(live)[len(audit_before):]) <= {"token_use"}


def _post(server, path: str, data: bytes, headers: dict, **extra) -> requests.Response:  # noqa: ANN001
    return requests.post(f"{server.url}/api/v1{path}", data=data, timeout=60,
                         headers={"Content-Type": "application/json", **headers, **extra})


def _json_of_size(size: int) -> bytes:
    """A syntactically valid ticket body of about ``size`` bytes (the filler in an unknown field)."""
    return b'{"channel": "phone", "text": "x", "filler": "' + b"a" * size + b'"}'


@pytest.mark.parametrize("path", ["/tickets", "/tickets/12345-20260101-0001/actions/dispatch",
                                  "/leads/L-1/actions/sign", "/tickets/12345-20260101-0001/reveal"])
def test_a_10_mb_body_is_413(server, path):
    resp = _post(server, path, _json_of_size(10 * MB), server.operator)
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


def test_a_10_mb_body_without_a_token_is_refused_too(server):
    resp = _post(server, "/tickets", _json_of_size(10 * MB), {})
    assert resp.status_code in (401, 413)


def test_a_chunked_body_over_the_limit_is_413(server):
    """No Content-Length: the limit still holds while the body is read."""
    body = _json_of_size(3 * MB)
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    resp = requests.post(f"{server.url}/api/v1/tickets", data=chunks, timeout=60,
                         headers={"Content-Type": "application/json", **server.operator})
    assert resp.status_code == 413


def test_a_sentiment_batch_over_its_own_limit_is_413(server):
    limit = server.runtime.settings.max_batch_bytes
    resp = _post(server, "/sentiment/items", b"[" + b'"' + b"a" * limit + b'"]', server.dispatcher)
    assert resp.status_code == 413


@pytest.mark.parametrize("path", ["/tickets", "/sentiment/items", "/tickets/12345-20260101-0001/actions/progress"])
def test_deeply_nested_json_is_400(server, path):
    resp = _post(server, path, DEEP, server.dispatcher)
    assert resp.status_code == 400
    assert resp.json()["code"] == "json_too_deep"


@pytest.mark.parametrize("depth", [50, 500, 900])
def test_nesting_under_the_parsers_limit_is_a_field_error(server, depth):
    body = b'{"channel": "phone", "text": "x", "caller": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    resp = _post(server, "/tickets", body, server.operator)
    assert resp.status_code in (400, 422), resp.text[:300]


def test_a_1_mb_narrative_is_413(server):
    body = {**CALL, "text": "孩子" * (MB // 6 + 1)}  # 3 bytes a character: just over 1 MB of narrative
    resp = requests.post(f"{server.url}/api/v1/tickets", json=body, headers=server.operator, timeout=60)
    assert resp.status_code == 413


def test_a_long_narrative_under_the_body_limit_is_422(server):
    limit = server.runtime.settings.max_text_length
    resp = requests.post(f"{server.url}/api/v1/tickets", json={**CALL, "text": "孩" * (limit * 20)},
                         headers=server.operator, timeout=60)
    assert resp.status_code == 422
    assert "孩孩孩孩孩孩孩孩孩孩" not in resp.text  # the refusal does not echo the narrative


HOSTILE_BODIES = {
    "nul in the narrative": b'{"channel": "phone", "text": "\\u0000\\u0000"}',
    "a lone surrogate in the narrative": b'{"channel": "phone", "text": "\\ud800"}',
    "a lone surrogate in a name": b'{"channel": "phone", "text": "x", "caller": {"name": "\\udfff"}}',
    "a lone surrogate in a key": b'{"channel": "phone", "text": "x", "\\ud800": 1}',
    "an infinite number": b'{"channel": "phone", "text": "x", "child": {"age": 1e999}}',
    "NaN": b'{"channel": "phone", "text": "x", "child": {"age": NaN}}',
    "a 10,000-digit integer": b'{"channel": "phone", "text": "x", "child": {"age": ' + b"9" * 10_000 + b"}}",
    "a negative age": b'{"channel": "phone", "text": "x", "child": {"age": -1}}',
    "a boolean for the text": b'{"channel": "phone", "text": true}',
    "an array for the caller": b'{"channel": "phone", "text": "x", "caller": ["a"]}',
    "invalid UTF-8": b'{"channel": "phone", "text": "\xff\xfe"}',
    "a byte-order mark": b'\xef\xbb\xbf{"channel": "phone", "text": "x", "caller": {"name": 1}}',
    "a trailing comma": b'{"channel": "phone", "text": "x",}',
    "an empty body": b"",
    "a bare string": b'"x"',
    "null": b"null",
}


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_values_are_a_clear_4xx(server, name):
    resp = _post(server, "/tickets", HOSTILE_BODIES[name], server.operator)
    assert 400 <= resp.status_code < 500, f"{name}: {resp.status_code} {resp.text[:300]}"
    body = resp.json()
    assert body["code"] and re.search(r"[\u4e00-\u9fff]", body["message"]), body


@pytest.mark.parametrize("name", ["nul in the narrative", "a lone surrogate in the narrative", "an infinite number"])
def test_hostile_values_in_actions_are_a_clear_4xx(server, name):
    for path in ("/tickets/12345-20260101-0001/actions/progress", "/leads/L-1/actions/sign"):
        resp = _post(server, path, HOSTILE_BODIES[name], server.operator)
        assert 400 <= resp.status_code < 500, f"{path} {name}: {resp.status_code} {resp.text[:300]}"


def test_hostile_sentiment_items_are_rejected_one_by_one_not_a_5xx(server):
    items = b'[{"source": "weibo", "external_id": "\\ud800", "published_at": "2026-06-01T17:30:00+08:00", ' \
            b'"text": "\\u0000"}, {"source": "weibo", "external_id": "x", "published_at": "9999-99-99", "text": "x"}]'
    resp = _post(server, "/sentiment/items", items, server.dispatcher)
    assert resp.status_code < 500, resp.text[:300]
    if resp.status_code == 200:
        assert resp.json()["accepted"] == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_1_mb_body_with_the_wrong_content_type_is_415(server, content_type):
    resp = _post(server, "/tickets", _json_of_size(MB - 1000), server.operator, **{"Content-Type": content_type})
    assert resp.status_code == 415
    assert resp.json()["code"] == "unsupported_media_type"


def test_an_over_limit_body_with_the_wrong_content_type_is_413(server):
    resp = _post(server, "/tickets", b"a" * (2 * MB), server.operator, **{"Content-Type": "text/plain"})
    assert resp.status_code == 413


def _console_session(server, role: str = "operator") -> tuple[requests.Session, str]:  # noqa: ANN001
    """A logged-in browser-like session on the live server (operators have no code step) and its CSRF token."""
    from tests_support import PASSWORD

    web = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"{server.url}/login", timeout=30).text).group(1)
    resp = web.post(f"{server.url}/login", timeout=30, data={"csrf_token": token, "username": server.make_user(role),
                                                             "password": PASSWORD})
    assert resp.ok and not resp.url.endswith("/login"), resp.url
    page = web.get(f"{server.url}/console/new", timeout=30).text
    return web, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_a_1_mb_narrative_in_the_call_form_is_a_413_page_in_chinese(live):  # noqa: ANN001
    server = live
    web, csrf = _console_session(server)
    before = _row_counts(server)
    resp = web.post(f"{server.url}/console/new", timeout=60,
                    data={"csrf_token": csrf, "text": "孩子" * (MB // 6 + 1), "decision": "save"})
    assert resp.status_code == 413
    assert "text/html" in resp.headers["Content-Type"] and "请求内容过大" in resp.text and "Traceback" not in resp.text
    deep = web.post(f"{server.url}/console/triage", data=DEEP, timeout=60,
                    headers={"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"})
    assert deep.status_code == 400 and deep.json()["code"] == "json_too_deep"
    surrogate = web.post(f"{server.url}/console/triage", data=b'{"text": "\\ud800"}', timeout=60,
                         headers={"Content-Type": "application/json", "X-CSRF-Token": csrf,
                                  "Accept": "application/json"})
    assert surrogate.status_code == 400, surrogate.text[:300]
    # the form still works afterwards, and the refused posts stored nothing
    assert web.get(f"{server.url}/console/new", timeout=30).status_code == 200
    assert _row_counts(server) == before


@pytest.mark.parametrize("header,value", [
    ("Authorization", b"Bearer \xff\xfe\x80"), ("Authorization", b"Bearer " + b"a" * 8000),
    ("Idempotency-Key", b"\xff\xfe\x80 key"), ("Idempotency-Key", b"k" * 4000),
    ("Content-Type", b"application/json; charset=\xff"), ("Accept", b"\xff/\xff"),
])
def test_hostile_headers_are_a_clear_4xx_or_accepted(server, header, value):
    """Bytes that are not UTF-8 (a header is read as latin-1), and long values, in the headers the API
    reads: a 4xx, or a normal answer — never a 5xx. Only a well-formed call may store a ticket."""
    headers = {**server.operator, "Content-Type": "application/json", header: value}
    resp = requests.post(f"{server.url}/api/v1/tickets", data=b'{"channel": "phone", "text": "x", "bogus": 1}',
                         headers=headers, timeout=60)
    assert 400 <= resp.status_code < 500, f"{header}: {resp.status_code} {resp.text[:300]}"
