"""Masking of personal data for roles and views that do not need it (姓名 张*, 138****1234)."""

from __future__ import annotations

import re

from hotline.accounts.models import Role

#: roles that handle the matter and see personal data on a ticket page (lists are always masked)
UNMASKED_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.AGENCY_STAFF, Role.ADMIN})
_VILLAGE = re.compile(r"^.*?(村|社区|小区)")
_TOWN = re.compile(r"^.*?(街道|镇|乡)")


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:] if len(digits) > 7 else digits[:3] + "****"
    return "*" * len(digits)


def mask_address(address: str | None) -> str | None:
    """Keep the address down to the village / community, drop house numbers."""
    if not address:
        return address
    match = _VILLAGE.match(address) or _TOWN.match(address)
    return (match.group(0) if match else address[:6]) + "***"


def audit(session, actor, event: str, object_ref: str | None, detail: str | None, source_ip: str | None) -> None:  # noqa: ANN001
    """One audit row (committed with the request): never personal data in ``detail``."""
    from hotline.accounts.models import AuditEntry

    session.add(AuditEntry(actor=actor.label, actor_role=actor.role.value, event=event,
                           object_ref=object_ref, detail=detail, source_ip=source_ip))
    session.flush()


def sees_personal_data(actor, ticket) -> bool:  # noqa: ANN001
    """Who needs a caller's and child's details on the ticket page without asking: the operator on
    the call and the lead unit handling it. Everyone else sees them masked, with an audited reveal."""
    if actor.role is Role.OPERATOR:
        return True
    return actor.role is Role.AGENCY_STAFF and ticket.lead_unit_id == actor.unit_id
