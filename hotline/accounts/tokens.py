"""API tokens for integrations: created once (only the SHA-256 is stored), with an expiry, checked on every
request; optionally with a signing secret (``signing.py``) for HMAC-signed requests, sealed at rest.

Checking a token is a read. Its use is written (``record_use``) only when there is something to write: the
nonce of a signed request, or ``last_used_at`` once it is more than a minute old. The audit trail gets one
``token_use`` row per token for its first use of each Beijing day and whenever the address it is used from
changes (at most once a minute): enough to answer "which integration was active when, from where" without
one audit row per call; the calls' own effects (tickets created, unmasked views) are audited where they
happen.
"""

from __future__ import annotations

import getpass
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_event
from hotline.accounts.models import CASEWORK_ROLES, ROLE_NAMES_ZH, ApiNonce, ApiToken, Role
from hotline.accounts.signing import NONCE_TTL_SECONDS
from hotline.accounts.users import check_role
from hotline.crypto import FieldCipher
from hotline.directory.units import get_unit
from hotline.errors import InputError, Unauthorized
from hotline.timeutil import SHANGHAI, local_minute, utcnow

DEFAULT_EXPIRES_DAYS = 365
MAX_EXPIRES_DAYS = 730
#: a rotated-out signing secret stays valid this long by default, so the client can switch without an outage
DEFAULT_GRACE_HOURS = 24
MAX_GRACE_HOURS = 168
#: ``last_used_at`` is refreshed at most this often
TOUCH_INTERVAL = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def cli_actor() -> str:
    """How a command-line administrator is named in the audit trail: ``cli:<operating-system account>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the row, the bearer token and, for a signed token, its signing secret (shown once)."""

    row: ApiToken
    token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)


def issue_token(
    session: Session,
    name: str,
    role: str,
    *,
    unit_code: str | None = None,
    expires_days: int = DEFAULT_EXPIRES_DAYS,
    cipher: FieldCipher | None = None,
    by: str = "cli",
    now: datetime | None = None,
) -> IssuedToken:
    """Create a token (audited); with ``cipher`` it is a signed token and gets a signing secret sealed with it."""
    parsed = check_role(role, unit_code)
    if parsed not in CASEWORK_ROLES:  # the API serves casework; the audit trail is read in the console only
        raise InputError(f"{ROLE_NAMES_ZH[parsed]}不能持有接口令牌", code="role_not_allowed")
    if not name or len(name) > 64:
        raise InputError("令牌名称须为 1-64 个字符", code="bad_name")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InputError(f"有效期须为 1-{MAX_EXPIRES_DAYS} 天", code="bad_expiry")
    now = now or utcnow()
    unit = get_unit(session, unit_code) if unit_code else None
    token = "hl_" + secrets.token_urlsafe(32)
    signing_secret = _new_secret() if cipher is not None else None
    row = ApiToken(name=name, role=parsed.value, unit=unit, token_sha256=_digest(token), created_at=now,
                   expires_at=now + timedelta(days=expires_days),
                   signing_secret_sealed=cipher.seal(signing_secret) if cipher and signing_secret else None)
    session.add(row)
    session.flush()
    detail = f"name={name};role={parsed.value};unit={unit_code or '-'};expires={local_minute(row.expires_at)}"
    record_event(session, by, Role.ADMIN.value, "token_create", object_ref=f"token:{row.id}",
                 detail=detail + (";signed" if signing_secret else ""))
    return IssuedToken(row, token, signing_secret)


def create_token(
    session: Session, name: str, role: str, *, unit_code: str | None = None, expires_days: int = DEFAULT_EXPIRES_DAYS
) -> tuple[ApiToken, str]:
    """Create an unsigned API token; returns the row and the token itself (shown once, only its hash is kept)."""
    issued = issue_token(session, name, role, unit_code=unit_code, expires_days=expires_days)
    return issued.row, issued.token


def _new_secret() -> str:
    return "hls_" + secrets.token_urlsafe(32)


def _active(session: Session, name: str, now: datetime) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(
        ApiToken.name == name, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now).order_by(ApiToken.id)))


def revoke_tokens(session: Session, name: str, now: datetime, *, by: str = "cli") -> int:
    """Revoke every active token with this name (a leaked integration secret); how many were revoked."""
    rows = list(session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))))
    if not rows:
        raise InputError(f"没有名为“{name}”的有效令牌", code="unknown_token")
    for row in rows:
        row.revoked_at = now
        record_event(session, by, Role.ADMIN.value, "token_revoke", object_ref=f"token:{row.id}", detail=f"name={name}")
    session.flush()
    return len(rows)


