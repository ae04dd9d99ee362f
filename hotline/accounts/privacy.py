"""The one privacy policy for callers' and children's personal data, for the console, the API and exports.

- Full data goes, without asking, to the staff of the ticket's lead unit (they handle the case) and, for
  ``TAKER_WINDOW`` after intake, to the person or integration that took the call.
- Everyone else sees it masked (王**, 138****1234, the address cut to the village) and may reveal it by
  giving a reason; lists and exports are always masked.
- Every unmasked view writes an audit row (who, when, which ticket, on what basis, from where), never the
  data itself. A page that reads in a read-only unit of work hands the row to ``audit_later``, which
  commits it before the page leaves (``hotline.web.units``).
- At rest the caller's name and phone and the address are sealed (:mod:`hotline.tickets.personal`): a full
  view opens them with the runtime's cipher; a masked view reads the stored masks and decrypts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.models import Role
from hotline.crypto import FieldCipher
from hotline.errors import InputError
from hotline.inputs import Choice, Spec, Text
from hotline.tickets.models import Ticket

#: how long the operator (or telephony integration) that took a call sees it in full
TAKER_WINDOW = timedelta(hours=24)
REVEAL_REASONS = {
    "callback": "回访联系来电人",
    "verify": "核实情况",
    "emergency": "紧急处置",
    "supervision": "督办核查",
    "other": "其他（须说明）",
}


def reveal_spec(reasons: dict[str, str]) -> Spec:
    """The form asking for full personal data: a reason among ``reasons`` (其他 needs a note)."""
    return Spec([
        Choice(name="reason", label="查看理由", choices=reasons, required=True),
        Text(name="note", label="说明", max_length=100),
    ])


def reveal_basis(reveal: dict) -> str:
    """What the audit row records as the basis of a reveal: ``reveal:<reason> <note>``."""
    if reveal["reason"] == "other" and not reveal.get("note"):
        raise InputError("选择“其他”时请说明查看理由", code="missing_field", details={"field": "note"})
    return f"reveal:{reveal['reason']}" + (f" {reveal['note']}" if reveal.get("note") else "")


REVEAL_SPEC = reveal_spec(REVEAL_REASONS)
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


@dataclass(frozen=True)
class PersonalData:
    """What a viewer is shown of a ticket's caller, child and address."""

    caller_name: str | None = field(repr=False)
    caller_phone: str | None = field(repr=False)
    child_name: str | None = field(repr=False)
    address: str | None = field(repr=False)
    masked: bool

    @classmethod
    def full(cls, ticket: Ticket, cipher: FieldCipher) -> PersonalData:
        return cls(cipher.open(ticket.caller_name_sealed), cipher.open(ticket.caller_phone_sealed), ticket.child_name,
                   cipher.open(ticket.address_sealed), masked=False)

    @classmethod
    def hidden(cls, ticket: Ticket) -> PersonalData:
        """The masks stored at intake: nothing is decrypted for a list, an export or a masked page."""
        return cls(ticket.caller_name_masked, ticket.caller_phone_masked, mask_name(ticket.child_name),
                   ticket.address_masked, masked=True)


def full_access_basis(actor: Actor, ticket: Ticket, now: datetime) -> str | None:
    """Why ``actor`` sees this ticket's personal data without asking ("lead_unit", "taker"), or None."""
    if actor.role is Role.AGENCY_STAFF and actor.unit_id is not None and ticket.lead_unit_id == actor.unit_id:
        return "lead_unit"
    taken = next((e for e in ticket.events if e.action == "create"), None)
    if taken is not None and taken.actor == actor.label and now - ticket.created_at <= TAKER_WINDOW:
        return "taker"
    return None


def disclose(
    session: Session,
    actor: Actor,
    ticket: Ticket,
    *,
    cipher: FieldCipher,
    now: datetime,
    source_ip: str | None,
    reveal: dict | None = None,
    audit_later: Callable[[Callable[[Session], object]], None] | None = None,
) -> PersonalData:
    """The privacy decision for one ticket, shown to one actor: full or masked; ``reveal`` (what
    ``REVEAL_SPEC`` parsed) asks for full data with a reason. Every full disclosure is audited: in
    ``session``, or by the write handed to ``audit_later`` (which must commit it before the data is
    shown; the web's ``write_after_read`` does so whether the request's unit of work reads or writes)."""
    basis = full_access_basis(actor, ticket, now)
    if basis is None and reveal is None:
        return PersonalData.hidden(ticket)
    if basis is None:
        basis, event = reveal_basis(reveal), "reveal"
    else:
        event = "view_personal_data"
    ref = f"ticket:{ticket.number}"

    def audit(writer: Session) -> None:
        record_audit(writer, actor, event, ref, "caller,child,address", source_ip, reason=basis)

    if audit_later is None:
        audit(session)
    else:
        audit_later(audit)
    return PersonalData.full(ticket, cipher)
