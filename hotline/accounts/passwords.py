"""Password policy (等保 complexity, ASVS length) and hashing (PBKDF2-SHA256, 600,000 iterations)."""

from __future__ import annotations

import secrets
import string

from werkzeug.security import check_password_hash, generate_password_hash

#: ASVS 2.4.5/2.4.6: PBKDF2-SHA256 with ≥ 310,000 iterations (werkzeug's default scrypt cost is too low)
PASSWORD_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 - a hash method, not a password
_COMMON = frozenset({"password1234", "123456789012", "qwertyuiop12", "admin1234567", "1qaz2wsx3edc"})


def password_problems(password: str, username: str) -> list[str]:
    """Why a password is refused; empty when acceptable."""
    problems = []
    if len(password) < 12:
        problems.append("密码至少 12 个字符")
    if len(password) > 128:
        problems.append("密码不能超过 128 个字符")
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        problems.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if password.lower() == username.lower() or password.lower() in _COMMON:
        problems.append("密码过于常见或与用户名相同")
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def generate_password() -> str:
    """A random password that satisfies the policy (for demo users; printed once, never stored)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + secrets.choice(string.digits)
        if not password_problems(candidate, ""):
            return candidate
