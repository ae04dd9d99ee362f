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
    #: 儿童主任 / 儿童督导员: the ids of the villages or township they look after
    places: frozenset[int] = field(default=frozenset(), compare=False)

    @property
    def label(self) -> str:
        """How the actor is written in timelines and the audit trail: ``user:zhangsan``, ``token:telephony``."""
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "hotline", Role.ADMIN)
