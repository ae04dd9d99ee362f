"""Users (people) and API tokens (integrations): creation, password policy, token checks."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.errors import Conflict, InputError, Unauthorized
from hotline.models import ApiToken, Role, User, utcnow
from hotline.services.directory import get_unit

#: ASVS 2.4.5/2.4.6: PBKDF2-SHA256 with ≥ 310,000 iterations (werkzeug's default scrypt cost is too low)
PASSWORD_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 - a hash method, not a password
ROLE_NAMES_ZH = {
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "调度员",
    Role.AGENCY_STAFF: "承办单位人员",
    Role.SUPERVISOR: "督导",
    Role.ADMIN: "系统管理员",
}
_COMMON = frozenset({"password1234", "123456789012", "qwertyuiop12", "admin1234567", "1qaz2wsx3edc"})


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a logged-in person or an API token."""

    kind: str  # "user" | "token"
    name: str
    role: Role
    unit_id: int | None = None
    id: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "hotline", Role.ADMIN)


def check_role(role: str, unit_code: str | None) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise InputError(f"未知角色“{role}”，可选：{', '.join(r.value for r in Role)}", code="unknown_role") from None
    if parsed is Role.AGENCY_STAFF and not unit_code:
        raise InputError("承办单位人员必须指定 --unit 单位代码", code="unit_required")
    if parsed is not Role.AGENCY_STAFF and unit_code:
        raise InputError("只有承办单位人员（agency_staff）可以指定单位", code="unit_not_allowed")
    return parsed


def password_problems(password: str, username: str) -> list[str]:
    """Why a password is refused (等保 complexity + ASVS length); empty when acceptable."""
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


def create_user(
    session: Session, username: str, role: str, password: str, *, unit_code: str | None = None, display_name: str = ""
) -> User:
    parsed = check_role(role, unit_code)
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise InputError("用户名须为 1-64 位字母、数字或 . _ -", code="bad_username")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名“{username}”已存在", code="username_taken")
    problems = password_problems(password, username)
    if problems:
        raise InputError("；".join(problems), code="weak_password")
    unit = get_unit(session, unit_code) if unit_code else None
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=parsed.value,
        unit=unit,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"用户“{username}”不存在", code="unknown_user")
    problems = password_problems(password, username)
    if problems:
        raise InputError("；".join(problems), code="weak_password")
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    user.password_changed_at = utcnow()
    user.failed_logins, user.locked_until = 0, None
    rotate_session_nonce(user)
    session.flush()
    return user


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def generate_password() -> str:
    """A random password that satisfies the policy (for demo users; printed once, never stored)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + secrets.choice(string.digits)
        if not password_problems(candidate, ""):
            return candidate


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, role: str, *, unit_code: str | None = None) -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the token itself (shown once, only its hash is kept)."""
    parsed = check_role(role, unit_code)
    if not name or len(name) > 64:
        raise InputError("令牌名称须为 1-64 个字符", code="bad_name")
    unit = get_unit(session, unit_code) if unit_code else None
    token = "hl_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=parsed.value, unit=unit, token_sha256=_digest(token))
    session.add(row)
    session.flush()
    return row, token


def authenticate_token(session: Session, token: str) -> Actor:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("访问令牌无效或已吊销", code="invalid_token")
    return Actor("token", row.name, Role(row.role), row.unit_id, row.id)


MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = "用户名或密码错误，或账号已被锁定"  # one message for every failure (AUTH-4)
# verified against when the username is unknown, so that every failure costs the same time
_DUMMY_HASH = generate_password_hash("not-a-real-password-0", method=PASSWORD_METHOD)


def login(session: Session, username: str, password: str, now: datetime | None = None) -> User | None:
    """The user when the password is right and the account usable, else None. Failures are counted
    in the database (shared by all workers, kept across restarts): 5 in a row lock the account for
    15 minutes. The caller commits either way, so that failures are kept."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    locked = user.locked_until is not None and user.locked_until > now
    if locked or not user.active or not verify_password(user, password):
        if not locked:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
        session.flush()
        return None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if not user.session_nonce:  # accounts created before session nonces existed
        rotate_session_nonce(user)
    session.flush()
    return user


def rotate_session_nonce(user: User) -> None:
    """Invalidate every session of this user (logout, password change, role or unit change)."""
    user.session_nonce = secrets.token_hex(16)


def actor_for(user: User) -> Actor:
    return Actor("user", user.username, Role(user.role), user.unit_id, user.id)
