"""Masking of personal data for roles and views that do not need it (姓名 张*, 138****1234)."""

from __future__ import annotations

import re

from hotline.models import Role

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
