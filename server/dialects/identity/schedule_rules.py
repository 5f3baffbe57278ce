"""The rules of identity schedules: enumerations, step failure settings, and the
portal's SpecificTimes / Interval patterns turned into a cron expression.

Pure functions (no database), unit-tested on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncplane.server.dialects.identity.rules import Rules

TRIGGER_TYPES = ("Manual", "Cron")
ON_STEP_FAILURE = ("Stop", "Continue")
STEP_ON_FAILURE = ("FollowSchedule", "Stop", "Continue")
STEP_TYPES = ("RunProfile", "PowerShell", "Executable", "SqlScript")
RUNNABLE_STEP_TYPE = "RunProfile"
EXECUTION_MODES = ("Sequential", "ParallelWithPrevious")
PATTERN_TYPES = ("SpecificTimes", "Interval", "Custom")
INTERVAL_UNITS = ("Minutes", "Hours")

NAME_MAX = 200
DESCRIPTION_MAX = 1000
CRON_MAX = 100
CHANGE_REASON_MAX = 2000
STEP_INDEX_MAX = 1000
TIMEOUT_MAX = 86_400
INTERVAL_MAX = 59

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

#: The engine's failure settings, by the dialect's names.
ENGINE_SETTING = {"Stop": "stop", "Continue": "continue", "FollowSchedule": "inherit"}


@dataclass(frozen=True)
class Pattern:
    pattern_type: str | None
    days_of_week: str | None
    run_times: str | None
    interval_value: int | None
    interval_unit: str | None
    window_start: str | None
    window_end: str | None


def _days(rules: Rules, value: str | None) -> str:
    """"1,2,3,4,5" (0 = Sunday) as a cron day-of-week field; none given = every day."""
    if value is None or not value.strip():
        return "*"
    days = [d.strip() for d in value.split(",")]
    if not all(d.isascii() and d.isdigit() and len(d) == 1 and int(d) <= 6 for d in days):
        rules.add("daysOfWeek", "The field DaysOfWeek must be a comma-separated list of days 0 (Sunday) to 6.",
                  "pattern")
        return "*"
    return ",".join(str(d) for d in sorted({int(d) for d in days}))


def _time(rules: Rules, field: str, value: str) -> tuple[int, int] | None:
    match = _TIME.match(value.strip())
    if match is None:
        rules.add(field, f"The field {field[:1].upper() + field[1:]} must be a time HH:mm.", "pattern")
        return None
    return int(match.group(1)), int(match.group(2))


def pattern_cron(rules: Rules, pattern: Pattern) -> str | None:
    """The cron a SpecificTimes or Interval pattern stands for (None for Custom or no pattern).

    SpecificTimes: `m h1,h2 * * days` (the times must share one minute, as the
    reference's module requires). Interval: `*/n * * * days` (minutes) or
    `0 */n * * days` (hours); a window start/end limits the hours (an
    extension: the reference keeps the window but does not evaluate it)."""
    kind = pattern.pattern_type
    if kind is None or kind == "Custom":
        return None
    days = _days(rules, pattern.days_of_week)
    if kind == "SpecificTimes":
        if not pattern.run_times or not pattern.run_times.strip():
            rules.add("runTimes", "The RunTimes field is required.", "missing")
            return None
        times = [_time(rules, "runTimes", t) for t in pattern.run_times.split(",")]
        if any(t is None for t in times):
            return None
        minutes = {t[1] for t in times if t is not None}
        if len(minutes) != 1:
            rules.add("runTimes", "Every run time must share one minute (for example 06:00,18:00).", "pattern")
            return None
        hours = ",".join(str(h) for h in sorted({t[0] for t in times if t is not None}))
        return f"{minutes.pop()} {hours} * * {days}"
    # Interval
    ok = True
    if pattern.interval_value is None:
        rules.add("intervalValue", "The IntervalValue field is required.", "missing")
        ok = False
    else:
        rules.int_range("intervalValue", pattern.interval_value, 1, INTERVAL_MAX)
        ok = 1 <= pattern.interval_value <= INTERVAL_MAX
    unit = pattern.interval_unit
    if unit is None:
        rules.add("intervalUnit", "The IntervalUnit field is required.", "missing")
        ok = False
    elif not rules.choice("intervalUnit", unit, INTERVAL_UNITS):
        ok = False
    hours = "*"
    if pattern.window_start or pattern.window_end:
        start = _time(rules, "intervalWindowStart", pattern.window_start or "00:00")
        end = _time(rules, "intervalWindowEnd", pattern.window_end or "23:59")
        if start is None or end is None:
            return None
        if end[0] < start[0]:
            rules.add("intervalWindowEnd", "The interval window must end after it starts.", "out_of_range")
            return None
        hours = f"{start[0]}-{end[0]}" if end[0] != start[0] else str(start[0])
    if not ok:
        return None
    n = pattern.interval_value
    if unit == "Minutes":
        return f"*/{n} {hours} * * {days}"
    return f"0 {hours}/{n} * * {days}" if hours != "*" else f"0 */{n} * * {days}"


def step_on_failure(on_failure: str | None, continue_on_failure: bool | None, stored: str | None,
                    schedule_setting: str) -> str:
    """A step's onFailure as the reference resolves it: onFailure wins; a new
    step without it is Continue when continueOnFailure, else FollowSchedule; an
    existing step changes only when continueOnFailure contradicts its effective
    value (true → Continue, false → Stop)."""
    if on_failure is not None:
        return on_failure
    if stored is None:
        return "Continue" if continue_on_failure else "FollowSchedule"
    if continue_on_failure is None:
        return stored
    effective = schedule_setting if stored == "FollowSchedule" else stored
    if continue_on_failure != (effective == "Continue"):
        return "Continue" if continue_on_failure else "Stop"
    return stored


def effective(on_failure: str, schedule_setting: str) -> tuple[bool, str]:
    """(continueOnFailure, failureBehaviourSource) of a step."""
    if on_failure == "FollowSchedule":
        return schedule_setting == "Continue", "Schedule"
    return on_failure == "Continue", "Step"
