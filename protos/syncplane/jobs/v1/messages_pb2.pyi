from google.protobuf import struct_pb2 as _struct_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Integration(_message.Message):
    __slots__ = ("id", "name", "label", "base_url", "auth", "resources", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    label: str
    base_url: str
    auth: _struct_pb2.Struct
    resources: _struct_pb2.Struct
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., label: _Optional[str] = ..., base_url: _Optional[str] = ..., auth: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class IntegratedAccount(_message.Message):
    __slots__ = ("id", "integration_name", "context", "tenant_id", "environment_id", "has_credentials", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    HAS_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    integration_name: str
    context: _struct_pb2.Struct
    tenant_id: str
    environment_id: str
    has_credentials: bool
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., integration_name: _Optional[str] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tenant_id: _Optional[str] = ..., environment_id: _Optional[str] = ..., has_credentials: _Optional[bool] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("id", "target_url", "event_types", "is_active", "environment_id", "secret", "consecutive_failures", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    target_url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    environment_id: str
    secret: str
    consecutive_failures: int
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., target_url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ..., environment_id: _Optional[str] = ..., secret: _Optional[str] = ..., consecutive_failures: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class WebhookDeliveryAttempt(_message.Message):
    __slots__ = ("attempt", "http_status", "error", "duration_ms", "at")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    http_status: int
    error: str
    duration_ms: int
    at: str
    def __init__(self, attempt: _Optional[int] = ..., http_status: _Optional[int] = ..., error: _Optional[str] = ..., duration_ms: _Optional[int] = ..., at: _Optional[str] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("id", "event_id", "event", "webhook_id", "target_url", "status", "attempt_count", "last_error", "created_at", "delivered_at", "next_attempt_at", "set_aside_at", "attempts", "body")
    ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    SET_ASIDE_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    id: str
    event_id: str
    event: str
    webhook_id: str
    target_url: str
    status: str
    attempt_count: int
    last_error: str
    created_at: str
    delivered_at: str
    next_attempt_at: str
    set_aside_at: str
    attempts: _containers.RepeatedCompositeFieldContainer[WebhookDeliveryAttempt]
    body: str
    def __init__(self, id: _Optional[str] = ..., event_id: _Optional[str] = ..., event: _Optional[str] = ..., webhook_id: _Optional[str] = ..., target_url: _Optional[str] = ..., status: _Optional[str] = ..., attempt_count: _Optional[int] = ..., last_error: _Optional[str] = ..., created_at: _Optional[str] = ..., delivered_at: _Optional[str] = ..., next_attempt_at: _Optional[str] = ..., set_aside_at: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[WebhookDeliveryAttempt, _Mapping]]] = ..., body: _Optional[str] = ...) -> None: ...

class SyncJobResource(_message.Message):
    __slots__ = ("resource", "method", "id", "query", "loop_on", "depends_on", "persist")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LOOP_ON_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    PERSIST_FIELD_NUMBER: _ClassVar[int]
    resource: str
    method: str
    id: str
    query: _struct_pb2.Struct
    loop_on: str
    depends_on: str
    persist: bool
    def __init__(self, resource: _Optional[str] = ..., method: _Optional[str] = ..., id: _Optional[str] = ..., query: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., loop_on: _Optional[str] = ..., depends_on: _Optional[str] = ..., persist: _Optional[bool] = ...) -> None: ...

class SyncJob(_message.Message):
    __slots__ = ("id", "integration_name", "label", "args_schema", "resources", "environment_id", "mutex_key", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ARGS_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MUTEX_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    integration_name: str
    label: str
    args_schema: _struct_pb2.Struct
    resources: _containers.RepeatedCompositeFieldContainer[SyncJobResource]
    environment_id: str
    mutex_key: str
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., integration_name: _Optional[str] = ..., label: _Optional[str] = ..., args_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[SyncJobResource, _Mapping]]] = ..., environment_id: _Optional[str] = ..., mutex_key: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class SyncJobRun(_message.Message):
    __slots__ = ("id", "args", "resources", "sync_job_id", "integrated_account_id", "status", "daemon_id", "daemon_group_key", "webhook_id", "error_handling", "ignore_previous_run", "mutex_key", "resource_stats", "previous_run_date", "rate_limited_until", "error", "created_at", "updated_at", "started_at", "finished_at", "sync_job")
    ID_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DAEMON_ID_FIELD_NUMBER: _ClassVar[int]
    DAEMON_GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_HANDLING_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PREVIOUS_RUN_FIELD_NUMBER: _ClassVar[int]
    MUTEX_KEY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_STATS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_RUN_DATE_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    SYNC_JOB_FIELD_NUMBER: _ClassVar[int]
    id: str
    args: _struct_pb2.Struct
    resources: _containers.RepeatedCompositeFieldContainer[SyncJobResource]
    sync_job_id: str
    integrated_account_id: str
    status: str
    daemon_id: str
    daemon_group_key: str
    webhook_id: str
    error_handling: str
    ignore_previous_run: bool
    mutex_key: str
    resource_stats: _struct_pb2.Struct
    previous_run_date: str
    rate_limited_until: str
    error: str
    created_at: str
    updated_at: str
    started_at: str
    finished_at: str
    sync_job: SyncJob
    def __init__(self, id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[SyncJobResource, _Mapping]]] = ..., sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ..., status: _Optional[str] = ..., daemon_id: _Optional[str] = ..., daemon_group_key: _Optional[str] = ..., webhook_id: _Optional[str] = ..., error_handling: _Optional[str] = ..., ignore_previous_run: _Optional[bool] = ..., mutex_key: _Optional[str] = ..., resource_stats: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., previous_run_date: _Optional[str] = ..., rate_limited_until: _Optional[str] = ..., error: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., started_at: _Optional[str] = ..., finished_at: _Optional[str] = ..., sync_job: _Optional[_Union[SyncJob, _Mapping]] = ...) -> None: ...

class SyncJobCronTrigger(_message.Message):
    __slots__ = ("id", "sync_job_id", "integrated_account_id", "args", "cron_expression", "daemon_group_key", "webhook_id", "error_handling", "ignore_previous_run", "next_run_at", "last_run_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    DAEMON_GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_HANDLING_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PREVIOUS_RUN_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    sync_job_id: str
    integrated_account_id: str
    args: _struct_pb2.Struct
    cron_expression: str
    daemon_group_key: str
    webhook_id: str
    error_handling: str
    ignore_previous_run: bool
    next_run_at: str
    last_run_at: str
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., cron_expression: _Optional[str] = ..., daemon_group_key: _Optional[str] = ..., webhook_id: _Optional[str] = ..., error_handling: _Optional[str] = ..., ignore_previous_run: _Optional[bool] = ..., next_run_at: _Optional[str] = ..., last_run_at: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class Daemon(_message.Message):
    __slots__ = ("id", "label", "group_key", "status", "last_active_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    group_key: str
    status: str
    last_active_at: str
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ..., group_key: _Optional[str] = ..., status: _Optional[str] = ..., last_active_at: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...
