"""Sealed fields: personal data stored encrypted (AES-256-GCM), with a keyed digest beside it so exact
lookups (the same ID number, the same phone) still work without decrypting anything.

The key comes from ``HOTLINE_DATA_KEY`` (32 bytes, base64); without it, one is derived from the
instance's secret key, which is enough for a single-machine installation and for tests.

Key rotation (``hotline key rotate``): every sealed value names the key that sealed it
(``v2:<key id>:<nonce+ciphertext>``), so a cipher holding the new key and the previous one
(``HOTLINE_DATA_KEY_PREVIOUS``) opens both while the rotation re-seals the rows. Values sealed before key
ids existed (``v1:…``) are opened by trying each key, newest first. New values and digests always use the
current key; ``digests`` gives the lookup keys under every key the cipher holds, so an exact lookup still
finds a row whose digest the rotation has not reached yet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LEGACY = "v1"
_VERSION = "v2"
#: the value of HOTLINE_DATA_KEY_PREVIOUS naming the key derived from the secret key (an installation that
#: ran without HOTLINE_DATA_KEY and now gets one)
DERIVED = "secret-key"


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM
    mac_key: bytes


def _key(raw: bytes) -> _Key:
    if len(raw) != 32:
        raise ValueError("the data key must be 32 bytes")
    return _Key(id=hashlib.sha256(b"hotline-key-id:" + raw).hexdigest()[:8],
                aead=AESGCM(hashlib.sha256(b"hotline-seal:" + raw).digest()),
                mac_key=hashlib.sha256(b"hotline-digest:" + raw).digest())


def decode_key(text: str) -> bytes:
    """A 32-byte key from URL-safe base64 (padding optional); ValueError otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("the data key must be URL-safe base64") from exc
    if len(raw) != 32:
        raise ValueError("the data key must be 32 bytes")
    return raw


def derived_key(secret_key: str) -> bytes:
    return hashlib.sha256(b"hotline-data-key:" + secret_key.encode("utf-8")).digest()


class FieldCipher:
    """Seals and opens one field value; ``digest`` is the lookup key for an exact match.

    ``previous`` keys only open values and give extra lookup digests (during a rotation); they never seal."""

    def __init__(self, key: bytes, previous: Sequence[bytes] = ()) -> None:
        self._current = _key(key)
        self._keys = [self._current] + [k for k in map(_key, previous) if k.id != self._current.id]
        self._by_id = {k.id: k for k in self._keys}

    @classmethod
    def from_secret(cls, data_key: str | None, secret_key: str, previous: str | None = None) -> FieldCipher:
        """The runtime's cipher: ``HOTLINE_DATA_KEY`` (or the key derived from the secret key) and, during a
        rotation, ``HOTLINE_DATA_KEY_PREVIOUS`` (a base64 key, or ``secret-key`` for the derived one)."""
        current = decode_key(data_key) if data_key else derived_key(secret_key)
        old = [] if not previous else [derived_key(secret_key) if previous == DERIVED else decode_key(previous)]
        return cls(current, old)

    @property
    def key_id(self) -> str:
        """The current key's id (8 hex digits of a hash of the key, not the key)."""
        return self._current.id

    @property
    def rotating(self) -> bool:
        """A previous key is configured."""
        return len(self._keys) > 1

    def current_only(self) -> FieldCipher:
        """The same cipher without its previous keys (what remains once a rotation is over)."""
        clone = object.__new__(FieldCipher)
        clone._current, clone._keys, clone._by_id = self._current, [self._current], {self._current.id: self._current}
        return clone

    def seal(self, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        nonce = os.urandom(12)
        sealed = self._current.aead.encrypt(nonce, value.encode("utf-8"), None)
        return f"{_VERSION}:{self._current.id}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def is_current(self, token: str | None) -> bool:
        """Sealed with the current key (nothing for a rotation to do); an empty value counts as current."""
        return not token or token.startswith(f"{_VERSION}:{self._current.id}:")

    def open(self, token: str | None) -> str | None:
        if not token:
            return None
        version, _, rest = token.partition(":")
        if version == _VERSION:
            key_id, _, body = rest.partition(":")
            key = self._by_id.get(key_id)
            if key is None:
                raise ValueError(f"sealed with an unknown key {key_id!r} (set HOTLINE_DATA_KEY_PREVIOUS to the old key)")
            return self._decrypt(key, body)
        if version == _LEGACY:
            for key in self._keys:
                try:
                    return self._decrypt(key, rest)
                except InvalidTag:
                    continue
            raise ValueError("a v1 sealed value opens with none of the configured keys")
        raise ValueError(f"unknown sealed-field version {version!r}")

    @staticmethod
    def _decrypt(key: _Key, body: str) -> str:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        return key.aead.decrypt(raw[:12], raw[12:], None).decode("utf-8")

    def digest(self, value: str | None) -> str | None:
        """A keyed hash of an already normalised value (an 18-digit ID, a phone's digits), under the current key."""
        if not value:
            return None
        return hmac.new(self._current.mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def digests(self, value: str | None) -> list[str]:
        """The lookup keys of ``value`` under every key held (current first): ``column.in_(…)`` finds a row
        whether or not the rotation has recomputed its digest yet."""
        if not value:
            return []
        return [hmac.new(k.mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest() for k in self._keys]
