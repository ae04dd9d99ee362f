"""Actions declared once. An action is a name, a Chinese title, the roles that may take it, the rule for
agency staff (lead unit or co-unit), a precondition on the object, its payload fields and its handler.
The console's buttons and forms, the parsing of form and JSON payloads and the OpenAPI document are all
derived from the declaration; nothing about an action is written anywhere else.

Tickets declare theirs in ``hotline.tickets.actions``; verification leads and visit tasks will declare
their own registries the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from hotline.accounts.actor import Actor
from hotline.accounts.models import Role
from hotline.errors import Forbidden, HotlineError, InputError, NotFound
from hotline.inputs import Field, Integer, Source, Spec

Subject = TypeVar("Subject")
Context = TypeVar("Context")

#: every action may carry the version it was shown, for optimistic locking
VERSION = Integer(name="version", label="版本", minimum=0, maximum=10**9,
                  help="打开页面时的版本号；已被他人修改时返回 409")


class UnitRule(StrEnum):
    """Which agency staff may take the action (other roles are governed by ``roles`` alone)."""

    LEAD = "lead"  # staff of the lead unit (主办)
    CO = "co"  # staff of a co-unit (协办)


@dataclass(frozen=True)
class Action(Generic[Subject, Context]):
    name: str
    title: str
    roles: frozenset[Role]
    #: what the action does to the subject; returns the note for the timeline
    handler: Callable[[Context], str | None]
    fields: tuple[Field, ...] = ()
    unit_rule: UnitRule = UnitRule.LEAD
    #: raises a HotlineError when the subject's state forbids the action for this actor (besides the
    #: lifecycle table); the console hides the button then
    precondition: Callable[[Subject, Actor], None] | None = None
    #: a short description for the API documentation
    summary: str = ""
    #: "danger" for actions the console shows in red
    style: str = "primary"

    @property
    def spec(self) -> Spec:
        return Spec((*self.fields, VERSION))

    def parse(self, data: Mapping[str, Any], source: Source) -> dict[str, Any]:
        return self.spec.parse(data, source=source)

    def require(self, payload: Mapping[str, Any]) -> None:
        """The required fields are there, whoever built the payload (a parsed request or another service)."""
        for f in self.fields:
            if f.required and payload.get(f.name) is None:
                raise InputError(f"请填写{f.label}（{f.name}）", code=f.code or "missing_field", details={"field": f.name})

    def visible_fields(self, subject: Subject) -> list[Field]:
        return [f for f in self.fields if f.shown(subject)]


UnitCheck = Callable[[Subject, Actor, UnitRule], bool]


class Registry(Generic[Subject, Context]):
    """The actions of one kind of object, with the checks every caller applies the same way."""

    def __init__(self, actions: Iterable[Action[Subject, Context]], *, unit_check: UnitCheck) -> None:
        self._actions = {a.name: a for a in actions}
        self._unit_check = unit_check

    def __iter__(self) -> Iterator[Action[Subject, Context]]:
        return iter(self._actions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def names(self) -> list[str]:
        return list(self._actions)

    def get(self, name: str) -> Action[Subject, Context]:
        action = self._actions.get(name)
        if action is None:
            raise NotFound(f"未知操作“{name[:40]}”", code="unknown_action")
        return action

    def authorize(self, action: Action[Subject, Context], subject: Subject, actor: Actor) -> None:
        """Role, unit and precondition checks; raises Forbidden / Conflict / InputError."""
        if actor.role not in action.roles:
            raise Forbidden(f"当前角色不能执行“{action.title}”", code="role_not_allowed")
        if actor.role is Role.AGENCY_STAFF and not self._unit_check(subject, actor, action.unit_rule):
            message = "协办意见由协办单位填写" if action.unit_rule is UnitRule.CO else "只有主办单位可以执行此操作"
            raise Forbidden(message, code="not_lead_unit")
        if action.precondition is not None:
            action.precondition(subject, actor)

    def available(self, names: Iterable[str], subject: Subject, actor: Actor) -> list[Action[Subject, Context]]:
        """Of ``names`` (what the lifecycle allows now), the actions this actor may take, in declaration
        order: the buttons."""
        allowed = set(names)
        out = []
        for action in self:
            if action.name not in allowed:
                continue
            try:
                self.authorize(action, subject, actor)
            except HotlineError:
                continue
            out.append(action)
        return out
