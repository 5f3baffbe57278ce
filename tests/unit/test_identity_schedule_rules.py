"""The identity schedules' pure rules: patterns turned into cron, and step failure settings."""

from __future__ import annotations

import pytest

from syncplane.server.dialects.identity.rules import Rules
from syncplane.server.dialects.identity.schedule_rules import Pattern, effective, pattern_cron, step_on_failure
from syncplane.server.errors import InvalidArgument


def _cron(**kw: object) -> str | None:
    fields: dict[str, object] = {"pattern_type": None, "days_of_week": None, "run_times": None,
                                 "interval_value": None, "interval_unit": None, "window_start": None,
                                 "window_end": None}
    rules = Rules()
    cron = pattern_cron(rules, Pattern(**{**fields, **kw}))  # type: ignore[arg-type]
    rules.raise_if_any()
    return cron


def test_specific_times_share_one_minute_and_name_their_days() -> None:
    assert _cron(pattern_type="SpecificTimes", run_times="18:30,06:30", days_of_week="5,1,2") == "30 6,18 * * 1,2,5"
    assert _cron(pattern_type="SpecificTimes", run_times="06:00") == "0 6 * * *"
    with pytest.raises(InvalidArgument):
        _cron(pattern_type="SpecificTimes", run_times="06:00,18:15")


def test_intervals_in_minutes_or_hours_with_an_optional_window() -> None:
    assert _cron(pattern_type="Interval", interval_value=15, interval_unit="Minutes") == "*/15 * * * *"
    assert _cron(pattern_type="Interval", interval_value=2, interval_unit="Hours", days_of_week="1,2,3,4,5") \
        == "0 */2 * * 1,2,3,4,5"
    assert _cron(pattern_type="Interval", interval_value=10, interval_unit="Minutes", window_start="08:00",
                 window_end="17:00") == "*/10 8-17 * * *"
    with pytest.raises(InvalidArgument):
        _cron(pattern_type="Interval", interval_value=60, interval_unit="Minutes")
    with pytest.raises(InvalidArgument):
        _cron(pattern_type="Interval", interval_value=5, interval_unit="Days")


def test_custom_or_no_pattern_leaves_the_cron_to_the_client() -> None:
    assert _cron(pattern_type="Custom") is None and _cron() is None


def test_bad_days_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        _cron(pattern_type="SpecificTimes", run_times="06:00", days_of_week="1,9")


def test_on_failure_wins_then_continue_on_failure_then_the_stored_value() -> None:
    assert step_on_failure("Stop", True, None, "Continue") == "Stop"
    assert step_on_failure(None, True, None, "Stop") == "Continue"
    assert step_on_failure(None, None, None, "Stop") == "FollowSchedule"
    # An existing step follows the schedule (Stop): continueOnFailure=false agrees, true contradicts.
    assert step_on_failure(None, False, "FollowSchedule", "Stop") == "FollowSchedule"
    assert step_on_failure(None, True, "FollowSchedule", "Stop") == "Continue"
    assert step_on_failure(None, False, "Continue", "Stop") == "Stop"


def test_effective_setting_names_its_source() -> None:
    assert effective("FollowSchedule", "Continue") == (True, "Schedule")
    assert effective("Stop", "Continue") == (False, "Step")
