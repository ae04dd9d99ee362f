"""People who log in: creation, password changes, login with lockout, session revocation."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role, User
from hotline.accounts.passwords import hash_password, password_problems
from hotline.directory.units import get_unit
from hotline.errors import Conflict, InputError
from hotline.timeutil import utcnow


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
        password_hash=hash_password(password),
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
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins, user.locked_until = 0, None
    rotate_session_nonce(user)
    session.flush()
    return user


def rotate_session_nonce(user: User) -> None:
    """Invalidate every session of this user (logout, password change, role or unit change)."""
    user.session_nonce = secrets.token_hex(16)


def actor_for(user: User) -> Actor:
    return Actor("user", user.username, Role(user.role), user.unit_id, user.id)
