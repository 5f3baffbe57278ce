"""Cron slots are computed in the schedule's timezone."""

from __future__ import annotations

from datetime import datetime, timezone

from server.engine.cron import next_after, valid_cron, valid_timezone


def test_local_time_holds_across_daylight_saving() -> None:
    before = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 3, 28, 12, tzinfo=timezone.utc))
    after = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 3, 29, 12, tzinfo=timezone.utc))
    assert before == datetime(2026, 3, 29, 7, tzinfo=timezone.utc)  # CEST: UTC+2
    assert after == datetime(2026, 3, 30, 7, tzinfo=timezone.utc)
    winter = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 1, 10, 12, tzinfo=timezone.utc))
    assert winter == datetime(2026, 1, 11, 8, tzinfo=timezone.utc)  # CET: UTC+1


def test_next_is_strictly_after_and_seconds_field_works() -> None:
    at = datetime(2026, 1, 1, 0, 0, 2, tzinfo=timezone.utc)
    assert next_after("* * * * * */2", "UTC", at) == datetime(2026, 1, 1, 0, 0, 4, tzinfo=timezone.utc)


def test_validation() -> None:
    assert valid_cron("*/5 * * * *") and valid_cron("*/2 * * * * *")
    assert not valid_cron("61 * * * *") and not valid_cron("* *") and not valid_cron("")
    assert valid_timezone("Europe/Amsterdam") and not valid_timezone("Mars/Olympus")
