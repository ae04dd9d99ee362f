"""The privacy decision for a child's record (PIPL; 儿童个人信息网络保护规定), for pages, the API and exports.

- ID numbers, phones and street addresses are masked for everyone by default; an unmasked view is asked
  for with a reason and written to the audit trail (who, when, which child, why — never the data).
- Names: in full for the people who look after the children of a place (儿童主任, 督导员, civil-affairs
  staff of the area); masked for province-wide roles (operators, dispatchers …) until revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hotline.accounts.actor import Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.privacy import mask_address, mask_name, reveal_basis, reveal_spec
from hotline.children.models import AgencyRecord, Child, Guardian
from hotline.children.rules import GENDER_NAMES
from hotline.children.scopes import PROVINCE_WIDE
from hotline.crypto import FieldCipher

REVEAL_REASONS = {
    "visit": "入户走访联系",
    "verify": "核实情况",
    "review": "数据比对核查",
    "emergency": "紧急处置",
    "other": "其他（须说明）",
}
REVEAL_SPEC = reveal_spec(REVEAL_REASONS)


@dataclass(frozen=True)
class GuardianView:
    relation: str
    name: str = field(repr=False)
    id_number: str | None = field(repr=False)
    birth_date: Any
    phone: str | None = field(repr=False)
    status: str


@dataclass(frozen=True)
class ChildView:
    """What one viewer is shown of one child."""

    name: str = field(repr=False)
    id_number: str | None = field(repr=False)
    residence_address: str | None = field(repr=False)
    household_address: str | None = field(repr=False)
    guardians: list[GuardianView]
    masked: bool


def shows_names(actor: Actor) -> bool:
    """Whether ``actor`` sees children's names in lists (the people of the place do)."""
    return actor.role not in PROVINCE_WIDE


def view_child(actor: Actor, child: Child) -> ChildView:
    """The default, masked view (lists, suggestions, pages before a reveal)."""
    name = child.name if shows_names(actor) else mask_name(child.name)
    return ChildView(
        name=name or "", id_number=child.id_number_masked,
        residence_address=mask_address(child.residence_address), household_address=mask_address(child.household_address),
        guardians=[GuardianView(g.relation, g.name if shows_names(actor) else mask_name(g.name) or "",
                                g.id_number_masked, g.birth_date, g.phone_masked, g.status) for g in child.guardians],
        masked=True,
    )


def reveal_child(session: Session, actor: Actor, child: Child, reveal: dict[str, Any], *, cipher: FieldCipher,
                 source_ip: str | None) -> ChildView:
    """The full record, for a reason (``REVEAL_SPEC``); audited."""
    basis = reveal_basis(reveal)
    record_audit(session, actor, "reveal", f"child:{child.number}", "id_number,guardians,phones,addresses",
                 source_ip, reason=basis)
    return ChildView(
        name=child.name, id_number=cipher.open(child.id_number_sealed),
        residence_address=child.residence_address, household_address=child.household_address,
        guardians=[GuardianView(g.relation, g.name, cipher.open(g.id_number_sealed), g.birth_date,
                                cipher.open(g.phone_sealed), g.status) for g in child.guardians],
        masked=False,
    )


def view_record(actor: Actor, record: AgencyRecord) -> dict[str, Any]:
    """An agency list's row as a review shows it: the name as for children's names, the ID number and the
    address masked (a list's row is never revealed: the review works on the child's record)."""
    return {"name": record.name if shows_names(actor) else mask_name(record.name),
            "id_number": record.id_number_masked, "birth_date": record.birth_date,
            "gender": GENDER_NAMES.get(record.gender or "", ""), "county": record.county,
            "address": mask_address(record.address), "date": record.date, "row": record.row_number}


def guardian_name(actor: Actor, guardian: Guardian | None) -> str | None:
    if guardian is None:
        return None
    return guardian.name if shows_names(actor) else mask_name(guardian.name)
