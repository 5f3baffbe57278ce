"""The auto-resume policy: which ended attempts resume, with what budget and delay."""

from __future__ import annotations

from dataclasses import replace

from syncplane.server.engine.resume_policy import MAX_CHAIN_ATTEMPTS, EndedAttempt, Resume, decide

LOST = EndedAttempt(
    status="failed", reason_code="executor_lost", attempt_number=1,
    max_auto_resume_attempts=3, auto_resume_count=0, progressed=False,
)


def test_an_interrupted_attempt_resumes_at_once() -> None:
    assert decide(LOST) == Resume(auto_resume_count=1, delay_s=0.0)


def test_only_failures_of_where_it_ran_resume() -> None:
    assert decide(replace(LOST, reason_code="source_error")) is None
    assert decide(replace(LOST, reason_code=None)) is None
    assert decide(replace(LOST, status="succeeded", reason_code="completed")) is None
    assert decide(replace(LOST, status="cancelled", reason_code="heartbeat_timeout")) is None


def test_a_zero_budget_turns_auto_resume_off() -> None:
    assert decide(replace(LOST, max_auto_resume_attempts=0)) is None


def test_the_budget_counts_consecutive_attempts_without_progress() -> None:
    assert decide(replace(LOST, auto_resume_count=2)) == Resume(3, 0.0)
    assert decide(replace(LOST, auto_resume_count=3)) is None


def test_progress_resets_the_budget() -> None:
    assert decide(replace(LOST, auto_resume_count=3, progressed=True)) == Resume(0, 0.0)


def test_no_chain_grows_past_the_cap_even_with_progress() -> None:
    assert MAX_CHAIN_ATTEMPTS == 20
    assert decide(replace(LOST, attempt_number=MAX_CHAIN_ATTEMPTS - 1, progressed=True)) == Resume(0, 0.0)
    assert decide(replace(LOST, attempt_number=MAX_CHAIN_ATTEMPTS, progressed=True)) is None


def test_an_unavailable_database_backs_off_exponentially() -> None:
    down = replace(LOST, reason_code="destination_unavailable", max_auto_resume_attempts=5)
    assert [decide(replace(down, auto_resume_count=n)) for n in range(4)] == [
        Resume(1, 1.0), Resume(2, 2.0), Resume(3, 4.0), Resume(4, 8.0),
    ]
    assert decide(replace(down, progressed=True)) == Resume(0, 1.0)
