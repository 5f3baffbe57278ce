"""The reference's rules for an activity's final status, and /progress's figures."""

from __future__ import annotations

from syncplane.server.dialects.identity import status as st


def _detail(processed: int = 10, errors: int = 0, warnings: list[str] | None = None, items: int = 0) -> dict:
    return {
        "objectsProcessed": processed,
        "counters": {"totalErrors": errors},
        "itemErrors": [{"anchor": f"e{i}", "error": "bad"} for i in range(items)],
        "warnings": warnings or [],
    }


def test_clean_run_is_complete() -> None:
    assert st.final_outcome("succeeded", None, _detail()).status == st.COMPLETE


def test_some_item_errors_are_complete_with_warning() -> None:
    outcome = st.final_outcome("succeeded", None, _detail(processed=10, errors=3, items=3))
    assert outcome.status == st.COMPLETE_WITH_WARNING
    assert outcome.warning_message is not None and "e0: bad" in outcome.warning_message


def test_a_warning_alone_is_complete_with_warning() -> None:
    outcome = st.final_outcome("succeeded", None, _detail(warnings=["no partition selected"]))
    assert (outcome.status, outcome.warning_message) == (st.COMPLETE_WITH_WARNING, "no partition selected")


def test_every_item_errored_is_failed_with_error() -> None:
    assert st.final_outcome("succeeded", None, _detail(processed=4, errors=4)).status == st.FAILED_WITH_ERROR


def test_every_item_errored_counts_the_list_when_the_counter_is_missing() -> None:
    detail = {"objectsProcessed": 2, "itemErrors": [{"anchor": "a", "error": "x"}, {"anchor": "b", "error": "y"}]}
    assert st.final_outcome("succeeded", None, detail).status == st.FAILED_WITH_ERROR


def test_an_unhandled_error_is_complete_with_error() -> None:
    outcome = st.final_outcome("failed", "connection refused", _detail(processed=5, errors=1))
    assert (outcome.status, outcome.error_message) == (st.COMPLETE_WITH_ERROR, "connection refused")


def test_an_unhandled_error_before_any_object_is_complete_with_error() -> None:
    assert st.final_outcome("failed", "boom", {}).status == st.COMPLETE_WITH_ERROR


def test_cancelled_wins_over_everything() -> None:
    assert st.final_outcome("cancelled", None, _detail(processed=4, errors=4)).status == st.CANCELLED


def test_percent_is_null_without_a_total() -> None:
    r = st.rates(processed=0, to_process=0, elapsed_seconds=3.0, terminal=False)
    assert (r.percent_complete, r.estimated_seconds_remaining, r.objects_per_second) == (None, None, 0.0)


def test_rates_and_estimate_from_the_average_so_far() -> None:
    r = st.rates(processed=250, to_process=1000, elapsed_seconds=5.0, terminal=False)
    assert (r.percent_complete, r.objects_per_second, r.estimated_seconds_remaining) == (25.0, 50.0, 15.0)


def test_percent_never_passes_100_and_a_finished_run_has_nothing_left() -> None:
    r = st.rates(processed=12, to_process=10, elapsed_seconds=2.0, terminal=True)
    assert (r.percent_complete, r.estimated_seconds_remaining) == (100.0, 0.0)


def test_current_phase_number_by_key_name_or_active_status() -> None:
    phases = [{"key": "read", "name": "Reading", "status": "Completed"},
              {"key": "write", "name": "Writing", "status": "Active"},
              {"key": "confirm", "name": "Confirming", "status": "Pending"}]
    assert st.current_phase_number(phases, "write") == 2
    assert st.current_phase_number(phases, "Confirming") == 3
    assert st.current_phase_number(phases, None) == 2
    assert st.current_phase_number([], None) is None
