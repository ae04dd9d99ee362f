"""The ticket lifecycle as a pure transition table (no database, no clock).

    received ─triage→ triaged ─answer→ answered ─callback/close→ closed
                        └─dispatch→ dispatched ─sign→ accepted ─progress→ in_progress ─resolve→ resolved
    dispatched/accepted/in_progress ─return (退单)→ returned ─dispatch→ dispatched
    resolved ─callback(满意/基本满意)→ closed;  resolved ─callback(不满意)→ reopened ─dispatch→ dispatched

Extension requests, 督办 (supervise) and 重复件 (merge) are flags recorded as events: they never
change the status, but they are only allowed in the states listed in ``FLAG_ACTIONS``.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    ANSWERED = "answered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


S = TicketStatus

STATUS_NAMES_ZH = {
    S.RECEIVED: "已受理",
    S.TRIAGED: "已分类",
    S.ANSWERED: "已直接答复",
    S.DISPATCHED: "已派单",
    S.ACCEPTED: "已签收",
    S.IN_PROGRESS: "办理中",
    S.RETURNED: "已退单",
    S.RESOLVED: "已办结",
    S.REOPENED: "已重启",
    S.CLOSED: "已归档",
}

#: (current status, action) -> next status
TRANSITIONS: dict[tuple[TicketStatus, str], TicketStatus] = {
    (S.RECEIVED, "triage"): S.TRIAGED,
    (S.TRIAGED, "triage"): S.TRIAGED,  # a person corrects the labels
    (S.TRIAGED, "answer"): S.ANSWERED,
    (S.ANSWERED, "close"): S.CLOSED,
    (S.ANSWERED, "callback"): S.CLOSED,
    (S.TRIAGED, "dispatch"): S.DISPATCHED,
    (S.RETURNED, "dispatch"): S.DISPATCHED,  # re-dispatch after 退单
    (S.REOPENED, "dispatch"): S.DISPATCHED,
    (S.DISPATCHED, "sign"): S.ACCEPTED,
    (S.ACCEPTED, "progress"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "progress"): S.IN_PROGRESS,
    (S.DISPATCHED, "return"): S.RETURNED,
    (S.ACCEPTED, "return"): S.RETURNED,
    (S.IN_PROGRESS, "return"): S.RETURNED,
    (S.ACCEPTED, "resolve"): S.RESOLVED,
    (S.IN_PROGRESS, "resolve"): S.RESOLVED,
    (S.RESOLVED, "callback"): S.CLOSED,  # satisfied; an unsatisfied callback goes to REOPENED
}

#: the callback outcome that reopens a ticket instead of closing it
UNSATISFIED = "unsatisfied"
SATISFACTION_NAMES_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", UNSATISFIED: "不满意"}

#: statuses in which a unit holds the ticket (its clocks run)
OPEN_AT_UNIT = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS})

#: flag actions -> the states they are allowed in (status unchanged)
FLAG_ACTIONS: dict[str, frozenset[TicketStatus]] = {
    "request_extension": frozenset({S.ACCEPTED, S.IN_PROGRESS}),
    "approve_extension": frozenset({S.ACCEPTED, S.IN_PROGRESS}),
    "refuse_extension": frozenset({S.ACCEPTED, S.IN_PROGRESS}),
    "supervise": OPEN_AT_UNIT | {S.RETURNED, S.RESOLVED},
    "merge": frozenset(set(S) - {S.CLOSED}),
    "notify_police": frozenset(set(S) - {S.CLOSED}),  # 强制报告, recorded with its time
    "co_input": OPEN_AT_UNIT,  # a co-unit's contribution (协办意见)
}

ACTIONS = frozenset(a for _, a in TRANSITIONS) | frozenset(FLAG_ACTIONS)


class TransitionRefused(Exception):
    """The action is not allowed in the ticket's current state."""

    def __init__(self, status: TicketStatus, action: str) -> None:
        self.status, self.action = status, action
        super().__init__(f"工单当前状态为“{STATUS_NAMES_ZH[status]}”，不能执行“{action}”")


def next_status(status: TicketStatus | str, action: str, *, satisfaction: str | None = None) -> TicketStatus:
    """The status after ``action``; raises TransitionRefused when the action is not allowed."""
    status = TicketStatus(status)
    if action in FLAG_ACTIONS:
        if status not in FLAG_ACTIONS[action]:
            raise TransitionRefused(status, action)
        return status
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise TransitionRefused(status, action)
    if status is S.RESOLVED and action == "callback" and satisfaction == UNSATISFIED:
        return S.REOPENED
    return target


def allowed_actions(status: TicketStatus | str) -> set[str]:
    """Every action the lifecycle allows in ``status`` (who may take it is the action registry's rule)."""
    status = TicketStatus(status)
    return {a for (s, a) in TRANSITIONS if s is status} | {a for a, states in FLAG_ACTIONS.items() if status in states}
