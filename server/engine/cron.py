"""Cron arithmetic in a timezone (croniter), kept apart from the database."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter


def valid_cron(expression: str) -> bool:
    """Five fields, or six with seconds last."""
    return isinstance(expression, str) and len(expression.split()) in (5, 6) and croniter.is_valid(expression)


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
    return croniter(expression, local).get_next(datetime).astimezone(timezone.utc)
