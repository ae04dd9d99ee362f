"""Password policy (等保 complexity and periodic change, ASVS length and a breached-password list) and
hashing (PBKDF2-SHA256, 600,000 iterations).

The common-password list ``hotline/data/common_passwords.txt.gz`` is Django's
``django/contrib/auth/common-passwords.txt.gz`` (Django 5.2, BSD 3-clause licence, © Django Software
Foundation and individual contributors; the list itself was compiled by Royce Williams from public breach
corpora): 20,000 of the most common passwords, lower-cased, one a line. Compared case-insensitively.

Deliberate deviation from ASVS 2.1.9/2.1.10 (checklist §11): 等保 8.1.4.1 a requires complexity and
periodic change, so both are enforced, beside ASVS length (12..128) and the breached-password check.
"""

from __future__ import annotations

import gzip
import secrets
import string
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

#: ASVS 2.4.5/2.4.6: PBKDF2-SHA256 with ≥ 310,000 iterations (werkzeug's default scrypt cost is too low)
PASSWORD_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 - a hash method, not a password
MIN_LENGTH, MAX_LENGTH = 12, 128
#: how many previous passwords may not be reused (AUTH-2)
HISTORY_DEPTH = 5
#: an initial or admin-reset password must be changed within this time, else it no longer logs in (AUTH-6)
INITIAL_PASSWORD_LIFETIME = timedelta(hours=24)
_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    """The breached/common password list (Django's, 20,000 entries), lower-cased."""
    with gzip.open(_COMMON_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problems(password: str, username: str) -> list[str]:
    """Why a password is refused; empty when acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        problems.append(f"密码不能超过 {MAX_LENGTH} 个字符")
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and password.lower() == username.lower():
        problems.append("密码不能与用户名相同")
    if password.lower() in common_passwords():
        problems.append("密码过于常见（在常见密码列表中），请换一个")
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_expired(changed_at: datetime, now: datetime, max_age_days: int) -> bool:
    """True when a password set at ``changed_at`` is older than the configured maximum age."""
    return now - changed_at > timedelta(days=max_age_days)


def initial_password_expired(must_change: bool, changed_at: datetime, now: datetime) -> bool:
    """An initial or reset password not changed within 24 hours no longer logs in (AUTH-6)."""
    return must_change and now - changed_at > INITIAL_PASSWORD_LIFETIME


def generate_password() -> str:
    """A random password that satisfies the policy (for demo users; printed once, never stored)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + secrets.choice(string.digits)
        if not password_problems(candidate, ""):
            return candidate
