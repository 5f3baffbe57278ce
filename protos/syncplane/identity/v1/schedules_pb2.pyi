import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScheduleStep(_message.Message):
    __slots__ = ("id", "step_index", "name", "execution_mode", "step_type", "on_failure", "continue_on_failure", "timeout_seconds", "connected_system_id", "run_profile_id", "failure_behaviour_source", "connected_system_name", "run_profile_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODE_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_BEHAVIOUR_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    step_index: int
    name: str
    execution_mode: str
    step_type: str
    on_failure: str
    continue_on_failure: bool
    timeout_seconds: int
    connected_system_id: int
    run_profile_id: int
    failure_behaviour_source: str
    connected_system_name: str
    run_profile_name: str
    def __init__(self, id: _Optional[str] = ..., step_index: _Optional[int] = ..., name: _Optional[str] = ..., execution_mode: _Optional[str] = ..., step_type: _Optional[str] = ..., on_failure: _Optional[str] = ..., continue_on_failure: _Optional[bool] = ..., timeout_seconds: _Optional[int] = ..., connected_system_id: _Optional[int] = ..., run_profile_id: _Optional[int] = ..., failure_behaviour_source: _Optional[str] = ..., connected_system_name: _Optional[str] = ..., run_profile_name: _Optional[str] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ("id", "name", "description", "trigger_type", "cron_expression", "time_zone", "pattern_type", "days_of_week", "run_times", "interval_value", "interval_unit", "interval_window_start", "interval_window_end", "is_enabled", "on_step_failure", "steps", "step_count", "last_run_time", "next_run_time", "created", "last_updated", "last_execution_id", "last_execution_status", "last_execution_current_step_index", "last_execution_total_steps", "last_execution_failed_step_indices", "last_execution_completed_at", "last_execution_error_message")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_TYPE_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    PATTERN_TYPE_FIELD_NUMBER: _ClassVar[int]
    DAYS_OF_WEEK_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMES_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_UNIT_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    IS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ON_STEP_FAILURE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STEP_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_CURRENT_STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_FAILED_STEP_INDICES_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTION_ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    trigger_type: str
    cron_expression: str
    time_zone: str
    pattern_type: str
    days_of_week: str
    run_times: str
    interval_value: int
    interval_unit: str
    interval_window_start: str
    interval_window_end: str
    is_enabled: bool
    on_step_failure: str
    steps: _containers.RepeatedCompositeFieldContainer[ScheduleStep]
    step_count: int
    last_run_time: _timestamp_pb2.Timestamp
    next_run_time: _timestamp_pb2.Timestamp
    created: _timestamp_pb2.Timestamp
    last_updated: _timestamp_pb2.Timestamp
    last_execution_id: str
    last_execution_status: str
    last_execution_current_step_index: int
    last_execution_total_steps: int
    last_execution_failed_step_indices: _containers.RepeatedScalarFieldContainer[int]
    last_execution_completed_at: _timestamp_pb2.Timestamp
    last_execution_error_message: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., trigger_type: _Optional[str] = ..., cron_expression: _Optional[str] = ..., time_zone: _Optional[str] = ..., pattern_type: _Optional[str] = ..., days_of_week: _Optional[str] = ..., run_times: _Optional[str] = ..., interval_value: _Optional[int] = ..., interval_unit: _Optional[str] = ..., interval_window_start: _Optional[str] = ..., interval_window_end: _Optional[str] = ..., is_enabled: _Optional[bool] = ..., on_step_failure: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[ScheduleStep, _Mapping]]] = ..., step_count: _Optional[int] = ..., last_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_execution_id: _Optional[str] = ..., last_execution_status: _Optional[str] = ..., last_execution_current_step_index: _Optional[int] = ..., last_execution_total_steps: _Optional[int] = ..., last_execution_failed_step_indices: _Optional[_Iterable[int]] = ..., last_execution_completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_execution_error_message: _Optional[str] = ...) -> None: ...

