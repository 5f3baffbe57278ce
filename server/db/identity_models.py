"""Domain objects of the identity dialect's tables: connector definitions, connected systems,
partitions, run profiles, synchronisation rules, activities, worker tasks, and identity schedules with their
steps and executions (run graphs).

Where a query joins more than its table (a connected system's definition, an activity's
latest attempt, a schedule's next slot and last execution), the extra columns are a
subclass's fields, named for the query that returns them, so a caller's type says which
columns it may read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncplane.server.db.graphs import Graph, GraphStep
from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorDefinition(RowModel):
    """What a connector can do and which settings it takes (a row of syncplane.idm_connector_definitions)."""

    id: int
    name: str
    description: str
    connector: str
    supports_full_import: bool
    supports_delta_import: bool
    supports_export: bool
    supports_partitions: bool
    supports_file_paths: bool
    runnable: bool
    unavailable_reason: str | None
    settings: list[dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedSystem(RowModel):
    """A connected system (a row of syncplane.idm_connected_systems). Its secret settings live
    sealed in syncplane.credentials under `credential_id`, never here."""

    id: int
    name: str
    description: str | None
    connector_definition_id: int
    settings: dict[str, Any]
    credential_id: uuid.UUID
    status: str
    object_types: list[Any]
    containers: list[Any]
    schema_imported_at: datetime | None
    object_count: int
    pending_export_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedSystemView(ConnectedSystem):
    """A connected system with its connector definition's name and capabilities (get_connected_system)."""

    connector_name: str
    connector: str
    runnable: bool
    unavailable_reason: str | None
    supports_full_import: bool
    supports_delta_import: bool
    supports_export: bool
    supports_partitions: bool
    supports_file_paths: bool
    #: The definition's `settings` (what the system's own `settings` are checked against).
    setting_definitions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectedSystemHeader(RowModel):
    """A connected system as a list shows it (list_connected_systems)."""

    id: int
    name: str
    description: str | None
    created_at: datetime
    status: str
    object_count: int
    pending_export_count: int
    connector_name: str
    connector_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Partition(RowModel):
    """A partition of a connected system a schema import found (a row of syncplane.idm_partitions)."""

    id: int
    connected_system_id: int
    name: str
    external_id: str
    selected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProfile(RowModel):
    """A run profile (a row of syncplane.idm_run_profiles) with its partition's name and selection
    (every query of run profiles joins them; both None when it names no partition)."""

    id: int
    connected_system_id: int
    name: str
    run_type: str
    page_size: int
    partition_id: int | None
    file_path: str | None
    created_at: datetime
    updated_at: datetime
    partition_name: str | None
    partition_selected: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRule(RowModel):
    """A synchronisation rule (a row of syncplane.idm_sync_rules); `rule` holds the dialect's
    body (scoping, attribute flows) as it was checked."""

    id: int
    connected_system_id: int
    name: str
    direction: str
    enabled: bool
    precedence: int
    rule: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity(RowModel):
    """One requested execution of a run profile (a row of syncplane.idm_activities); its run chain's
    subject id is the activity's id, its first attempt is `root_run_id`."""

    id: uuid.UUID
    created_at: datetime
    root_run_id: uuid.UUID
    target_type: str
    target_operation_type: str
    target_name: str | None
    target_context: str | None
    connected_system_id: int | None
    run_profile_id: int | None
    run_type: str
    initiated_by_type: str
    initiated_by_id: str | None
    initiated_by_name: str | None
    warnings: list[Any]
    status: str
    executed_at: datetime | None
    ended_at: datetime | None
    message: str | None
    error_message: str | None
    warning_message: str | None
    detail: dict[str, Any]
    schedule_execution_id: uuid.UUID | None
    schedule_step_index: int | None
    scheduled_by_schedule_id: uuid.UUID | None
    scheduled_by_schedule_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityView(Activity):
    """An activity as a list shows it (list_activities): with when its chain first started and the
    latest attempt's progress (None before the first attempt reported any)."""

    first_started_at: datetime | None
    run_progress: dict[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivityDetail(ActivityView):
    """One activity (get_activity): the list's view and its chain's latest attempt (all None when
    it has none)."""

    run_id: uuid.UUID | None
    run_status: str | None
    executor_id: str | None
    attempt_number: int | None
    run_updated_at: datetime | None
    run_error: str | None
    next_attempt_run_id: uuid.UUID | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule(RowModel):
    """An identity schedule (a row of syncplane.idm_schedules); its cron slot is a row of
    syncplane.schedules and each execution a run graph."""

    id: uuid.UUID
    name: str
    description: str | None
    trigger_type: str
    cron_expression: str | None
    time_zone: str
    pattern_type: str | None
    days_of_week: str | None
    run_times: str | None
    interval_value: int | None
    interval_unit: str | None
    interval_window_start: str | None
    interval_window_end: str | None
    is_enabled: bool
    on_step_failure: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleView(Schedule):
    """A schedule with its next slot, step count and latest execution (get_schedule, list_schedules;
    the execution's fields are None before its first)."""

    next_fire_at: datetime | None
    cron_enabled: bool | None
    step_count: int
    last_graph_id: uuid.UUID | None
    last_graph_status: str | None
    last_current_group: int | None
    last_group_count: int | None
    last_run_at: datetime | None
    last_completed_at: datetime | None
    last_error: str | None
    #: The step indexes of the latest execution that failed (or were cancelled once started).
    last_failed_groups: list[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleStep(RowModel):
    """A step of a schedule (a row of syncplane.idm_schedule_steps) with the names of what it runs
    (None once that was deleted)."""

    id: uuid.UUID
    schedule_id: uuid.UUID
    position: int
    step_index: int
    name: str | None
    execution_mode: str
    step_type: str
    on_failure: str
    timeout_seconds: int | None
    connected_system_id: int
    run_profile_id: int
    connected_system_name: str | None
    run_profile_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerTask(RowModel):
    """A queued or running identity run as the worker-tasks API shows it (list_worker_tasks,
    get_worker_task): the live attempt with its activity. The task's id is its chain's root run."""

    run_id: uuid.UUID
    run_status: str
    run_created_at: datetime
    started_at: datetime | None
    executor_id: str | None
    attempt_number: int
    root_run_id: uuid.UUID
    #: Pending behind another run of its connected system.
    waiting: bool
    activity_id: uuid.UUID
    target_operation_type: str
    target_name: str | None
    target_context: str | None
    connected_system_id: int | None
    run_profile_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleExecution(Graph):
    """An execution of an identity schedule: its run graph with who started it (the first step's
    `initiatedBy`: [type, id, name], None on a graph without steps)."""

    initiated_by: list[Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionStep(GraphStep):
    """A step of an execution with its activity and the latest attempt of its run (execution_steps;
    all None before the step's run was queued)."""

    activity_id: uuid.UUID | None
    activity_status: str | None
    activity_detail: dict[str, Any] | None
    activity_error: str | None
    activity_warning: str | None
    activity_ended_at: datetime | None
    run_status: str | None
    run_progress: dict[str, Any] | None
    latest_run_id: uuid.UUID | None
    first_started_at: datetime | None
