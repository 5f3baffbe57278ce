"""When an ended attempt is auto-resumed: a pure function of the attempt's facts.

The engine reads the facts from the run row (and whether the attempt committed
a checkpoint of its own); the decision lives here, free of the database, so
every rule has a unit test (tests/unit/test_resume_policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from syncplane.server.engine import states

#: No chain is auto-resumed past this many attempts, progress or not
#: (Airbyte's limit for attempts that moved data is 20 too).
MAX_CHAIN_ATTEMPTS = 20


@dataclass(frozen=True)
class EndedAttempt:
    """What the policy needs to know of an attempt that just ended."""

    status: str
    reason_code: str | None
    attempt_number: int
    #: The chain's budget: consecutive auto-resumes without progress (0: never resume).
    max_auto_resume_attempts: int
    #: Consecutive auto-resumes without progress that led to this attempt.
    auto_resume_count: int
    #: Whether this attempt committed a checkpoint since it began.
    progressed: bool


@dataclass(frozen=True)
class Resume:
    """The next attempt's count of auto-resumes without progress, and how long it waits."""

    auto_resume_count: int
    delay_s: float


def decide(attempt: EndedAttempt) -> Resume | None:
    """The auto-resume of `attempt`, or None when the chain ends with it.

    Only failures that say nothing about the run itself (states.RESUMABLE_REASONS)
    resume. The budget counts consecutive attempts that committed nothing: a run
    that keeps moving is not failed for having been interrupted often, only a
    stuck one is. A chain never grows past MAX_CHAIN_ATTEMPTS, so progress
    cannot loop forever."""
    if attempt.status != states.FAILED or attempt.reason_code not in states.RESUMABLE_REASONS:
        return None
    if attempt.max_auto_resume_attempts <= 0 or attempt.attempt_number >= MAX_CHAIN_ATTEMPTS:
        return None
    resumes = 0 if attempt.progressed else attempt.auto_resume_count + 1
    if resumes > attempt.max_auto_resume_attempts:
        return None
    delay = 0.0
    if attempt.reason_code.endswith("_unavailable"):
        # A database that is restarting needs a moment: 1, 2, 4 s...
        delay = float(2 ** max(0, resumes - 1))
    return Resume(auto_resume_count=resumes, delay_s=delay)
