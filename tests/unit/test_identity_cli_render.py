"""The CLI's status line for `run-profile execute --wait`, and the list paging rules."""

from __future__ import annotations

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.identity_client import render


def _progress(**kw: object) -> mpb.ActivityProgress:
    p = mpb.ActivityProgress(status="InProgress", objects_processed=250, objects_to_process=1000, objects_per_second=50.0,
                             elapsed_seconds=5.0, total_phases=3, current_phase="stage", **kw)  # type: ignore[arg-type]
    p.phases.add(key="read", name="Reading", status="Completed")
    p.phases.add(key="stage", name="Staging", status="Active")
    p.phases.add(key="confirm", name="Confirming", status="Pending")
    return p


def test_running_line_has_every_part() -> None:
    line = render(_progress(current_phase_number=2, percent_complete=25.0, estimated_seconds_remaining=15.0))
    assert line.split("  ")[0].strip() == "InProgress"
    for part in ("Step 2 of 3 (Staging)", "250 of 1,000 objects", " 25.0%", "50.0 objects/s", "00:15 remaining", "elapsed 00:05"):
        assert part in line, line


def test_unknown_total_shows_the_count_alone_and_no_percent() -> None:
    p = mpb.ActivityProgress(status="InProgress", objects_processed=7, objects_per_second=1.0)
    line = render(p)
    assert "7 objects" in line and "%" not in line and "remaining" not in line and "Step" not in line


def test_a_finished_activity_shows_the_last_step_and_no_estimate() -> None:
    p = _progress(percent_complete=100.0, estimated_seconds_remaining=0.0)
    p.status = "Complete"
    line = render(p)
    assert "Step 3 of 3" in line and "remaining" not in line


def test_page_size_is_clamped_and_page_starts_at_one() -> None:
    assert (page_of(pb.ListWorkerTasksRequest()).page, page_of(pb.ListWorkerTasksRequest()).page_size) == (1, 25)
    assert page_of(pb.ListWorkerTasksRequest(page_size=0)).page_size == 1
    assert page_of(pb.ListWorkerTasksRequest(page_size=500)).page_size == 100
    clamped = page_of(pb.ListWorkerTasksRequest(page=-3, page_size=10))
    assert (clamped.page, clamped.offset) == (1, 0)
    assert page_of(pb.ListWorkerTasksRequest(page=3, page_size=10)).offset == 20
