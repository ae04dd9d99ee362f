"""People who log in, API tokens for integrations (telephony platform, scripts), and the audit trail."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.directory.models import AgencyUnit
from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow

if TYPE_CHECKING:
    from hotline.children.models import Place


class Role(StrEnum):
    OPERATOR = "operator"  # 话务员
    DISPATCHER = "dispatcher"  # 民政 调度
    AGENCY_STAFF = "agency_staff"  # 承办单位
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    CHILD_SUPERVISOR = "child_supervisor"  # 儿童督导员: a township
    CHILD_DIRECTOR = "child_director"  # 儿童主任: one or more villages
    AUDITOR = "auditor"  # 审计员: reads the audit trail, nothing else (等保 三员分立)


ROLE_NAMES_ZH = {
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "调度员",
    Role.AGENCY_STAFF: "承办单位人员",
    Role.SUPERVISOR: "督导",
    Role.ADMIN: "系统管理员",
    Role.CHILD_SUPERVISOR: "儿童督导员",
    Role.CHILD_DIRECTOR: "儿童主任",
    Role.AUDITOR: "审计员",
}
#: the roles below county level, whose scope is a set of places (township or villages), not a unit
PLACE_ROLES = frozenset({Role.CHILD_SUPERVISOR, Role.CHILD_DIRECTOR})
#: the roles that work on tickets, leads and children; a view that names no roles is open to these only, so
#: the auditor — who reads the audit trail and nothing else — is refused by default
CASEWORK_ROLES = frozenset(Role) - {Role.AUDITOR}
#: a person's own pages (start page, notification inbox), whatever their role
EVERY_ROLE = frozenset(Role)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: rotated at logout and password change: a session cookie carrying an old nonce is dead (SESS-4)
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    #: consecutive failed logins; 5 lock the account for 15 minutes (AUTH-3)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: an initial or admin-reset password: the person must change it at first login, and it expires 24 h
    #: after it was set (AUTH-6)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: TOTP second factor (AUTH-5): the base32 secret sealed with the runtime's field cipher (the ``_sealed``
    #: suffix is how key rotation finds it); None until enrolled
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    #: the last accepted TOTP time step: a code of this step or an older one is refused (single use)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[AgencyUnit | None] = relationship(lazy="joined")
    #: 儿童主任: their villages; 儿童督导员: their township (hotline.children.models.user_places)
    places: Mapped[list[Place]] = relationship(secondary="user_places", lazy="selectin")


class PasswordHistory(Base):
    """A user's previous password hashes: the last five may not be used again (AUTH-2)."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """A one-time TOTP recovery code, stored only as a salted SHA-256 (the codes carry 80 random bits)."""

    __tablename__ = "totp_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set at creation (1-730 days); an expired token is refused like a revoked one
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: refreshed at most once a minute, so that reads do not all become writes
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_ip: Mapped[str | None] = mapped_column(String(64))
    #: HMAC request signing (``--signed``): the secret sealed with the runtime's field cipher; after a
    #: rotation the previous secret stays valid until ``previous_secret_valid_until``
    signing_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_signing_secret_sealed: Mapped[str | None] = mapped_column(Text)
    previous_secret_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[AgencyUnit | None] = relationship(lazy="joined")


class ApiNonce(Base):
    """A signed request's nonce, refused if seen again; kept twice the timestamp window, then purged."""

    __tablename__ = "api_nonces"
    __table_args__ = (UniqueConstraint("token_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(96))
    actor_role: Mapped[str] = mapped_column(String(16))
    #: reveal | export | login ...
    event: Mapped[str] = mapped_column(String(32))
    #: e.g. "ticket:12345-20261129-00001"
    object_ref: Mapped[str | None] = mapped_column(String(64))
    #: never personal data: which fields were revealed, how many rows were exported
    detail: Mapped[str | None] = mapped_column(Text)
    #: why the data was viewed: the basis (taker, lead unit) or the reason a person gave for a reveal
    reason: Mapped[str | None] = mapped_column(String(200))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    #: ok | denied (refused: wrong password, no right) | failed (an error)
    outcome: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")
    #: HMAC-SHA256 (hex) of the previous row's chain and this row's content (hotline.accounts.audit);
    #: NULL only for rows written before the chain existed (migration 0012)
    chain: Mapped[str | None] = mapped_column(String(64))


# User.places names the children package's tables: they must be mapped wherever users are loaded
import hotline.children.models  # noqa: E402, F401
