"""Sealed fields: AES-GCM ciphertext that differs every time, opens only with the same key, refuses a
tampered value; the digest is stable per key (exact lookups) and differs between keys."""

import base64

import pytest
from cryptography.exceptions import InvalidTag

from hotline.config import ConfigError, load_settings
from hotline.crypto import FieldCipher

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


def test_seal_open_digest():
    cipher = FieldCipher.from_secret(KEY, "unused-secret-key-unused-secret-key")
    first, second = cipher.seal("220122201503070023"), cipher.seal("220122201503070023")
    assert first != second and "220122" not in first
    assert cipher.open(first) == cipher.open(second) == "220122201503070023"
    assert cipher.digest("13812345678") == cipher.digest("13812345678") != cipher.digest("13812345679")
    assert cipher.seal(None) is None and cipher.seal("") is None and cipher.open(None) is None


def test_another_key_neither_opens_nor_finds():
    ours = FieldCipher.from_secret(None, "a" * 40)
    theirs = FieldCipher.from_secret(None, "b" * 40)
    sealed = ours.seal("王小明")
    with pytest.raises(ValueError, match="unknown key"):  # v2 values name their key
        theirs.open(sealed)
    assert ours.digest("x") != theirs.digest("x")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises((InvalidTag, ValueError)):
        ours.open(tampered)


def test_a_bad_data_key_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="HOTLINE_DATA_KEY"):
        load_settings({"instance_path": tmp_path}, env={"HOTLINE_DATA_KEY": "too-short"})
    assert load_settings({"instance_path": tmp_path}, env={"HOTLINE_DATA_KEY": KEY}).data_key == KEY
