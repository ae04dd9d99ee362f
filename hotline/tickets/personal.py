"""A ticket's caller name, caller phone and address at rest: sealed with the runtime's field cipher
(:mod:`hotline.crypto`), a keyed digest of the normalised phone and address for exact lookups (重复件,
来电历史, the register's suggestions), and a masked copy for lists and exports, which therefore never
decrypt anything. A raw read of the ``tickets`` table shows ciphertext, digests and masks only.

The child's name stays plain (lookups match it together with the county, and the register matches on it);
the narrative (诉求内容) stays plain too: it is what search, triage and the bulletins read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hotline.accounts.privacy import mask_address, mask_name, mask_phone
from hotline.crypto import FieldCipher
from hotline.tickets.models import Ticket

#: shorter phones and addresses identify nobody: they get no digest (and so never match another ticket)
MIN_PHONE_DIGITS = 7
MIN_ADDRESS_CHARS = 6
_SPACE = re.compile(r"\s+")


def phone_key(phone: str | None) -> str | None:
    """The digits of a phone, without a leading +86/0086 (``138 1234-5678`` and ``+8613812345678`` match)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) > 11 and digits.startswith(("0086", "86")):
        digits = digits[4:] if digits.startswith("0086") else digits[2:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def address_key(address: str | None) -> str | None:
    """An address without any whitespace."""
    key = _SPACE.sub("", address or "")
    return key if len(key) >= MIN_ADDRESS_CHARS else None


def phone_digests(cipher: FieldCipher, phone: str | None) -> list[str]:
    """What ``Ticket.caller_phone_digest.in_(…)`` looks for (every key held, during a rotation)."""
    return cipher.digests(phone_key(phone))


def address_digests(cipher: FieldCipher, address: str | None) -> list[str]:
    return cipher.digests(address_key(address))


def seal_personal_data(ticket: Ticket, cipher: FieldCipher, *, caller_name: str | None, caller_phone: str | None,
                       address: str | None) -> None:
    """Store the caller's name and phone and the address sealed, with their digests and masks."""
    caller_name, caller_phone, address = (v.strip() if v else None for v in (caller_name, caller_phone, address))
    ticket.caller_name_sealed = cipher.seal(caller_name)
    ticket.caller_name_masked = mask_name(caller_name) or None
    ticket.caller_phone_sealed = cipher.seal(caller_phone)
    ticket.caller_phone_digest = cipher.digest(phone_key(caller_phone))
    ticket.caller_phone_masked = mask_phone(caller_phone) or None
    ticket.address_sealed = cipher.seal(address)
    ticket.address_digest = cipher.digest(address_key(address))
    ticket.address_masked = (mask_address(address) or "")[:200] or None


@dataclass(frozen=True)
class OpenedPersonalData:
    caller_name: str | None = field(repr=False)
    caller_phone: str | None = field(repr=False)
    address: str | None = field(repr=False)


def open_personal_data(ticket: Ticket, cipher: FieldCipher) -> OpenedPersonalData:
    """The plain values, for someone the privacy policy shows them to (``accounts.privacy.disclose``)."""
    return OpenedPersonalData(cipher.open(ticket.caller_name_sealed), cipher.open(ticket.caller_phone_sealed),
                              cipher.open(ticket.address_sealed))


def clear_personal_data(ticket: Ticket) -> None:
    """Remove the caller's and child's personal data (the retention purge)."""
    for name in ("caller_name_sealed", "caller_name_masked", "caller_phone_sealed", "caller_phone_digest",
                 "caller_phone_masked", "address_sealed", "address_digest", "address_masked", "child_name",
                 "child_age", "child_gender"):
        setattr(ticket, name, None)
