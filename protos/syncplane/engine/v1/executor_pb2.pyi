from google.protobuf import struct_pb2 as _struct_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_UNSPECIFIED: _ClassVar[Outcome]
    OUTCOME_SUCCEEDED: _ClassVar[Outcome]
    OUTCOME_FAILED: _ClassVar[Outcome]
    OUTCOME_CANCELLED: _ClassVar[Outcome]
OUTCOME_UNSPECIFIED: Outcome
OUTCOME_SUCCEEDED: Outcome
OUTCOME_FAILED: Outcome
OUTCOME_CANCELLED: Outcome

class ExecutorMessage(_message.Message):
    __slots__ = ("hello", "heartbeat", "accepted", "progress", "checkpoint", "finished", "draining")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    heartbeat: Heartbeat
    accepted: Accepted
    progress: Progress
    checkpoint: Checkpoint
    finished: Finished
    draining: Draining
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., accepted: _Optional[_Union[Accepted, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., checkpoint: _Optional[_Union[Checkpoint, _Mapping]] = ..., finished: _Optional[_Union[Finished, _Mapping]] = ..., draining: _Optional[_Union[Draining, _Mapping]] = ...) -> None: ...

class ServerMessage(_message.Message):
    __slots__ = ("welcome", "assign", "cancel", "refused")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    ASSIGN_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    assign: Assign
    cancel: Cancel
    refused: Refused
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., assign: _Optional[_Union[Assign, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., refused: _Optional[_Union[Refused, _Mapping]] = ...) -> None: ...

class AttemptRef(_message.Message):
    __slots__ = ("run_id", "token")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    token: int
    def __init__(self, run_id: _Optional[str] = ..., token: _Optional[int] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("executor_id", "group", "connectors", "slots", "version", "running")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    CONNECTORS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    executor_id: str
    group: str
    connectors: _containers.RepeatedScalarFieldContainer[str]
    slots: int
    version: str
    running: _containers.RepeatedCompositeFieldContainer[AttemptRef]
    def __init__(self, executor_id: _Optional[str] = ..., group: _Optional[str] = ..., connectors: _Optional[_Iterable[str]] = ..., slots: _Optional[int] = ..., version: _Optional[str] = ..., running: _Optional[_Iterable[_Union[AttemptRef, _Mapping]]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("session_id", "heartbeat_interval_seconds", "lease_seconds", "abandoned", "control_plane_listeners")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PLANE_LISTENERS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    heartbeat_interval_seconds: float
    lease_seconds: float
    abandoned: _containers.RepeatedCompositeFieldContainer[AttemptRef]
    control_plane_listeners: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, session_id: _Optional[str] = ..., heartbeat_interval_seconds: _Optional[float] = ..., lease_seconds: _Optional[float] = ..., abandoned: _Optional[_Iterable[_Union[AttemptRef, _Mapping]]] = ..., control_plane_listeners: _Optional[_Iterable[str]] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("running", "free_slots", "stats")
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    FREE_SLOTS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    running: _containers.RepeatedCompositeFieldContainer[AttemptRef]
    free_slots: int
    stats: ExecutorStats
    def __init__(self, running: _Optional[_Iterable[_Union[AttemptRef, _Mapping]]] = ..., free_slots: _Optional[int] = ..., stats: _Optional[_Union[ExecutorStats, _Mapping]] = ...) -> None: ...

class ExecutorStats(_message.Message):
    __slots__ = ("rows_per_second", "batches", "batch_seconds", "last_batch_seconds", "memory_rss_bytes")
    ROWS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    BATCH_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LAST_BATCH_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    rows_per_second: float
    batches: int
    batch_seconds: float
    last_batch_seconds: float
    memory_rss_bytes: int
    def __init__(self, rows_per_second: _Optional[float] = ..., batches: _Optional[int] = ..., batch_seconds: _Optional[float] = ..., last_batch_seconds: _Optional[float] = ..., memory_rss_bytes: _Optional[int] = ...) -> None: ...

class Assign(_message.Message):
    __slots__ = ("run_id", "token", "attempt_number", "kind", "connector", "spec", "secrets", "checkpoint", "root_run_id", "trace_context", "subject_id")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    ROOT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    token: int
    attempt_number: int
    kind: str
    connector: str
    spec: _struct_pb2.Struct
    secrets: _struct_pb2.Struct
    checkpoint: _struct_pb2.Struct
    root_run_id: str
    trace_context: _containers.ScalarMap[str, str]
    subject_id: str
    def __init__(self, run_id: _Optional[str] = ..., token: _Optional[int] = ..., attempt_number: _Optional[int] = ..., kind: _Optional[str] = ..., connector: _Optional[str] = ..., spec: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., checkpoint: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., root_run_id: _Optional[str] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., subject_id: _Optional[str] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("run_id", "token", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    token: int
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., token: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Refused(_message.Message):
    __slots__ = ("run_id", "token", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    token: int
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., token: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Accepted(_message.Message):
    __slots__ = ("attempt",)
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    attempt: AttemptRef
    def __init__(self, attempt: _Optional[_Union[AttemptRef, _Mapping]] = ...) -> None: ...

class EntityProgress(_message.Message):
    __slots__ = ("entity", "rows_read", "rows_written", "phase", "rows_total", "rows_total_estimated", "bytes_total", "bytes_read")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    ROWS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ROWS_TOTAL_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    entity: str
    rows_read: int
    rows_written: int
    phase: str
    rows_total: int
    rows_total_estimated: bool
    bytes_total: int
    bytes_read: int
    def __init__(self, entity: _Optional[str] = ..., rows_read: _Optional[int] = ..., rows_written: _Optional[int] = ..., phase: _Optional[str] = ..., rows_total: _Optional[int] = ..., rows_total_estimated: _Optional[bool] = ..., bytes_total: _Optional[int] = ..., bytes_read: _Optional[int] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ("attempt", "phase", "message", "entities", "rows_read", "rows_written", "detail")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    attempt: AttemptRef
    phase: str
    message: str
    entities: _containers.RepeatedCompositeFieldContainer[EntityProgress]
    rows_read: int
    rows_written: int
    detail: _struct_pb2.Struct
    def __init__(self, attempt: _Optional[_Union[AttemptRef, _Mapping]] = ..., phase: _Optional[str] = ..., message: _Optional[str] = ..., entities: _Optional[_Iterable[_Union[EntityProgress, _Mapping]]] = ..., rows_read: _Optional[int] = ..., rows_written: _Optional[int] = ..., detail: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Checkpoint(_message.Message):
    __slots__ = ("attempt", "state")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    attempt: AttemptRef
    state: _struct_pb2.Struct
    def __init__(self, attempt: _Optional[_Union[AttemptRef, _Mapping]] = ..., state: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Finished(_message.Message):
    __slots__ = ("attempt", "outcome", "error", "reason_code", "summary")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    attempt: AttemptRef
    outcome: Outcome
    error: str
    reason_code: str
    summary: _struct_pb2.Struct
    def __init__(self, attempt: _Optional[_Union[AttemptRef, _Mapping]] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., error: _Optional[str] = ..., reason_code: _Optional[str] = ..., summary: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Draining(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
