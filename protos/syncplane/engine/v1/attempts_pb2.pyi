import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AttemptOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_OUTCOME_UNSPECIFIED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_SUCCEEDED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_FAILED: _ClassVar[AttemptOutcome]
    ATTEMPT_OUTCOME_CANCELLED: _ClassVar[AttemptOutcome]
ATTEMPT_OUTCOME_UNSPECIFIED: AttemptOutcome
ATTEMPT_OUTCOME_SUCCEEDED: AttemptOutcome
ATTEMPT_OUTCOME_FAILED: AttemptOutcome
ATTEMPT_OUTCOME_CANCELLED: AttemptOutcome

class FetchAttemptRequest(_message.Message):
    __slots__ = ("run_id", "attempt_token")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    attempt_token: int
    def __init__(self, run_id: _Optional[str] = ..., attempt_token: _Optional[int] = ...) -> None: ...

class AttemptPlan(_message.Message):
    __slots__ = ("run_id", "attempt_token", "attempt_number", "kind", "connector", "spec", "secrets", "checkpoint", "root_run_id", "lease_seconds", "execution_config")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    ROOT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    attempt_token: int
    attempt_number: int
    kind: str
    connector: str
    spec: _struct_pb2.Struct
    secrets: _struct_pb2.Struct
    checkpoint: _struct_pb2.Struct
    root_run_id: str
    lease_seconds: float
    execution_config: _struct_pb2.Struct
    def __init__(self, run_id: _Optional[str] = ..., attempt_token: _Optional[int] = ..., attempt_number: _Optional[int] = ..., kind: _Optional[str] = ..., connector: _Optional[str] = ..., spec: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., checkpoint: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., root_run_id: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., execution_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class AttemptEntityProgress(_message.Message):
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

class ReportAttemptRequest(_message.Message):
    __slots__ = ("run_id", "attempt_token", "phase", "message", "rows_read", "rows_written", "entities", "detail", "checkpoint", "backend_run_ref", "backend_run_url", "backend_status")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_REF_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_URL_FIELD_NUMBER: _ClassVar[int]
    BACKEND_STATUS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    attempt_token: int
    phase: str
    message: str
    rows_read: int
    rows_written: int
    entities: _containers.RepeatedCompositeFieldContainer[AttemptEntityProgress]
    detail: _struct_pb2.Struct
    checkpoint: _struct_pb2.Struct
    backend_run_ref: str
    backend_run_url: str
    backend_status: _struct_pb2.Struct
    def __init__(self, run_id: _Optional[str] = ..., attempt_token: _Optional[int] = ..., phase: _Optional[str] = ..., message: _Optional[str] = ..., rows_read: _Optional[int] = ..., rows_written: _Optional[int] = ..., entities: _Optional[_Iterable[_Union[AttemptEntityProgress, _Mapping]]] = ..., detail: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., checkpoint: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., backend_run_ref: _Optional[str] = ..., backend_run_url: _Optional[str] = ..., backend_status: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ReportAttemptResponse(_message.Message):
    __slots__ = ("cancel_requested", "lease_expires_at")
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    cancel_requested: bool
    lease_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, cancel_requested: _Optional[bool] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FinishAttemptRequest(_message.Message):
    __slots__ = ("run_id", "attempt_token", "outcome", "error", "reason_code", "summary", "backend_run_ref", "backend_run_url", "backend_status")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_REF_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_URL_FIELD_NUMBER: _ClassVar[int]
    BACKEND_STATUS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    attempt_token: int
    outcome: AttemptOutcome
    error: str
    reason_code: str
    summary: _struct_pb2.Struct
    backend_run_ref: str
    backend_run_url: str
    backend_status: _struct_pb2.Struct
    def __init__(self, run_id: _Optional[str] = ..., attempt_token: _Optional[int] = ..., outcome: _Optional[_Union[AttemptOutcome, str]] = ..., error: _Optional[str] = ..., reason_code: _Optional[str] = ..., summary: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., backend_run_ref: _Optional[str] = ..., backend_run_url: _Optional[str] = ..., backend_status: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class FinishAttemptResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: str
    def __init__(self, status: _Optional[str] = ...) -> None: ...

class ClaimAttemptsRequest(_message.Message):
    __slots__ = ("worker_id", "queue", "connectors", "max", "wait_seconds")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    CONNECTORS_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    queue: str
    connectors: _containers.RepeatedScalarFieldContainer[str]
    max: int
    wait_seconds: float
    def __init__(self, worker_id: _Optional[str] = ..., queue: _Optional[str] = ..., connectors: _Optional[_Iterable[str]] = ..., max: _Optional[int] = ..., wait_seconds: _Optional[float] = ...) -> None: ...

class ClaimAttemptsResponse(_message.Message):
    __slots__ = ("attempts",)
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    attempts: _containers.RepeatedCompositeFieldContainer[AttemptPlan]
    def __init__(self, attempts: _Optional[_Iterable[_Union[AttemptPlan, _Mapping]]] = ...) -> None: ...
