from google.api import annotations_pb2 as _annotations_pb2
from syncplane.identity.v1 import schedules_pb2 as _schedules_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListSchedulesRequest(_message.Message):
    __slots__ = ("page", "page_size", "sort_by", "sort_direction", "sort_descending", "search")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SORT_DESCENDING_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    sort_by: str
    sort_direction: str
    sort_descending: bool
    search: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., sort_by: _Optional[str] = ..., sort_direction: _Optional[str] = ..., sort_descending: _Optional[bool] = ..., search: _Optional[str] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_schedules_pb2.Schedule]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_schedules_pb2.Schedule, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CreateScheduleRequest(_message.Message):
    __slots__ = ("name", "description", "trigger_type", "cron_expression", "time_zone", "pattern_type", "days_of_week", "run_times", "interval_value", "interval_unit", "interval_window_start", "interval_window_end", "is_enabled", "on_step_failure", "steps", "change_reason")
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
    CHANGE_REASON_FIELD_NUMBER: _ClassVar[int]
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
    steps: _containers.RepeatedCompositeFieldContainer[_schedules_pb2.ScheduleStep]
    change_reason: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., trigger_type: _Optional[str] = ..., cron_expression: _Optional[str] = ..., time_zone: _Optional[str] = ..., pattern_type: _Optional[str] = ..., days_of_week: _Optional[str] = ..., run_times: _Optional[str] = ..., interval_value: _Optional[int] = ..., interval_unit: _Optional[str] = ..., interval_window_start: _Optional[str] = ..., interval_window_end: _Optional[str] = ..., is_enabled: _Optional[bool] = ..., on_step_failure: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[_schedules_pb2.ScheduleStep, _Mapping]]] = ..., change_reason: _Optional[str] = ...) -> None: ...

class UpdateScheduleRequest(_message.Message):
    __slots__ = ("id", "name", "description", "trigger_type", "cron_expression", "time_zone", "pattern_type", "days_of_week", "run_times", "interval_value", "interval_unit", "interval_window_start", "interval_window_end", "is_enabled", "on_step_failure", "steps", "change_reason")
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
    CHANGE_REASON_FIELD_NUMBER: _ClassVar[int]
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
    steps: _containers.RepeatedCompositeFieldContainer[_schedules_pb2.ScheduleStep]
    change_reason: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., trigger_type: _Optional[str] = ..., cron_expression: _Optional[str] = ..., time_zone: _Optional[str] = ..., pattern_type: _Optional[str] = ..., days_of_week: _Optional[str] = ..., run_times: _Optional[str] = ..., interval_value: _Optional[int] = ..., interval_unit: _Optional[str] = ..., interval_window_start: _Optional[str] = ..., interval_window_end: _Optional[str] = ..., is_enabled: _Optional[bool] = ..., on_step_failure: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[_schedules_pb2.ScheduleStep, _Mapping]]] = ..., change_reason: _Optional[str] = ...) -> None: ...

class DeleteScheduleRequest(_message.Message):
    __slots__ = ("id", "change_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    change_reason: str
    def __init__(self, id: _Optional[str] = ..., change_reason: _Optional[str] = ...) -> None: ...

class DeleteScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EnableScheduleRequest(_message.Message):
    __slots__ = ("id", "change_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    change_reason: str
    def __init__(self, id: _Optional[str] = ..., change_reason: _Optional[str] = ...) -> None: ...

class DisableScheduleRequest(_message.Message):
    __slots__ = ("id", "change_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    change_reason: str
    def __init__(self, id: _Optional[str] = ..., change_reason: _Optional[str] = ...) -> None: ...

class RunScheduleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RunScheduleResponse(_message.Message):
    __slots__ = ("execution_id", "message")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    message: str
    def __init__(self, execution_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ListScheduleExecutionsRequest(_message.Message):
    __slots__ = ("page", "page_size", "sort_by", "sort_direction", "sort_descending", "schedule_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SORT_DESCENDING_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    sort_by: str
    sort_direction: str
    sort_descending: bool
    schedule_id: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., sort_by: _Optional[str] = ..., sort_direction: _Optional[str] = ..., sort_descending: _Optional[bool] = ..., schedule_id: _Optional[str] = ...) -> None: ...

class ListScheduleExecutionsResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_schedules_pb2.ScheduleExecution]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_schedules_pb2.ScheduleExecution, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class ListActiveScheduleExecutionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListActiveScheduleExecutionsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_schedules_pb2.ScheduleExecution]
    def __init__(self, items: _Optional[_Iterable[_Union[_schedules_pb2.ScheduleExecution, _Mapping]]] = ...) -> None: ...

class GetScheduleExecutionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelScheduleExecutionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchScheduleExecutionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
