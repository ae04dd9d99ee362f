"""Sealed fields: personal data stored encrypted (AES-256-GCM), with a keyed digest beside it so exact
lookups (the same ID number, the same phone) still work without decrypting anything.

The key comes from ``HOTLINE_DATA_KEY`` (32 bytes, base64); without it, one is derived from the
instance's secret key, which is enough for a single-machine installation and for tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class FieldCipher:
    """Seals and opens one field value; ``digest`` is the lookup key for an exact match."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(hashlib.sha256(b"hotline-seal:" + key).digest())
        self._mac_key = hashlib.sha256(b"hotline-digest:" + key).digest()

    @classmethod
    def from_secret(cls, data_key: str | None, secret_key: str) -> FieldCipher:
        if data_key:
            return cls(base64.urlsafe_b64decode(data_key.encode("ascii") + b"=" * (-len(data_key) % 4)))
        return cls(hashlib.sha256(b"hotline-data-key:" + secret_key.encode("utf-8")).digest())

    def seal(self, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), None)
        return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str | None) -> str | None:
        if not token:
            return None
        version, _, body = token.partition(":")
        if version != _VERSION:
            raise ValueError(f"unknown sealed-field version {version!r}")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return self._aead.decrypt(raw[:12], raw[12:], None).decode("utf-8")

    def digest(self, value: str | None) -> str | None:
        """A keyed hash of an already normalised value (an 18-digit ID, a phone's digits)."""
        if not value:
            return None
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
