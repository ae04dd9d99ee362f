"""Working days with 调休 and the deadline policy, across 2026's Spring Festival and National Day."""

from datetime import date, datetime, time
from pathlib import Path

import pytest

from hotline.config import DATA_DIR
from hotline.tickets.deadlines import DeadlinePolicy, Duration, PolicyError
from hotline.tickets.workcalendar import CalendarError, WorkCalendar
from hotline.timeutil import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar(DATA_DIR / "holidays.yaml")


@pytest.fixture
def policy(calendar) -> DeadlinePolicy:
    return DeadlinePolicy.from_file(DATA_DIR / "sla_policy.yaml", calendar)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-13", True),  # Friday before the Spring Festival
        ("2026-02-14", True),  # Saturday, 调休 make-up working day
        ("2026-02-16", False),  # Monday, Spring Festival
        ("2026-02-23", False),  # Monday, last day of the holiday
        ("2026-02-24", True),
        ("2026-02-28", True),  # Saturday, make-up day
        ("2026-03-01", False),  # ordinary Sunday
        ("2026-09-20", True),  # Sunday, National Day make-up day
        ("2026-10-01", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, make-up day
    ],
)
def test_official_2026_calendar(calendar, day, working):
    assert calendar.is_workday(date.fromisoformat(day)) is working


def test_spring_festival_normal_complaint(policy):
    d = policy.for_dispatch(at("2026-02-13T10:00:00+08:00"), "normal", "complaint")
    assert d.sign == at("2026-02-14T10:00:00+08:00")  # the make-up Saturday counts
    # 5 working days: 2-14, 2-24, 2-25, 2-26, 2-27
    assert d.resolve == at("2026-02-27T10:00:00+08:00")
    assert d.first_feedback is None


def test_dispatched_during_the_holiday_starts_on_the_next_working_morning(policy):
    d = policy.for_dispatch(at("2026-02-18T15:00:00+08:00"), "normal", "consult")
    assert d.sign == at("2026-02-25T08:30:00+08:00")
    assert d.resolve == at("2026-02-26T08:30:00+08:00")


def test_national_day(policy):
    d = policy.for_dispatch(at("2026-09-30T16:00:00+08:00"), "normal", "help")
    assert d.sign == at("2026-10-08T16:00:00+08:00")
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13
    assert d.resolve == at("2026-10-13T16:00:00+08:00")
    urgent = policy.for_dispatch(at("2026-09-30T16:00:00+08:00"), "urgent", "help")
    assert urgent.sign == at("2026-09-30T18:00:00+08:00")  # 2 clock hours
    assert urgent.first_feedback == at("2026-10-08T16:00:00+08:00")


def test_emergency_runs_on_the_clock_through_holidays(policy):
    d = policy.for_dispatch(at("2026-10-01T22:00:00+08:00"), "emergency", "report")
    assert d.sign == at("2026-10-01T22:30:00+08:00")
    assert d.first_feedback == at("2026-10-02T00:00:00+08:00")
    assert d.resolve == at("2026-10-02T22:00:00+08:00")


@pytest.mark.parametrize(
    ("kind", "days"), [("consult", 2), ("help", 5), ("report", 5), ("suggestion", 10), ("praise", 10)]
)
def test_normal_resolve_days_by_kind(policy, calendar, kind, days):
    start = at("2026-06-01T09:00:00+08:00")
    assert policy.for_dispatch(start, "normal", kind).resolve == calendar.add_working_days(start, days, time(8, 30))


def test_callback_extension_and_return_window(policy):
    resolved = at("2026-09-30T11:00:00+08:00")
    assert policy.callback_due(resolved) == at("2026-10-09T11:00:00+08:00")
    assert policy.extend(at("2026-02-13T10:00:00+08:00"), 2) == at("2026-02-24T10:00:00+08:00")
    with pytest.raises(PolicyError):
        policy.extend(resolved, 6)
    d = policy.for_dispatch(at("2026-02-13T10:00:00+08:00"), "normal", "help")
    assert d.return_by == at("2026-02-14T10:00:00+08:00")


def test_utc_input_is_converted(policy):
    d = policy.for_dispatch(at("2026-06-01T01:00:00+00:00"), "normal", "consult")
    assert d.as_contract()["sign"] == "2026-06-02T09:00:00+08:00"


def test_unknown_year_falls_back_to_weekends_and_warns(calendar, caplog):
    assert calendar.is_workday(date(2027, 1, 4)) is True  # a Monday
    assert calendar.is_workday(date(2027, 1, 9)) is False  # a Saturday
    assert calendar.missing_years == {2027}
    assert "2027" in caplog.text


def test_holiday_file_supplies_a_year(tmp_path: Path):
    path = tmp_path / "h.yaml"
    path.write_text("years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-01-09]\n", encoding="utf-8")
    cal = WorkCalendar(path)
    assert cal.is_workday(date(2027, 1, 1)) is False  # a Friday made a holiday
    assert cal.is_workday(date(2027, 1, 9)) is True  # a Saturday made a working day
    assert cal.missing_years == set()
    start = datetime(2026, 12, 31, 10, tzinfo=SHANGHAI)
    assert cal.add_working_days(start, 1, time(8, 30)) == datetime(2027, 1, 4, 10, tzinfo=SHANGHAI)


def test_bad_holiday_file_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "h.yaml"
    path.write_text("years:\n  2027:\n    holidays: [2028-01-01]\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="another year"):
        WorkCalendar(path)


@pytest.mark.parametrize("raw", ["30", "2d", "-1h", "wd", ""])
def test_bad_durations(raw):
    with pytest.raises(PolicyError):
        Duration.parse(raw)


def test_policy_without_a_rule_refuses(calendar):
    policy = DeadlinePolicy(
        {
            "callback": "2wd",
            "return_window": "1wd",
            "extension_max_days": 5,
            "urgency": {"urgent": {"sign": "2h", "resolve": "2wd"}},
        },
        calendar,
    )
    with pytest.raises(PolicyError):
        policy.for_dispatch(at("2026-06-01T09:00:00+08:00"), "normal", "help")


def test_naive_start_is_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(datetime(2026, 6, 1, 9), 1, time(8, 30))
