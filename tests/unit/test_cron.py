"""Cron slots are computed in the schedule's timezone."""

from __future__ import annotations

from datetime import UTC, datetime

from syncplane.server.engine.cron import next_after, valid_cron, valid_timezone


def test_local_time_holds_across_daylight_saving() -> None:
    before = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 3, 28, 12, tzinfo=UTC))
    after = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert before == datetime(2026, 3, 29, 7, tzinfo=UTC)  # CEST: UTC+2
    assert after == datetime(2026, 3, 30, 7, tzinfo=UTC)
    winter = next_after("0 9 * * *", "Europe/Amsterdam", datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert winter == datetime(2026, 1, 11, 8, tzinfo=UTC)  # CET: UTC+1


def test_next_is_strictly_after_and_seconds_field_works() -> None:
    at = datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)
    assert next_after("* * * * * */2", "UTC", at) == datetime(2026, 1, 1, 0, 0, 4, tzinfo=UTC)


def test_validation() -> None:
    assert valid_cron("*/5 * * * *") and valid_cron("*/2 * * * * *")
    assert not valid_cron("61 * * * *") and not valid_cron("* *") and not valid_cron("")
    assert valid_timezone("Europe/Amsterdam") and not valid_timezone("Mars/Olympus")
