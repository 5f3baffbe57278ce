"""An identity schedule's execution as an engine run graph (subject kind
"identity_schedule"): the graph built from the schedule's steps, and the hooks
the engine calls when a step is released, ends, or fails, and when a cron
slot is due."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from syncplane.server.auth.interceptor import current_principal
from syncplane.server.db import identity as idm_db
from syncplane.server.db import identity_schedules as db
from syncplane.server.db.graphs import Graph, GraphStep
from syncplane.server.db.identity_models import Schedule
from syncplane.server.db.models import Run
from syncplane.server.dialects.identity import plans
from syncplane.server.dialects.identity import status as st
from syncplane.server.dialects.identity.run_profiles import activity_values, prepare_execution
from syncplane.server.dialects.identity.schedule_rules import ENGINE_SETTING
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.engine import graph_policy
from syncplane.server.engine.graphs import BaseGraphHooks, NewGraph, NewStep, QueueFn, StepRefused
from syncplane.server.errors import DomainError
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)

KIND = "identity_schedule"
#: Activity statuses that make a step fail (the reference's ScheduleFailureHandling).
FAILED_ACTIVITY = frozenset({st.FAILED_WITH_ERROR, st.COMPLETE_WITH_ERROR, st.CANCELLED})


def _initiated_by(triggered_by: str) -> list[str | None]:
    principal = current_principal.get()
    if triggered_by == "schedule" or principal is None:
        return ["System", None, None]
    return ["ApiKey", principal.id, principal.name]


async def new_graph(conn: asyncpg.Connection, schedule: Schedule, *, triggered_by: str) -> NewGraph | None:
    """The graph of one execution of `schedule` (None without steps)."""
    rows = await db.schedule_steps(conn, schedule.id)
    if not rows:
        return None
    by = _initiated_by(triggered_by)
    steps = [
        NewStep(group=r.step_index, on_failure=ENGINE_SETTING[r.on_failure], params={
            "scheduleStepId": str(r.id), "stepIndex": r.step_index, "name": r.name,
            "connectedSystemId": r.connected_system_id, "runProfileId": r.run_profile_id,
            "connectedSystemName": r.connected_system_name, "runProfileName": r.run_profile_name,
            "onFailure": r.on_failure, "initiatedBy": by,
        })
        for r in rows
    ]
    return NewGraph(
        subject_kind=KIND, subject_id=schedule.id, steps=steps,
        on_step_failure=ENGINE_SETTING[schedule.on_step_failure], triggered_by=triggered_by,
        trigger_ref=by[1], label=schedule.name,
    )


class ScheduleGraphHooks(BaseGraphHooks):
    """The engine's view of identity schedules: steps are run profile executions."""

    def __init__(self, settings: IdentitySettings) -> None:
        self._settings = settings

    async def start_step(self, conn: asyncpg.Connection, graph: Graph, step: GraphStep, queue: QueueFn) -> Run:
        p: dict[str, Any] = step.params
        cs_id, rp_id = int(p["connectedSystemId"]), int(p["runProfileId"])
        # Holding the system's row orders this queueing with a delete or a schema import's busy check.
        if await idm_db.lock_connected_system(conn, cs_id) is None:
            raise StepRefused(f"Connected system with ID {cs_id} not found.")
        cs = await idm_db.get_connected_system(conn, cs_id)
        rp = await idm_db.get_run_profile(conn, cs_id, rp_id)
        if cs is None or rp is None:
            raise StepRefused(f"Run profile with ID {rp_id} not found.")
        try:
            execution = await prepare_execution(conn, self._settings, cs, rp)
        except DomainError as exc:  # the execute checks' refusals (FailedPrecondition, NotFound)
            raise StepRefused(str(exc)) from None
        by = tuple(p["initiatedBy"])
        run = await queue(plans.new_run(execution.activity_id, cs, execution.spec, by[2]))
        await idm_db.insert_activity(conn, execution.activity_id, run.id, activity_values(cs, rp, execution, by))
        await db.mark_activity_scheduled(conn, execution.activity_id, graph.id, int(p["stepIndex"]),
                                         graph.subject_id, graph.label)
        with run_context.bound(run):
            log.info("identity.schedule_step_started", execution_id=str(graph.id), step_index=p["stepIndex"],
                     activity_id=str(execution.activity_id), task_id=str(run.id))
        return run

    async def step_error(self, conn: asyncpg.Connection, graph: Graph, step: GraphStep, run: Run) -> str | None:
        """A step fails when its activity ends FailedWithError, CompleteWithError or Cancelled
        (the activity was ended by the identity kind's hook just before, in this transaction)."""
        activity = await idm_db.get_activity(conn, run.subject_id)
        if activity is None:
            return await super().step_error(conn, graph, step, run)
        if activity.status not in FAILED_ACTIVITY:
            return None
        return activity.error_message or f"The activity ended {activity.status}."

    async def failure_setting(self, conn: asyncpg.Connection, graph: Graph, step: GraphStep) -> str:
        """The step's onFailure and the schedule's onStepFailure as they are now (the
        schedule may have been edited while it ran); as they were at start once deleted."""
        row = await db.step_failure_settings(conn, graph.subject_id, uuid.UUID(step.params["scheduleStepId"]))
        schedule_setting = ENGINE_SETTING[row["on_step_failure"]] if row is not None else graph.on_step_failure
        own = ENGINE_SETTING[row["on_failure"]] if row is not None and row["on_failure"] else step.on_failure
        return graph_policy.applied_setting(own, schedule_setting)

    # -- the scheduler's hook ------------------------------------------------------------
    async def scheduled_run(self, conn: asyncpg.Connection, subject_id: object, slot: datetime) -> NewGraph | None:
        assert isinstance(subject_id, uuid.UUID)
        schedule = await db.lock_schedule(conn, subject_id)
        if schedule is None or not schedule.is_enabled:
            return None
        return await new_graph(conn, schedule, triggered_by="schedule")
