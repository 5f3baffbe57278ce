"""The temporal backend's pure parts: settings, the workflow's argument and id,
the task queue of a run, and the outcome read back from a workflow's result."""

from __future__ import annotations

import pytest

from syncplane.server.config import TemporalSettings
from syncplane.server.engine.backends.results import outcome_of_result
from syncplane.server.engine.backends.temporal import task_queue
from syncplane.temporal_contract import DEFAULT_TASK_QUEUE, AttemptArgs, workflow_id


def test_not_configured_without_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNCPLANE_TEMPORAL_ADDRESS", raising=False)
    assert TemporalSettings.from_env() is None


def test_settings_from_env_derive_the_dev_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCPLANE_TEMPORAL_ADDRESS", "temporal.internal:7233")
    monkeypatch.setenv("SYNCPLANE_TEMPORAL_NAMESPACE", "etl")
    monkeypatch.setenv("SYNCPLANE_TEMPORAL_MAX_IN_FLIGHT", "50")
    s = TemporalSettings.from_env()
    assert s is not None
    assert (s.address, s.namespace, s.task_queue) == ("temporal.internal:7233", "etl", DEFAULT_TASK_QUEUE)
    assert s.ui_url == "http://temporal.internal:8233" and s.max_in_flight == 50
    monkeypatch.setenv("SYNCPLANE_TEMPORAL_UI_URL", "https://temporal.example.com")
    assert TemporalSettings.from_env().ui_url == "https://temporal.example.com"  # type: ignore[union-attr]


def test_workflow_id_is_one_per_attempt() -> None:
    assert workflow_id("r1", 7) == workflow_id("r1", 7) == "syncplane-run-r1-7"
    assert workflow_id("r1", 8) != workflow_id("r1", 7)


def test_the_workflow_argument_names_the_attempt_only() -> None:
    args = AttemptArgs(run_id="r1", attempt_token=7, heartbeat_timeout_s=3.0)
    assert AttemptArgs.from_dict(args.to_dict()) == args
    assert set(args.to_dict()) == {"run_id", "attempt_token", "heartbeat_timeout_s", "max_activity_attempts"}


def test_task_queue_is_the_syncs_else_the_default() -> None:
    assert task_queue({"spec": {"taskQueue": "eu-workers"}}, "syncplane") == "eu-workers"  # type: ignore[arg-type]
    assert task_queue({"spec": {}}, "syncplane") == "syncplane"  # type: ignore[arg-type]


def test_outcome_of_a_succeeded_result() -> None:
    outcome, summary = outcome_of_result(
        {"outcome": "succeeded", "result_class": "success", "reason_code": "completed", "error": "", "summary": {"rowsWritten": 5}}
    )
    assert (outcome.status, outcome.result_class, outcome.reason_code, outcome.error) == ("succeeded", "success", "completed", None)
    assert summary == {"rowsWritten": 5}


def test_outcome_of_a_failed_result_keeps_its_reason() -> None:
    outcome, _ = outcome_of_result({"outcome": "failed", "result_class": "failure", "reason_code": "source_error", "error": "boom"})
    assert (outcome.status, outcome.reason_code, outcome.error) == ("failed", "source_error", "boom")


@pytest.mark.parametrize("result", [None, "done", {"status": "ok"}])
def test_an_unexpected_result_fails_saying_so(result: object) -> None:
    outcome, summary = outcome_of_result(result)
    assert (outcome.status, outcome.reason_code) == ("failed", "backend_error") and summary == {}
