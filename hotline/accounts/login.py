"""Logging a person in. The password hash (PBKDF2, about 0.2 s) is checked outside any write transaction,
so a flood of failed logins never holds the database's write lock while emergency calls wait to be
recorded; and exactly one hash is computed on every path (unknown user, locked or disabled account,
wrong or right password), so the answer time does not reveal whether an account exists.

A login is one step (password) or two (password, then a TOTP or recovery code, ``second_factor``): a wrong
code counts as a failed login like a wrong password. Every attempt writes an audit row (AUD-1):
login_success, login_failure (the username tried, truncated; never the password), lockout,
recovery_code_used.

Each step is a unit of work of its own, like a request: a short read, the hash, a short write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts.audit import record_event
from hotline.accounts.models import User
from hotline.accounts.passwords import hash_password, initial_password_expired, verify_password
from hotline.accounts.users import rotate_session_nonce
from hotline.crypto import FieldCipher
from hotline.db import Database
from hotline.timeutil import utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = "用户名或密码错误，或账号已被锁定"  # one message for every failure (AUTH-4)
CODE_FAILED = "验证码错误或已使用，或账号已被锁定"
#: the half-logged-in state (password right, code pending) lasts this long
SECOND_STEP_TIMEOUT = timedelta(minutes=5)
# verified against when the username is unknown, so that every failure costs the same time
_DUMMY_HASH = hash_password("not-a-real-password-0")
_UNKNOWN_ROLE = "-"


@dataclass(frozen=True)
class SessionStart:
    """Who logged in: what a session cookie needs. With ``second_factor`` the password was right but the
    session may only go to the code step until a code is accepted."""

    user_id: int
    session_nonce: str
    second_factor: bool = False


def _fail(session: Session, user_id: int, username: str, role: str, now: datetime, source_ip: str | None,
          detail: str) -> None:
    """Count a failure (password or code); the fifth in a row locks the account for 15 minutes."""
    failures = session.execute(
        update(User).where(User.id == user_id).values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    record_event(session, username, role, "login_failure", object_ref=f"user:{username}"[:64], detail=detail,
                 source_ip=source_ip)
    if failures >= MAX_FAILED_LOGINS:
        session.execute(update(User).where(User.id == user_id).values(locked_until=now + LOCKOUT, failed_logins=0))
        record_event(session, username, role, "lockout", object_ref=f"user:{username}"[:64],
                     detail=f"minutes={int(LOCKOUT.total_seconds() // 60)}", source_ip=source_ip)


def log_in(db: Database, username: str, password: str, now: datetime | None = None, *,
           source_ip: str | None = None) -> SessionStart | None:
    """The new session's user when the password is right and the account usable, else None. Failures
    are counted in the database (shared by all workers, kept across restarts): 5 in a row lock the
    account for 15 minutes. An initial or reset password not changed within 24 hours fails like a wrong
    one (AUTH-6)."""
    now = now or utcnow()
    tried = "".join(ch for ch in username[:64] if ch.isprintable())
    if tried != username[:64]:
        username = ""  # a control character (a NUL: PostgreSQL refuses it in text) names nobody
    with db.transaction(readonly=True) as session:
        user = session.scalar(select(User).where(User.username == username)) if username else None
        found = (user.id, user.password_hash, user.active, user.locked_until, user.role) if user else None
    if found is None:
        verify_password(_DUMMY_HASH, password)
        with db.transaction() as session:
            record_event(session, tried or "-", _UNKNOWN_ROLE, "login_failure", detail="unknown_user",
                         source_ip=source_ip)
        return None
    user_id, password_hash, active, locked_until, role = found
    right = verify_password(password_hash, password)  # always computed: no shortcut for locked accounts
    with db.transaction() as session:
        if locked_until is not None and locked_until > now:
            # locked: not counted again, the lock runs its course
            record_event(session, tried, role, "login_failure", object_ref=f"user:{tried}", detail="locked",
                         source_ip=source_ip)
            return None
        if not (right and active):
            if not active:
                record_event(session, tried, role, "login_failure", object_ref=f"user:{tried}", detail="disabled",
                             source_ip=source_ip)
                return None
            _fail(session, user_id, tried, role, now, source_ip, "password")
            return None
        user = session.get(User, user_id)
        if user.locked_until is not None and user.locked_until > now:
            record_event(session, tried, role, "login_failure", object_ref=f"user:{tried}", detail="locked",
                         source_ip=source_ip)
            return None  # locked by concurrent failures while the hash was being checked
        if initial_password_expired(user.must_change_password, user.password_changed_at, now):
            record_event(session, tried, role, "login_failure", object_ref=f"user:{tried}",
                         detail="initial_password_expired", source_ip=source_ip)
            return None
        if not user.session_nonce:  # accounts created before session nonces existed
            rotate_session_nonce(user)
        if user.totp_secret_sealed:
            session.flush()
            return SessionStart(user.id, user.session_nonce, second_factor=True)
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        session.flush()
        record_event(session, tried, role, "login_success", object_ref=f"user:{tried}", detail="password",
                     source_ip=source_ip)
        return SessionStart(user.id, user.session_nonce)


def second_step(db: Database, pending: SessionStart, code: str, cipher: FieldCipher, now: datetime | None = None, *,
                source_ip: str | None = None) -> SessionStart | None:
    """The code step of a two-step login: a TOTP code of a step not used before, or an unused recovery code.
    A wrong code counts as a failed login (lockout); a logout, password change or reset since the
    password step (another nonce) voids the pending login."""
    from hotline.accounts.totp import check_code

    now = now or utcnow()
    with db.transaction() as session:
        user = session.get(User, pending.user_id)
        if user is None or not user.active or user.session_nonce != pending.session_nonce \
                or not user.totp_secret_sealed:
            return None
        username, role = user.username, user.role
        if user.locked_until is not None and user.locked_until > now:
            record_event(session, username, role, "login_failure", object_ref=f"user:{username}", detail="locked",
                         source_ip=source_ip)
            return None
        checked = check_code(session, user, code[:64], cipher, now)
        if checked.how is None:
            _fail(session, user.id, username, role, now, source_ip, "second_factor")
            return None
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_logins=0, locked_until=None, last_login_at=now))
        record_event(session, username, role, "login_success", object_ref=f"user:{username}",
                     detail=checked.how, source_ip=source_ip)
        if checked.how == "recovery_code":
            record_event(session, username, role, "recovery_code_used", object_ref=f"user:{username}",
                         detail=f"left={checked.recovery_codes_left}", source_ip=source_ip)
        return SessionStart(user.id, pending.session_nonce)


def record_logout(session: Session, user: User, source_ip: str | None) -> None:
    """Logout: every session of the person ends (new nonce), with its audit row."""
    rotate_session_nonce(user)
    record_event(session, user.username, user.role, "logout", object_ref=f"user:{user.username}"[:64],
                 source_ip=source_ip)
