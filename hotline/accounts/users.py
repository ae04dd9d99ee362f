"""People who log in: creation, password changes (policy, history), administration with its audit rows,
session revocation. Every administrative change writes its audit row in the same transaction (AUD-1/2);
``by`` names who did it (``cli:<os user>`` from the command line, ``system:init`` for demo accounts)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit, record_event
from hotline.accounts.models import PLACE_ROLES, ROLE_NAMES_ZH, PasswordHistory, Role, User
from hotline.accounts.passwords import HISTORY_DEPTH, hash_password, password_problems, verify_password
from hotline.children.models import Place, PlaceLevel
from hotline.db import Database
from hotline.directory.units import get_unit
from hotline.errors import Conflict, InputError
from hotline.timeutil import utcnow

#: how an administrator is named in the audit rows when nobody else is given
SYSTEM_ACTOR = "system"


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


def set_places(session: Session, username: str, places: Sequence[Place], *, by: str = SYSTEM_ACTOR) -> User:
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
    _admin_event(session, by, "user_places", user, f"places={len(places)}")
    return user


def _admin_event(session: Session, by: str, event: str, user: User, detail: str | None = None) -> None:
    record_event(session, by, Role.ADMIN.value, event, object_ref=f"user:{user.username}"[:64], detail=detail)


def _remember(session: Session, user: User) -> None:
    """Keep the new hash in the history; only the newest ``HISTORY_DEPTH`` are kept."""
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=utcnow()))
    session.flush()
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id) \
        .order_by(PasswordHistory.id.desc()).limit(HISTORY_DEPTH)
    session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                  PasswordHistory.id.not_in(keep.scalar_subquery()))
                    .execution_options(synchronize_session=False))


def create_user(
    session: Session, username: str, role: str, password: str, *, unit_code: str | None = None, display_name: str = "",
    places: Sequence[Place] = (), must_change: bool = True, by: str = SYSTEM_ACTOR,
) -> User:
    """A new account. Its password is an initial one (``must_change``, the default): it must be changed at
    first login and stops working 24 hours after it was set (AUTH-6)."""
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
        must_change_password=must_change,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    _remember(session, user)
    _admin_event(session, by, "user_create", user, f"role={parsed.value}" + (f" unit={unit_code}" if unit_code else ""))
    return user


def set_password(session: Session, username: str, password: str, *, by: str = SYSTEM_ACTOR) -> User:
    """An administrator's reset: the new password is an initial one again (changed at first login, void
    after 24 hours); the account is unlocked and its sessions end."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"用户“{username}”不存在", code="unknown_user")
    problems = password_problems(password, username)
    if problems:
        raise InputError("；".join(problems), code="weak_password")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    rotate_session_nonce(user)
    session.flush()
    _remember(session, user)
    _admin_event(session, by, "password_reset", user)
    return user


@dataclass(frozen=True)
class PasswordChanged:
    """The session to continue with after a person changed their own password (all others end)."""

    user_id: int
    session_nonce: str


def change_own_password(db: Database, actor: Actor, current: str, new: str, *, source_ip: str | None = None,
                        now: datetime | None = None) -> PasswordChanged:
    """A person changes their own password: the current one must be right, the new one must pass the
    policy and differ from the last five. A unit of work of its own, like a login: the hashes (about
    0.2 s each) are checked outside any write transaction. Clears the forced-change flag, restarts the
    password's age and ends every other session."""
    now = now or utcnow()
    problems = password_problems(new, actor.name)
    if problems:
        raise InputError("；".join(problems), code="weak_password")
    with db.transaction(readonly=True) as session:
        user = session.get(User, actor.id)
        if user is None:
            raise InputError("账号不存在", code="unknown_user")
        current_hash = user.password_hash
        recent = session.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
                                 .order_by(PasswordHistory.id.desc()).limit(HISTORY_DEPTH)).all()
    if not verify_password(current_hash, current):
        raise InputError("当前密码不正确", code="wrong_password")
    if any(verify_password(old, new) for old in {current_hash, *recent}):
        raise InputError(f"新密码不能与最近 {HISTORY_DEPTH} 次使用过的密码相同", code="password_reused")
    new_hash = hash_password(new)
    with db.transaction() as session:
        user = session.get(User, actor.id)
        if user is None or user.password_hash != current_hash:
            raise Conflict("密码已在别处被修改，请重新登录", code="password_changed_elsewhere")
        user.password_hash = new_hash
        user.password_changed_at = now
        user.must_change_password = False
        rotate_session_nonce(user)
        session.flush()
        _remember(session, user)
        record_audit(session, actor, "password_change", f"user:{user.username}"[:64], None, source_ip)
        return PasswordChanged(user.id, user.session_nonce)


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise InputError(f"用户“{username}”不存在", code="unknown_user")
    return user


def set_active(session: Session, username: str, active: bool, *, by: str = SYSTEM_ACTOR) -> User:
    """Disable (or enable again) an account; disabling ends its sessions at once (SESS-4, AUTH-6)."""
    user = _get(session, username)
    user.active = active
    rotate_session_nonce(user)
    session.flush()
    _admin_event(session, by, "user_enable" if active else "user_disable", user)
    return user


def reset_second_factor(session: Session, username: str, *, by: str = SYSTEM_ACTOR) -> User:
    """A lost phone: remove the TOTP secret and recovery codes and end the sessions; the person enrols again
    at the next login (required roles) or may do so on 账号安全 (the others)."""
    from hotline.accounts import totp

    user = _get(session, username)
    totp.reset(session, user)
    rotate_session_nonce(user)
    session.flush()
    _admin_event(session, by, "2fa_reset", user)
    return user


def change_role(session: Session, username: str, role: str, *, unit_code: str | None = None,
                places: Sequence[Place] = (), by: str = SYSTEM_ACTOR) -> User:
    """Give a user another role (with its unit or places); their sessions end, so the new rights apply
    from the next login and the old ones nowhere (SESS-4)."""
    user = _get(session, username)
    parsed = check_role(role, unit_code, places)
    user.role = parsed.value
    user.unit = get_unit(session, unit_code) if unit_code else None
    user.places = list(places)
    rotate_session_nonce(user)
    session.flush()
    _admin_event(session, by, "user_role", user, f"role={parsed.value}" + (f" unit={unit_code}" if unit_code else ""))
    return user


def rotate_session_nonce(user: User) -> None:
    """Invalidate every session of this user (logout, password change, role or unit change)."""
    user.session_nonce = secrets.token_hex(16)


def actor_for(user: User) -> Actor:
    role = Role(user.role)
    places = frozenset(p.id for p in user.places) if role in PLACE_ROLES else frozenset()  # others have none
    return Actor("user", user.username, role, user.unit_id, user.id, places=places)
