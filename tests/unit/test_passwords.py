"""AUTH-2: the password policy itself (length 12..128, three of four classes, not the username, not on
Django's common-password list compared case-insensitively) and the age rules (AUTH-2, AUTH-6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.accounts.passwords import (
    common_passwords,
    generate_password,
    initial_password_expired,
    password_expired,
    password_problems,
)
from hotline.timeutil import utcnow


def test_the_common_password_list_is_the_real_one():
    words = common_passwords()
    assert len(words) > 19_000  # Django's list, not a handful of examples
    assert {"password", "123456", "qwerty123456", "1qaz2wsx3edc"} <= words


@pytest.mark.parametrize("password,ok", [
    ("Abcdefgh-12", False),            # 11 characters
    ("Abcdefgh-123", True),            # 12
    ("Aa1-" * 16, True),               # 64: ASVS says long passphrases must be accepted
    ("Aa1-" * 32, True),               # 128
    ("Aa1-" * 32 + "x", False),        # 129
    ("abcdefghijkl", False),           # one class
    ("abcdefgh1234", False),           # two classes
    ("abcdefgh-1234", True),           # three: lower, digit, symbol
    ("长春市农安县合隆镇Aa1", True),     # 12 characters; the CJK ones count for length, upper/lower/digit for classes
])
def test_length_and_character_classes(password, ok):
    assert (password_problems(password, "zhangsan") == []) is ok, password_problems(password, "zhangsan")


def test_a_common_password_is_refused_whatever_its_case():
    assert any("常见" in p for p in password_problems("QWERTY123456!", "someone")) is False  # not on the list
    assert any("常见" in p for p in password_problems("Qwerty123456", "someone"))  # on the list, other case
    assert any("常见" in p for p in password_problems("1QAZ2wsx3edc", "someone"))


def test_the_username_is_refused_as_password():
    assert any("用户名" in p for p in password_problems("Wang.Xiao-2026", "wang.xiao-2026"))
    assert password_problems("Wang.Xiao-2026", "wang.xiao") == []


def test_expiry_rules():
    now = utcnow()
    assert not password_expired(now - timedelta(days=89), now, 90)
    assert password_expired(now - timedelta(days=91), now, 90)
    assert not initial_password_expired(True, now - timedelta(hours=23), now)
    assert initial_password_expired(True, now - timedelta(hours=25), now)
    assert not initial_password_expired(False, now - timedelta(days=30), now)  # a person's own password


def test_generated_passwords_pass_the_policy():
    assert all(password_problems(generate_password(), "demo_admin") == [] for _ in range(20))
