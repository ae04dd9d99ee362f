"""HMAC request signing for API tokens created with ``--signed`` (Stripe / Svix style), pure functions.

The client sends ``X-Hotline-Timestamp`` (unix seconds), ``X-Hotline-Nonce`` (8-64 characters of
``A-Z a-z 0-9 _ -``) and ``X-Hotline-Signature: v1=<hex>``, the hex HMAC-SHA256 under its signing secret of
``timestamp + "." + nonce + "." + raw body``. Several ``v1=`` values may be sent, comma-separated (a
client signing with the old and the new secret during a rotation); one match is enough. A timestamp more
than ``WINDOW_SECONDS`` away from the server's clock is refused; the nonce is checked against the database
by ``tokens.record_use`` (a replay inside the window is refused there).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.errors import Unauthorized

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
NONCE_HEADER = "X-Hotline-Nonce"
SIGNATURE_HEADER = "X-Hotline-Signature"
#: how far a request's timestamp may be from the server's clock, either way
WINDOW_SECONDS = 300
#: how long a nonce is remembered: a request is accepted at most WINDOW_SECONDS after its timestamp, which
#: is at most WINDOW_SECONDS after the moment it was first seen
NONCE_TTL_SECONDS = 2 * WINDOW_SECONDS

_NONCE = re.compile(r"[A-Za-z0-9_\-]{8,64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignedRequest:
    """What a signed request carries besides its body."""

    timestamp: int
    nonce: str
    signatures: tuple[str, ...]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> SignedRequest:
        """Parse the three headers; 401 ``signature_required`` when one is missing or malformed."""
        stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
        nonce = (headers.get(NONCE_HEADER) or "").strip()
        raw = headers.get(SIGNATURE_HEADER) or ""
        signatures = tuple(part.strip()[3:].lower() for part in raw.split(",") if part.strip().startswith("v1="))
        if not (_TIMESTAMP.fullmatch(stamp) and _NONCE.fullmatch(nonce) and signatures):
            raise Unauthorized(
                f"该令牌要求请求签名：请提供 {TIMESTAMP_HEADER}（Unix 秒）、{NONCE_HEADER}（8-64 位字母、数字、_ 或 -）"
                f"和 {SIGNATURE_HEADER}（v1=十六进制 HMAC-SHA256）",
                code="signature_required",
            )
        return cls(int(stamp), nonce, signatures)


def sign(secret: str, timestamp: int, nonce: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``timestamp.nonce.body`` under ``secret`` (what the client computes)."""
    message = f"{timestamp}.{nonce}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secrets: Iterable[str], signed: SignedRequest, body: bytes, now: datetime) -> None:
    """Refuse (401) a stale timestamp or a signature made with none of ``secrets``; constant-time compare."""
    if abs(now.timestamp() - signed.timestamp) > WINDOW_SECONDS:
        raise Unauthorized(f"请求时间戳与服务器时间相差超过 {WINDOW_SECONDS} 秒，请校准时钟后重新签名",
                           code="stale_timestamp")
    matched = False
    for secret in secrets:
        expected = sign(secret, signed.timestamp, signed.nonce, body)
        for given in signed.signatures:
            # compare every candidate, whatever matched before: the time taken does not depend on the secret
            candidate = given if _HEX.fullmatch(given) else "0" * 64
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise Unauthorized("请求签名不正确", code="bad_signature")
