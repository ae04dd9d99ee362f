"""HMAC request signing (API-1): a token created with ``--signed`` must sign every request over
``timestamp.nonce.raw body``; a missing or bad signature, a timestamp more than 300 s off, or a nonce seen
before is 401 and writes nothing; secrets are sealed at rest and can be rotated with or without a grace
period. The vendor's recipes (Python, curl + openssl) are run as documented against a real server."""

import hashlib
import hmac
import json
import secrets
import subprocess
import time
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.accounts.models import ApiNonce, ApiToken
from hotline.accounts.tokens import issue_token
from hotline.cli import given, main
from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow

CALL = {"channel": "phone", "text": "来电人反映，孩子父母在外务工，孩子由奶奶照看，想咨询助学补贴。"}


def vendor_headers(token: str, secret: str, body: bytes, *, ts: int | None = None, nonce: str | None = None) -> dict:
    """The documented Python recipe, written independently of the server's code."""
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or secrets.token_hex(16)
    signature = hmac.new(secret.encode(), f"{ts}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-Hotline-Timestamp": str(ts),
            "X-Hotline-Nonce": nonce, "X-Hotline-Signature": f"v1={signature}"}


def body_of(call: dict) -> bytes:
    return json.dumps(call, ensure_ascii=False).encode("utf-8")


@pytest.fixture
def signed(state):
    """(token, signing secret, token name) of a new signed operator token."""
    with state.db.transaction() as session:
        issued = issue_token(session, f"signed-{secrets.token_hex(3)}", "operator", cipher=state.cipher)
    return issued.token, issued.signing_secret, issued.row.name


def post(client, headers: dict, body: bytes):
    return client.post("/api/v1/tickets", data=body, headers=headers)


def tickets(state) -> int:
    with state.db.transaction(readonly=True) as session:
        return session.scalar(select(func.count(Ticket.id)))


def test_cli_prints_token_and_secret_once_and_stores_the_secret_sealed(state):
    result = CliRunner().invoke(main, ["token", "create", "--name", "vendor", "--role", "operator", "--signed"],
                                obj=given(state), catch_exceptions=False)
    token, secret = result.output.split()
    assert token.startswith("hl_") and secret.startswith("hls_")
    with state.db.transaction(readonly=True) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == "vendor"))
    assert secret not in row.signing_secret_sealed and state.cipher.open(row.signing_secret_sealed) == secret


def test_a_correctly_signed_request_is_accepted(client, state, signed):
    token, secret, _ = signed
    body = body_of(CALL)
    assert post(client, vendor_headers(token, secret, body), body).status_code == 201
    get = client.get("/api/v1/tickets", headers={k: v for k, v in vendor_headers(token, secret, b"").items()
                                                 if k != "Content-Type"})
    assert get.status_code == 200  # a GET signs its empty body


def test_a_signed_token_without_signature_headers_is_refused(client, state, signed):
    token, _, _ = signed
    resp = client.post("/api/v1/tickets", json=CALL, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.get_json()["code"] == "signature_required"
    assert "X-Hotline-Signature" in resp.get_json()["message"]
    assert tickets(state) == 0


def test_a_wrong_secret_or_a_tampered_body_is_refused_and_writes_nothing(client, state, signed):
    token, secret, _ = signed
    body = body_of(CALL)
    wrong = post(client, vendor_headers(token, "hls_guessed", body), body)
    tampered = post(client, vendor_headers(token, secret, body), body_of({**CALL, "text": "改过的内容"}))
    garbage = post(client, {**vendor_headers(token, secret, body), "X-Hotline-Signature": "v1=zz"}, body)
    assert [r.status_code for r in (wrong, tampered, garbage)] == [401] * 3
    assert {r.get_json()["code"] for r in (wrong, tampered, garbage)} == {"bad_signature"}
    assert tickets(state) == 0


@pytest.mark.parametrize(("offset", "status"), [(-301, 401), (301, 401), (-600, 401), (-299, 201), (299, 201)])
def test_a_timestamp_more_than_300_seconds_off_is_refused(client, state, signed, offset, status):
    token, secret, _ = signed
    body = body_of(CALL)
    resp = post(client, vendor_headers(token, secret, body, ts=int(time.time()) + offset), body)
    assert resp.status_code == status
    if status == 401:
        assert resp.get_json()["code"] == "stale_timestamp" and tickets(state) == 0


def test_a_replayed_nonce_is_refused_even_after_a_failed_request(client, state, signed):
    token, secret, _ = signed
    body = body_of(CALL)
    headers = vendor_headers(token, secret, body)
    assert post(client, headers, body).status_code == 201
    replay = post(client, headers, body)  # the captured request, byte for byte
    assert replay.status_code == 401 and replay.get_json()["code"] == "replayed_nonce"
    invalid = body_of({"channel": "phone"})  # refused by validation: its nonce is used up all the same
    first = vendor_headers(token, secret, invalid)
    assert post(client, first, invalid).status_code == 422
    assert post(client, first, invalid).get_json()["code"] == "replayed_nonce"
    assert tickets(state) == 1


def test_nonces_are_per_token_and_purged_after_twice_the_window(client, state, signed):
    token, secret, name = signed
    with state.db.transaction() as session:
        other = issue_token(session, "other-vendor", "operator", cipher=state.cipher)
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == name))
        session.add(ApiNonce(token_id=token_id, nonce="old-nonce-1", seen_at=utcnow() - timedelta(seconds=601)))
    body = body_of(CALL)
    assert post(client, vendor_headers(token, secret, body, nonce="shared-nonce"), body).status_code == 201
    assert post(client, vendor_headers(other.token, other.signing_secret, body, nonce="shared-nonce"),
                body).status_code == 201
    with state.db.transaction(readonly=True) as session:
        kept = set(session.scalars(select(ApiNonce.nonce).where(ApiNonce.token_id == token_id)))
    assert kept == {"shared-nonce"}  # the 10-minute-old one is gone


