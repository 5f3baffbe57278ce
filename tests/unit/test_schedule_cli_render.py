"""How `syncplane schedule run --wait` draws an execution: a header, then one line per step in group
order with its status and objects (the shared progress board of the other --wait commands)."""

from __future__ import annotations

import io

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.server.cli_progress import ProgressBoard
from syncplane.server.schedule_client import header, step_lines


def _execution() -> spb.ScheduleExecution:
    steps = [
        spb.ScheduleExecutionStep(step_index=1, name="Sync B", status="Queued"),
        spb.ScheduleExecutionStep(step_index=0, name="Full Import", connected_system_name="HR", status="Completed",
                                  objects_processed=200, objects_to_process=200, percent_complete=100.0),
        spb.ScheduleExecutionStep(step_index=1, name="Sync A", status="Running", objects_processed=50,
                                  objects_to_process=200, percent_complete=25.0),
    ]
    progress = spb.ScheduleExecutionProgress(current_step_number=2, total_steps=2, steps=[
        spb.ScheduleExecutionProgressStep(step_index=0, status="Completed"),
        spb.ScheduleExecutionProgressStep(step_index=1, status="Processing", is_parallel=True),
    ])
    return spb.ScheduleExecution(id="0f1e2d3c-0000-4000-8000-000000000000", status="InProgress", steps=steps,
                                 progress=progress)


def test_one_line_per_step_in_group_order_with_its_objects() -> None:
    lines = step_lines(_execution())
    assert [line.key for line in lines] == ["1. Full Import (HR)", "2. Sync B", "2. Sync A"]
    done, queued, running = lines
    assert (done.done, done.total, done.note, done.finished) == (200, 200, "Completed", True)
    assert (queued.unit, queued.note, queued.finished) == ("", "Queued", False)  # nothing counted yet
    assert (running.done, running.total, running.unit, running.finished) == (50, 200, "objects", False)


def test_plain_lines_when_not_a_terminal() -> None:
    execution = _execution()
    text = io.StringIO()
    board = ProgressBoard(text, tty=False)
    board.update(header(execution, 65), step_lines(execution))
    board.close()
    assert text.getvalue().splitlines() == [
        "execution 0f1e2d3c  InProgress  group 2 of 2  elapsed 01:05",
        "  1. Full Import (HR):  Completed  200/200 objects",
        "  2. Sync B:  Queued",
        "  2. Sync A:  Running  50/200 objects",
    ]


def test_an_execution_error_is_in_the_header() -> None:
    execution = _execution()
    execution.status, execution.error_message = "CompleteWithError", "Completed with errors: step(s) 1 failed."
    assert header(execution, 3).endswith("elapsed 00:03  Completed with errors: step(s) 1 failed.")
