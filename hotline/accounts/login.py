"""Logging a person in. The password hash (PBKDF2, about 0.2 s) is checked outside any write transaction,
so a flood of failed logins never holds the database's write lock while emergency calls wait to be
recorded; and exactly one hash is computed on every path (unknown user, locked or disabled account,
wrong or right password), so the answer time does not reveal whether an account exists.

This is a unit of work of its own, like a request: a short read, the hash, a short write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from hotline.accounts.models import User
from hotline.accounts.passwords import hash_password, verify_password
from hotline.accounts.users import rotate_session_nonce
from hotline.db import Database
from hotline.timeutil import utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_FAILED = "用户名或密码错误，或账号已被锁定"  # one message for every failure (AUTH-4)
# verified against when the username is unknown, so that every failure costs the same time
_DUMMY_HASH = hash_password("not-a-real-password-0")


@dataclass(frozen=True)
class SessionStart:
    """Who logged in: what a session cookie needs."""

    user_id: int
    session_nonce: str


def log_in(db: Database, username: str, password: str, now: datetime | None = None) -> SessionStart | None:
    """The new session's user when the password is right and the account usable, else None. Failures
    are counted in the database (shared by all workers, kept across restarts): 5 in a row lock the
    account for 15 minutes."""
    now = now or utcnow()
    with db.transaction(readonly=True) as session:
        user = session.scalar(select(User).where(User.username == username)) if username else None
        found = (user.id, user.password_hash, user.active, user.locked_until) if user else None
    if found is None:
        verify_password(_DUMMY_HASH, password)
        return None
    user_id, password_hash, active, locked_until = found
    right = verify_password(password_hash, password)  # always computed: no shortcut for locked accounts
    if locked_until is not None and locked_until > now:
        return None  # locked: not counted again, the lock runs its course
    with db.transaction() as session:
        if not (right and active):
            failures = session.execute(
                update(User).where(User.id == user_id).values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins)
            ).scalar_one()
            if failures >= MAX_FAILED_LOGINS:
                session.execute(update(User).where(User.id == user_id).values(locked_until=now + LOCKOUT,
                                                                                failed_logins=0))
            return None
        user = session.get(User, user_id)
        if user.locked_until is not None and user.locked_until > now:
            return None  # locked by concurrent failures while the hash was being checked
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        if not user.session_nonce:  # accounts created before session nonces existed
            rotate_session_nonce(user)
        session.flush()
        return SessionStart(user.id, user.session_nonce)