class ScheduleExecutionStep(_message.Message):
    __slots__ = ("step_index", "name", "step_type", "connected_system_id", "connected_system_name", "run_profile_id", "run_profile_name", "status", "task_id", "started_at", "completed_at", "error_message", "activity_id", "activity_status", "continue_on_failure", "failure_behaviour_source", "cancellation_reason", "objects_processed", "objects_to_process", "percent_complete", "current_phase")
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_STATUS_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_BEHAVIOUR_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_REASON_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_TO_PROCESS_FIELD_NUMBER: _ClassVar[int]
    PERCENT_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PHASE_FIELD_NUMBER: _ClassVar[int]
    step_index: int
    name: str
    step_type: str
    connected_system_id: int
    connected_system_name: str
    run_profile_id: int
    run_profile_name: str
    status: str
    task_id: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    error_message: str
    activity_id: str
    activity_status: str
    continue_on_failure: bool
    failure_behaviour_source: str
    cancellation_reason: str
    objects_processed: int
    objects_to_process: int
    percent_complete: float
    current_phase: str
    def __init__(self, step_index: _Optional[int] = ..., name: _Optional[str] = ..., step_type: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., connected_system_name: _Optional[str] = ..., run_profile_id: _Optional[int] = ..., run_profile_name: _Optional[str] = ..., status: _Optional[str] = ..., task_id: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_message: _Optional[str] = ..., activity_id: _Optional[str] = ..., activity_status: _Optional[str] = ..., continue_on_failure: _Optional[bool] = ..., failure_behaviour_source: _Optional[str] = ..., cancellation_reason: _Optional[str] = ..., objects_processed: _Optional[int] = ..., objects_to_process: _Optional[int] = ..., percent_complete: _Optional[float] = ..., current_phase: _Optional[str] = ...) -> None: ...

class ScheduleExecutionProgressStep(_message.Message):
    __slots__ = ("step_index", "name", "status", "task_statuses", "is_parallel")
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUSES_FIELD_NUMBER: _ClassVar[int]
    IS_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    step_index: int
    name: str
    status: str
    task_statuses: _containers.RepeatedScalarFieldContainer[str]
    is_parallel: bool
    def __init__(self, step_index: _Optional[int] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., task_statuses: _Optional[_Iterable[str]] = ..., is_parallel: _Optional[bool] = ...) -> None: ...

class ScheduleExecutionProgress(_message.Message):
    __slots__ = ("current_step_number", "total_steps", "steps")
    CURRENT_STEP_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    current_step_number: int
    total_steps: int
    steps: _containers.RepeatedCompositeFieldContainer[ScheduleExecutionProgressStep]
    def __init__(self, current_step_number: _Optional[int] = ..., total_steps: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[ScheduleExecutionProgressStep, _Mapping]]] = ...) -> None: ...

class ScheduleExecution(_message.Message):
    __slots__ = ("id", "schedule_id", "schedule_name", "status", "current_step_index", "total_steps", "queued_at", "started_at", "completed_at", "initiated_by_type", "initiated_by_id", "initiated_by_name", "error_message", "steps", "progress")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_ID_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_NAME_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    schedule_id: str
    schedule_name: str
    status: str
    current_step_index: int
    total_steps: int
    queued_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    initiated_by_type: str
    initiated_by_id: str
    initiated_by_name: str
    error_message: str
    steps: _containers.RepeatedCompositeFieldContainer[ScheduleExecutionStep]
    progress: ScheduleExecutionProgress
    def __init__(self, id: _Optional[str] = ..., schedule_id: _Optional[str] = ..., schedule_name: _Optional[str] = ..., status: _Optional[str] = ..., current_step_index: _Optional[int] = ..., total_steps: _Optional[int] = ..., queued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., initiated_by_type: _Optional[str] = ..., initiated_by_id: _Optional[str] = ..., initiated_by_name: _Optional[str] = ..., error_message: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[ScheduleExecutionStep, _Mapping]]] = ..., progress: _Optional[_Union[ScheduleExecutionProgress, _Mapping]] = ...) -> None: ...
