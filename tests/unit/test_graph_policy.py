"""The run graph's state machine (server.engine.graph_policy), without a database."""

from __future__ import annotations

from syncplane.server.engine import graph_policy as p
from syncplane.server.engine.graph_policy import StepFacts as S


def test_the_lowest_waiting_group_is_released_whole() -> None:
    steps = [S(0, 0, p.SUCCEEDED), S(1, 5, p.WAITING), S(2, 5, p.WAITING), S(3, 9, p.WAITING)]
    move = p.next_move(steps, cancelling=False, stopped=False)
    assert (move.release, move.release_group, move.final_status) == ((1, 2), 5, None)


def test_nothing_is_released_while_a_step_of_the_group_runs() -> None:
    steps = [S(0, 0, p.SUCCEEDED), S(1, 0, p.RUNNING), S(2, 1, p.WAITING)]
    assert p.next_move(steps, cancelling=False, stopped=False).waits


def test_a_stop_cancels_the_waiting_steps_at_once_and_fails_once_the_group_ends() -> None:
    running = [S(0, 0, p.FAILED), S(1, 0, p.RUNNING), S(2, 1, p.WAITING)]
    move = p.next_move(running, cancelling=False, stopped=True)
    assert (move.cancel_waiting, move.final_status, move.release) == (p.REASON_STOPPED, None, ())
    done = [S(0, 0, p.FAILED), S(1, 0, p.SUCCEEDED), S(2, 1, p.CANCELLED)]
    assert p.next_move(done, cancelling=False, stopped=True).final_status == p.GRAPH_FAILED


def test_a_continued_failure_goes_on_and_ends_completed_with_errors() -> None:
    steps = [S(0, 0, p.FAILED), S(1, 1, p.WAITING)]
    assert p.next_move(steps, cancelling=False, stopped=False).release == (1,)
    ended = [S(0, 0, p.FAILED), S(1, 1, p.SUCCEEDED)]
    assert p.next_move(ended, cancelling=False, stopped=False).final_status == p.GRAPH_COMPLETED_WITH_ERRORS


def test_every_step_succeeding_ends_succeeded() -> None:
    steps = [S(0, 0, p.SUCCEEDED), S(1, 0, p.SUCCEEDED), S(2, 3, p.SUCCEEDED)]
    assert p.next_move(steps, cancelling=False, stopped=False).final_status == p.GRAPH_SUCCEEDED


def test_a_cancel_waits_for_running_steps_then_ends_cancelled() -> None:
    running = [S(0, 0, p.RUNNING), S(1, 1, p.WAITING)]
    move = p.next_move(running, cancelling=True, stopped=False)
    assert (move.cancel_waiting, move.final_status) == (p.REASON_CANCELLED, None)
    ended = [S(0, 0, p.CANCELLED), S(1, 1, p.CANCELLED)]
    assert p.next_move(ended, cancelling=True, stopped=False).final_status == p.GRAPH_CANCELLED


def test_a_step_that_inherits_follows_the_graph_setting() -> None:
    assert p.applied_setting(p.INHERIT, p.CONTINUE) == p.CONTINUE
    assert p.applied_setting(p.STOP, p.CONTINUE) == p.STOP
    assert p.applied_setting(p.CONTINUE, p.STOP) == p.CONTINUE
