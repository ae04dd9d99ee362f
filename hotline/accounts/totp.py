"""The TOTP second factor (RFC 6238, 30-second steps, 6 digits; pyotp) and one-time recovery codes (AUTH-5).

A code is single-use: the last accepted time step is stored, and a code of that step or an older one is
refused, by one conditional UPDATE, so two requests racing with the same code cannot both win. The secret
is sealed at rest with the runtime's field cipher (``users.totp_secret_sealed``). Ten recovery codes are
shown once at enrolment; only a salted SHA-256 of each is stored (each carries 80 random bits, so a fast
hash is enough), and each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.models import RecoveryCode, Role, User
from hotline.crypto import FieldCipher
from hotline.errors import InputError
from hotline.timeutil import utcnow

#: roles that must enrol a second factor before any other page (等保 8.1.4.1 d); optional for the others
TOTP_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})
ISSUER = "12345儿童关爱热线"
STEP_SECONDS = 30
#: accept the previous and the next step too (clock drift of the phone), never a step already used
VALID_WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def totp_required(role: str) -> bool:
    return Role(role) in TOTP_REQUIRED_ROLES


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app imports (typed in, or as a QR code made locally)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code``, newest first; None if none matches."""
    totp, step = pyotp.TOTP(secret), _step(now)
    for candidate in range(step + VALID_WINDOW, step - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def _digits(code: str) -> str:
    return "".join(code.split())


def _normalise_recovery(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _hash_recovery(code: str, salt: str) -> str:
    return f"{salt}${hashlib.sha256((salt + _normalise_recovery(code)).encode('ascii', 'ignore')).hexdigest()}"


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))  # 16 x 5 bits = 80 bits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def enrol(session: Session, user: User, secret: str, code: str, cipher: FieldCipher,
          now: datetime | None = None) -> list[str]:
    """Store the second factor once the person proved their app has it (a valid code); returns the ten
    recovery codes, which are shown once and stored only hashed."""
    now = now or utcnow()
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise InputError("验证码不正确，请核对手机时间后输入身份验证器中当前的 6 位数字", code="bad_totp_code")
    user.totp_secret_sealed = cipher.seal(secret)
    user.totp_last_step = step
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c, secrets.token_hex(8))) for c in codes)
    session.flush()
    return codes


def reset(session: Session, user: User) -> None:
    """Remove the second factor and its recovery codes (a lost phone); the person enrols again."""
    user.totp_secret_sealed = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


@dataclass(frozen=True)
class CodeCheck:
    """The result of a second-factor check: ``how`` is "totp" or "recovery_code"; None when refused."""

    how: str | None
    recovery_codes_left: int | None = None


def check_code(session: Session, user: User, code: str, cipher: FieldCipher, now: datetime | None = None) -> CodeCheck:
    """Accept a current TOTP code not used before, or an unused recovery code (then spent)."""
    now = now or utcnow()
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        secret = cipher.open(user.totp_secret_sealed)
        step = _matching_step(secret, digits, now) if secret else None
        if step is None:
            return CodeCheck(None)
        won = session.execute(
            update(User).where(User.id == user.id,
                               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step).execution_options(synchronize_session=False)
        ).rowcount
        return CodeCheck("totp" if won == 1 else None)
    wanted = _normalise_recovery(code)
    if len(wanted) != 16:
        return CodeCheck(None)
    unused = session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                        RecoveryCode.used_at.is_(None))).all()
    for row in unused:
        salt = row.code_hash.split("$", 1)[0]
        if hmac.compare_digest(_hash_recovery(wanted, salt), row.code_hash):
            spent = session.execute(update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                                    .values(used_at=now).execution_options(synchronize_session=False)).rowcount
            return CodeCheck("recovery_code", len(unused) - 1) if spent == 1 else CodeCheck(None)
    return CodeCheck(None)


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                              RecoveryCode.used_at.is_(None))).all())


def enrol_second_factor(session: Session, actor: Actor, secret: str | None, code: str, cipher: FieldCipher,
                        source_ip: str | None) -> list[str]:
    """A person binds their authenticator (the secret shown to them, carried sealed in their session until
    now): the ten recovery codes, with the audit row ``2fa_enrol``."""
    if not secret:
        raise InputError("绑定已超时，请重新打开此页面", code="totp_enrolment_expired")
    user = session.get(User, actor.id)
    if user is None:
        raise InputError("账号不存在", code="unknown_user")
    if user.totp_secret_sealed:
        raise InputError("已绑定身份验证器；如需更换，请联系管理员重置", code="totp_already_enrolled")
    codes = enrol(session, user, secret, code, cipher)
    record_audit(session, actor, "2fa_enrol", f"user:{user.username}"[:64], None, source_ip)
    return codes