def test_an_unsigned_token_needs_no_signature(client, make_token):
    resp = client.post("/api/v1/tickets", json=CALL, headers={"Authorization": f"Bearer {make_token('operator')}"})
    assert resp.status_code == 201


def rotate(state, name: str, grace: str) -> str:
    result = CliRunner().invoke(main, ["token", "rotate-secret", "--name", name, "--grace-hours", grace],
                                obj=given(state), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_rotation_keeps_the_old_secret_for_the_grace_period_only(client, state, signed):
    token, old, name = signed
    new = rotate(state, name, "24")
    assert new != old and new.startswith("hls_")
    body = body_of(CALL)
    assert post(client, vendor_headers(token, old, body), body).status_code == 201  # during the grace period
    assert post(client, vendor_headers(token, new, body), body).status_code == 201
    with state.db.transaction() as session:  # the grace period is over
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        row.previous_secret_valid_until = utcnow() - timedelta(seconds=1)
    assert post(client, vendor_headers(token, old, body), body).get_json()["code"] == "bad_signature"
    assert post(client, vendor_headers(token, new, body), body).status_code == 201


def test_rotation_without_grace_refuses_the_old_secret_at_once(client, state, signed):
    token, old, name = signed
    new = rotate(state, name, "0")
    body = body_of(CALL)
    assert post(client, vendor_headers(token, old, body), body).get_json()["code"] == "bad_signature"
    assert post(client, vendor_headers(token, new, body), body).status_code == 201


def test_rotating_an_unsigned_token_is_a_clear_error(state, make_token):
    make_token("operator")
    result = CliRunner().invoke(main, ["token", "rotate-secret", "--name", "nobody"], obj=given(state))
    assert result.exit_code == 2 and "启用了请求签名" in result.output


def live_signed(live) -> tuple[str, str]:
    with live.runtime.db.transaction() as session:
        issued = issue_token(session, "telephony-vendor", "operator", cipher=live.runtime.cipher)
    return issued.token, issued.signing_secret


def test_the_documented_python_recipe_over_real_http(live):
    token, secret = live_signed(live)
    body = body_of(CALL)
    resp = requests.post(f"{live.url}/api/v1/tickets", data=body, headers=vendor_headers(token, secret, body), timeout=30)
    assert resp.status_code == 201, resp.text
    replay = requests.post(f"{live.url}/api/v1/tickets", data=body, headers=resp.request.headers, timeout=30)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed_nonce"


CURL_RECIPE = r"""
set -eu
TS=$(date +%s)
NONCE=$(openssl rand -hex 16)
SIG=$(printf '%s.%s.%s' "$TS" "$NONCE" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
curl -sS -o /dev/stderr -w '%{http_code}' -X POST "$URL/api/v1/tickets" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H "X-Hotline-Timestamp: $TS" -H "X-Hotline-Nonce: $NONCE" -H "X-Hotline-Signature: v1=$SIG" \
  --data-binary "$BODY"
"""


def test_the_documented_curl_and_openssl_recipe_over_real_http(live):
    token, secret = live_signed(live)
    env = {"PATH": "/usr/bin:/bin", "URL": live.url, "TOKEN": token, "SECRET": secret,
           "BODY": json.dumps(CALL, ensure_ascii=False), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", CURL_RECIPE], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout == "201", done.stderr
    assert json.loads(done.stderr)["text"] == CALL["text"]


def test_the_openapi_document_describes_signing_and_retryable_answers(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    intake = doc["paths"]["/tickets"]["post"]
    refs = {p.get("$ref", p.get("name")) for p in intake["parameters"]}
    assert {"Idempotency-Key", "#/components/parameters/Signature", "#/components/parameters/Nonce",
            "#/components/parameters/Timestamp"} <= refs
    assert doc["components"]["parameters"]["Signature"]["name"] == "X-Hotline-Signature"
    assert "Retry-After" in intake["responses"]["429"]["headers"] and "Retry-After" in intake["responses"]["503"]["headers"]
    assert "Idempotent-Replayed" in intake["responses"]["200"]["headers"]
    assert all("503" in op["responses"] and "401" in op["responses"]
               for path in doc["paths"].values() for op in path.values())
