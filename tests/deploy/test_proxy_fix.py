"""ProxyFix (AUD-1 "behind a proxy, the client address comes from a configured ProxyFix"): with
``HOTLINE_PROXY_HOPS=0`` a client's X-Forwarded-For is ignored; with 1 the address the proxy appended is the
client's, in the audit row, in the rate-limit key and in the /metrics allowlist. A forged header in front of
the proxy's own entry is never believed."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from hotline.accounts.models import AuditEntry
from hotline.app import create_app
from hotline.runtime import Runtime


def _app(state, hops: int):  # noqa: ANN001, ANN202
    return create_app(runtime=Runtime(replace(state.settings, proxy_hops=hops), db=state.db))


def _failed_login(client, username: str, **headers: str):  # noqa: ANN001, ANN202
    page = client.get("/login", headers=headers)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": "Wrong-passw0rd!"},
                       headers=headers)


def _last_failure_ip(state, username: str) -> str | None:  # noqa: ANN001
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(AuditEntry.source_ip).where(AuditEntry.event == "login_failure",
                                                                 AuditEntry.actor.contains(username))
                              .order_by(AuditEntry.id.desc()).limit(1))


@pytest.mark.parametrize(("hops", "forwarded", "expected"), [
    (0, "198.51.100.7", "127.0.0.1"),  # no proxy trusted: the header is the client's word, ignored
    (1, "198.51.100.7", "198.51.100.7"),  # nginx appended the client's address
    (1, "10.9.9.9, 198.51.100.8", "198.51.100.8"),  # a forged first entry; the proxy's (last) one counts
])
def test_the_audit_row_records_the_address_the_trusted_proxy_saw(state, make_user, hops, forwarded, expected):  # noqa: ANN001
    username = make_user("operator")
    answer = _failed_login(_app(state, hops).test_client(), username, **{"X-Forwarded-For": forwarded})
    assert answer.status_code == 401
    assert _last_failure_ip(state, username) == expected


def test_the_login_rate_limit_is_keyed_by_the_forwarded_address(state, make_user):  # noqa: ANN001
    username = make_user("operator")
    client = _app(state, 1).test_client()
    limit = state.settings.rate_login_ip_account[0]
    for _ in range(limit):
        assert _failed_login(client, username, **{"X-Forwarded-For": "198.51.100.20"}).status_code == 401
    assert _failed_login(client, username, **{"X-Forwarded-For": "198.51.100.20"}).status_code == 429
    assert _failed_login(client, username, **{"X-Forwarded-For": "198.51.100.21"}).status_code == 401  # another desk


def test_the_metrics_allowlist_follows_the_trusted_proxy(state):  # noqa: ANN001
    # the socket is loopback in the test client; through a trusted proxy the real client is outside
    assert _app(state, 1).test_client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403
    assert _app(state, 0).test_client().get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 200
