"""People who log in: creation, password changes, login with lockout, session revocation."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import PLACE_ROLES, ROLE_NAMES_ZH, Role, User
from hotline.accounts.passwords import hash_password, password_problems
from hotline.children.models import Place, PlaceLevel
from hotline.directory.units import get_unit
from hotline.errors import Conflict, InputError
from hotline.timeutil import utcnow


def check_role(role: str, unit_code: str | None, places: Sequence[Place] = ()) -> Role:
    try:
        parsed = Role(role)
    except ValueError:
        raise InputError(f"未知角色“{role}”，可选：{', '.join(r.value for r in Role)}", code="unknown_role") from None
    if parsed is Role.AGENCY_STAFF and not unit_code:
        raise InputError("承办单位人员必须指定 --unit 单位代码", code="unit_required")
    if parsed is not Role.AGENCY_STAFF and unit_code:
        raise InputError("只有承办单位人员（agency_staff）可以指定单位", code="unit_not_allowed")
    if parsed in PLACE_ROLES:
        _check_places(parsed, places)
    elif places:
        raise InputError("只有儿童主任、儿童督导员可以指定 --place", code="place_not_allowed")
    return parsed


def _check_places(role: Role, places: Sequence[Place]) -> None:
    want = PlaceLevel.VILLAGE if role is Role.CHILD_DIRECTOR else PlaceLevel.TOWNSHIP
    if not places:
        raise InputError(f"{ROLE_NAMES_ZH[role]}必须用 --place 指定负责的{'村（社区）' if want == PlaceLevel.VILLAGE else '乡镇（街道）'}",
                         code="place_required")
    wrong = [p.name for p in places if p.level != want]
    if wrong or (role is Role.CHILD_SUPERVISOR and len(places) != 1):
        raise InputError("儿童主任负责一个或几个村（社区），儿童督导员负责一个乡镇（街道）", code="bad_place")


def set_places(session: Session, username: str, places: Sequence[Place]) -> User:
    """Change the villages or the township a 儿童主任 / 儿童督导员 looks after (their sessions end)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"用户“{username}”不存在", code="unknown_user")
    role = Role(user.role)
    if role not in PLACE_ROLES:
        raise InputError("只有儿童主任、儿童督导员可以指定负责地点", code="place_not_allowed")
    _check_places(role, places)
    user.places = list(places)
    rotate_session_nonce(user)
    session.flush()
    return user


def create_user(
    session: Session, username: str, role: str, password: str, *, unit_code: str | None = None, display_name: str = "",
    places: Sequence[Place] = (),
) -> User:
    parsed = check_role(role, unit_code, places)
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
        places=list(places),
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


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"用户“{username}”不存在", code="unknown_user")
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    """Disable (or enable again) an account; disabling ends its sessions at once (SESS-4, AUTH-6)."""
    user = _get(session, username)
    user.active = active
    rotate_session_nonce(user)
    session.flush()
    return user


def change_role(session: Session, username: str, role: str, *, unit_code: str | None = None,
                places: Sequence[Place] = ()) -> User:
    """Give a user another role (with its unit or places); their sessions end, so the new rights apply
    from the next login and the old ones nowhere (SESS-4)."""
    user = _get(session, username)
    parsed = check_role(role, unit_code, places)
    user.role = parsed.value
    user.unit = get_unit(session, unit_code) if unit_code else None
    user.places = list(places)
    rotate_session_nonce(user)
    session.flush()
    return user


def rotate_session_nonce(user: User) -> None:
    """Invalidate every session of this user (logout, password change, role or unit change)."""
    user.session_nonce = secrets.token_hex(16)


def actor_for(user: User) -> Actor:
    return Actor("user", user.username, Role(user.role), user.unit_id, user.id,
                 places=frozenset(p.id for p in user.places))
