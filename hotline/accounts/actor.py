"""Who performs an action: a logged-in person or an API token."""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.accounts.models import Role


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "token" | "system"
    name: str
    role: Role
    unit_id: int | None = None
    id: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How the actor is written in timelines and the audit trail: ``user:zhangsan``, ``token:telephony``."""
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "hotline", Role.ADMIN)
