"""The audit trail of sensitive reads and writes (unmasked views, reveals, exports): who, when, what,
on what basis, from where; never the personal data itself. Rows are written in the request's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.models import AuditEntry


def record_audit(
    session: Session,
    actor: Actor,
    event: str,
    object_ref: str | None,
    detail: str | None,
    source_ip: str | None,
    *,
    reason: str | None = None,
) -> None:
    record_event(session, actor.label, actor.role.value, event, object_ref=object_ref, detail=detail,
                 source_ip=source_ip, reason=reason)


def record_event(
    session: Session,
    actor_label: str,
    actor_role: str,
    event: str,
    *,
    object_ref: str | None = None,
    detail: str | None = None,
    source_ip: str | None = None,
    reason: str | None = None,
) -> None:
    """An audit row for someone who is not (yet) an actor: a login attempt names the username it tried."""
    session.add(AuditEntry(actor=actor_label[:96], actor_role=actor_role[:16], event=event, object_ref=object_ref,
                           detail=detail, source_ip=source_ip, reason=(reason or None) and reason[:200]))
    session.flush()