def rotate_secret(
    session: Session,
    name: str,
    cipher: FieldCipher,
    now: datetime,
    *,
    grace_hours: int = DEFAULT_GRACE_HOURS,
    by: str = "cli",
) -> str:
    """A new signing secret for the active signed tokens of this name (returned once). The secret it
    replaces stays valid for ``grace_hours`` (0: refused at once, e.g. after a leak)."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise InputError(f"旧密钥宽限期须为 0-{MAX_GRACE_HOURS} 小时", code="bad_grace")
    rows = [row for row in _active(session, name, now) if row.signing_secret_sealed]
    if not rows:
        raise InputError(f"没有名为“{name}”且启用了请求签名的有效令牌", code="unknown_signed_token")
    secret = _new_secret()
    for row in rows:
        row.previous_signing_secret_sealed = row.signing_secret_sealed if grace_hours else None
        row.previous_secret_valid_until = now + timedelta(hours=grace_hours) if grace_hours else None
        row.signing_secret_sealed = cipher.seal(secret)
        record_event(session, by, Role.ADMIN.value, "token_rotate_secret", object_ref=f"token:{row.id}",
                     detail=f"name={name};grace_hours={grace_hours}")
    session.flush()
    return secret


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first (names, roles, expiry and last use; never a secret)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


@dataclass(frozen=True)
class TokenCheck:
    """A valid token as one request sees it."""

    actor: Actor
    token_id: int
    #: the signing secrets a request must be signed with (one of them); empty for an unsigned token
    secrets: tuple[str, ...] = field(repr=False)
    last_used_at: datetime | None
    last_used_ip: str | None

    def touch_due(self, now: datetime) -> bool:
        """``last_used_at`` should be written now (never written, or more than a minute old)."""
        return self.last_used_at is None or now - self.last_used_at >= TOUCH_INTERVAL


def check_token(session: Session, token: str, now: datetime, cipher: FieldCipher) -> TokenCheck:
    """The token's actor and signing secrets; 401 for an unknown, revoked or expired token. Reads only."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None:
        raise Unauthorized("访问令牌无效", code="invalid_token")
    if row.revoked_at is not None:
        raise Unauthorized("访问令牌已吊销，请联系管理员重新签发", code="token_revoked")
    if row.expires_at <= now:
        raise Unauthorized(f"访问令牌已于 {local_minute(row.expires_at)}（北京时间）过期，请联系管理员重新签发",
                           code="token_expired")
    sealed = [row.signing_secret_sealed]
    if row.previous_secret_valid_until is not None and row.previous_secret_valid_until > now:
        sealed.append(row.previous_signing_secret_sealed)
    opened = tuple(secret for secret in (cipher.open(s) for s in sealed if s) if secret)
    return TokenCheck(Actor("token", row.name, Role(row.role), row.unit_id, row.id), row.id, opened,
                      row.last_used_at, row.last_used_ip)


def record_use(session: Session, check: TokenCheck, now: datetime, source_ip: str | None,
               nonce: str | None = None) -> None:
    """Remember a signed request's nonce (401 ``replayed_nonce`` if this token sent it before, inside the
    window) and refresh ``last_used_at`` once a minute, auditing the first use of the day or from a new address."""
    if nonce is not None:
        cutoff = now - timedelta(seconds=NONCE_TTL_SECONDS)
        session.execute(delete(ApiNonce).where(ApiNonce.token_id == check.token_id, ApiNonce.seen_at < cutoff)
                        .execution_options(synchronize_session=False))
        try:
            with session.begin_nested():
                session.add(ApiNonce(token_id=check.token_id, nonce=nonce, seen_at=now))
        except IntegrityError:
            raise Unauthorized("该请求已处理过（随机数 nonce 重复），请用新的 nonce 重新签名", code="replayed_nonce") from None
    if not check.touch_due(now):
        return
    touched = session.execute(
        update(ApiToken)
        .where(ApiToken.id == check.token_id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_INTERVAL))
        .values(last_used_at=now, last_used_ip=source_ip)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not touched:  # another request of this token refreshed it a moment ago
        return
    previous = check.last_used_at
    first_today = previous is None or previous.astimezone(SHANGHAI).date() != now.astimezone(SHANGHAI).date()
    if first_today or source_ip != check.last_used_ip:
        record_event(session, check.actor.label, check.actor.role.value, "token_use",
                     object_ref=f"token:{check.token_id}", source_ip=source_ip,
                     detail="first_use_today" if first_today else "new_address")
