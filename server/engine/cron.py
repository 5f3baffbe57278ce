"""Cron arithmetic in a timezone (croniter), kept apart from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

# An expression must fire within this many years of any moment; "0 0 31 2 *" never does. It also
# bounds croniter's search, which otherwise walks up to 50 years before giving up.
MAX_YEARS_BETWEEN_FIRES = 5
MAX_EXPRESSION_CHARS = 256


def valid_cron(expression: str) -> bool:
    """Five fields, or six with seconds last, that fire at least once every few years."""
    if not isinstance(expression, str) or len(expression) > MAX_EXPRESSION_CHARS:
        return False
    if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
        return False
    return fires(expression)


def fires(expression: str, after: datetime | None = None) -> bool:
    """True when a valid `expression` has a slot within MAX_YEARS_BETWEEN_FIRES of `after` (now)."""
    start = after or datetime.now(UTC)
    try:
        croniter(expression, start, max_years_between_matches=MAX_YEARS_BETWEEN_FIRES).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        return False
    return True


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def next_after(expression: str, tz: str, after: datetime) -> datetime:
    """The first slot strictly after `after`, as an aware UTC datetime.

    Evaluated in the schedule's timezone, so "0 9 * * *" in Europe/Amsterdam
    stays at 09:00 local time across daylight-saving changes.
    """
    local = after.astimezone(ZoneInfo(tz))
    following: datetime = croniter(expression, local).get_next(datetime)
    return following.astimezone(UTC)
