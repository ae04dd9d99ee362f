"""API tokens for integrations: created once (only the SHA-256 is stored), checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import ApiToken, Role
from hotline.accounts.users import check_role
from hotline.directory.units import get_unit
from hotline.errors import InputError, Unauthorized


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


def revoke_tokens(session: Session, name: str, now: datetime) -> int:
    """Revoke every active token with this name (a leaked integration secret); how many were revoked."""
    rows = list(session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))))
    if not rows:
        raise InputError(f"没有名为“{name}”的有效令牌", code="unknown_token")
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def authenticate_token(session: Session, token: str) -> Actor:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("访问令牌无效或已吊销", code="invalid_token")
    return Actor("token", row.name, Role(row.role), row.unit_id, row.id)
