"""The pure transition table: every allowed transition, and refusal of everything else."""

import pytest

from hotline.tickets import lifecycle
from hotline.tickets.lifecycle import FLAG_ACTIONS, TRANSITIONS, TicketStatus, TransitionRefused, next_status

S = TicketStatus

EXPECTED = {
    (S.RECEIVED, "triage"): S.TRIAGED,
    (S.TRIAGED, "triage"): S.TRIAGED,
    (S.TRIAGED, "answer"): S.ANSWERED,
    (S.ANSWERED, "close"): S.CLOSED,
    (S.ANSWERED, "callback"): S.CLOSED,
    (S.TRIAGED, "dispatch"): S.DISPATCHED,
    (S.RETURNED, "dispatch"): S.DISPATCHED,
    (S.REOPENED, "dispatch"): S.DISPATCHED,
    (S.DISPATCHED, "sign"): S.ACCEPTED,
    (S.ACCEPTED, "progress"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "progress"): S.IN_PROGRESS,
    (S.DISPATCHED, "return"): S.RETURNED,
    (S.ACCEPTED, "return"): S.RETURNED,
    (S.IN_PROGRESS, "return"): S.RETURNED,
    (S.ACCEPTED, "resolve"): S.RESOLVED,
    (S.IN_PROGRESS, "resolve"): S.RESOLVED,
    (S.RESOLVED, "callback"): S.CLOSED,
}


def test_table_is_exactly_the_designed_lifecycle():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("state", "action"), sorted(EXPECTED))
def test_each_transition(state, action):
    assert next_status(state, action) is EXPECTED[(state, action)]


ALL_PAIRS = [(s, a) for s in S for a in sorted(lifecycle.ACTIONS)]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS)
def test_everything_else_is_refused_with_a_chinese_message(state, action):
    allowed = (state, action) in EXPECTED or (action in FLAG_ACTIONS and state in FLAG_ACTIONS[action])
    if allowed:
        next_status(state, action)
        return
    with pytest.raises(TransitionRefused) as info:
        next_status(state, action)
    assert lifecycle.STATUS_NAMES_ZH[state] in str(info.value)
    assert "不能执行" in str(info.value)


def test_unsatisfied_callback_reopens_instead_of_closing():
    assert next_status(S.RESOLVED, "callback", satisfaction="unsatisfied") is S.REOPENED
    assert next_status(S.RESOLVED, "callback", satisfaction="basically_satisfied") is S.CLOSED


@pytest.mark.parametrize("action", sorted(FLAG_ACTIONS))
def test_flags_never_change_the_status(action):
    for state in FLAG_ACTIONS[action]:
        assert next_status(state, action) is state


def test_closed_is_final():
    assert lifecycle.allowed_actions(S.CLOSED) == set()


def test_allowed_actions_lists_buttons_for_a_dispatched_ticket():
    assert set(lifecycle.allowed_actions(S.DISPATCHED)) == {"sign", "return", "supervise", "merge", "notify_police", "co_input"}


def test_unknown_status_is_rejected():
    with pytest.raises(ValueError):
        next_status("lost", "sign")
