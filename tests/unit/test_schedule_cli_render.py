"""How `syncplane schedule run --wait` draws an execution: groups, steps and bars."""

from __future__ import annotations

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.server.schedule_client import render


def _execution() -> spb.ScheduleExecution:
    steps = [
        spb.ScheduleExecutionStep(step_index=0, name="Full Import", connected_system_name="HR", status="Completed",
                                  objects_processed=200, objects_to_process=200, percent_complete=100.0),
        spb.ScheduleExecutionStep(step_index=1, name="Sync A", status="Running", objects_processed=50,
                                  objects_to_process=200, percent_complete=25.0),
        spb.ScheduleExecutionStep(step_index=1, name="Sync B", status="Queued"),
    ]
    progress = spb.ScheduleExecutionProgress(current_step_number=2, total_steps=2, steps=[
        spb.ScheduleExecutionProgressStep(step_index=0, status="Completed"),
        spb.ScheduleExecutionProgressStep(step_index=1, status="Processing", is_parallel=True),
    ])
    return spb.ScheduleExecution(status="InProgress", steps=steps, progress=progress)


def test_each_group_lists_its_steps_with_a_bar_and_counts() -> None:
    lines = render(_execution())
    assert lines[0].startswith("InProgress") and lines[0].endswith("group 2 of 2")
    assert lines[1] == "  group 1 (stepIndex 0): Completed"
    assert "Full Import (HR)" in lines[2] and f"[{'#' * 20}]  200 of 200 objects  100.0%" in lines[2]
    assert lines[3] == "  group 2 (stepIndex 1, parallel): Processing"
    assert f"[{'#' * 5}{'-' * 15}]  50 of 200 objects   25.0%" in lines[4]
    assert lines[5].rstrip().endswith(f"[{'-' * 20}]")
