import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TableBinding(_message.Message):
    __slots__ = ("id", "entity_key", "logical_table_name", "physical_table_name", "table_name", "primary_key_columns", "cursor_field", "load_mode", "source_instance_key", "table_naming_version", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_KEY_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_FIELD_NUMBER: _ClassVar[int]
    LOAD_MODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_INSTANCE_KEY_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAMING_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    entity_key: str
    logical_table_name: str
    physical_table_name: str
    table_name: str
    primary_key_columns: _containers.RepeatedScalarFieldContainer[str]
    cursor_field: str
    load_mode: str
    source_instance_key: str
    table_naming_version: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., entity_key: _Optional[str] = ..., logical_table_name: _Optional[str] = ..., physical_table_name: _Optional[str] = ..., table_name: _Optional[str] = ..., primary_key_columns: _Optional[_Iterable[str]] = ..., cursor_field: _Optional[str] = ..., load_mode: _Optional[str] = ..., source_instance_key: _Optional[str] = ..., table_naming_version: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Sync(_message.Message):
    __slots__ = ("id", "connection_id", "name", "slug", "provider_key", "entities", "source_config", "destination_config", "execution_backend", "execution_config", "execution_mode", "status", "trigger_mode", "schedule", "freshness_sla_seconds", "table_bindings", "last_error", "last_success_at", "task_slug", "created_at", "updated_at", "created_by", "updated_by", "fresh", "fresh_until")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_KEY_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_BACKEND_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_MODE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_SLA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TABLE_BINDINGS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_SLUG_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    FRESH_UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    connection_id: str
    name: str
    slug: str
    provider_key: str
    entities: _containers.RepeatedScalarFieldContainer[str]
    source_config: _struct_pb2.Struct
    destination_config: _struct_pb2.Struct
    execution_backend: str
    execution_config: _struct_pb2.Struct
    execution_mode: str
    status: str
    trigger_mode: str
    schedule: _struct_pb2.Struct
    freshness_sla_seconds: int
    table_bindings: _containers.RepeatedCompositeFieldContainer[TableBinding]
    last_error: str
    last_success_at: _timestamp_pb2.Timestamp
    task_slug: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_by: str
    fresh: bool
    fresh_until: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., connection_id: _Optional[str] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., provider_key: _Optional[str] = ..., entities: _Optional[_Iterable[str]] = ..., source_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., destination_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., execution_backend: _Optional[str] = ..., execution_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., execution_mode: _Optional[str] = ..., status: _Optional[str] = ..., trigger_mode: _Optional[str] = ..., schedule: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., freshness_sla_seconds: _Optional[int] = ..., table_bindings: _Optional[_Iterable[_Union[TableBinding, _Mapping]]] = ..., last_error: _Optional[str] = ..., last_success_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_slug: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_by: _Optional[str] = ..., fresh: _Optional[bool] = ..., fresh_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SyncInput(_message.Message):
    __slots__ = ("connection_id", "name", "slug", "entities", "source_config", "destination_config", "execution_backend", "execution_config", "execution_mode", "freshness_sla_seconds", "schedule", "status", "table_bindings", "trigger_mode")
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SLUG_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CONFIG_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_BACKEND_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODE_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_SLA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TABLE_BINDINGS_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_MODE_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    name: str
    slug: str
    entities: _containers.RepeatedScalarFieldContainer[str]
    source_config: _struct_pb2.Struct
    destination_config: _struct_pb2.Struct
    execution_backend: str
    execution_config: _struct_pb2.Struct
    execution_mode: str
    freshness_sla_seconds: int
    schedule: _struct_pb2.Struct
    status: str
    table_bindings: _containers.RepeatedCompositeFieldContainer[TableBindingInput]
    trigger_mode: str
    def __init__(self, connection_id: _Optional[str] = ..., name: _Optional[str] = ..., slug: _Optional[str] = ..., entities: _Optional[_Iterable[str]] = ..., source_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., destination_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., execution_backend: _Optional[str] = ..., execution_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., execution_mode: _Optional[str] = ..., freshness_sla_seconds: _Optional[int] = ..., schedule: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., status: _Optional[str] = ..., table_bindings: _Optional[_Iterable[_Union[TableBindingInput, _Mapping]]] = ..., trigger_mode: _Optional[str] = ...) -> None: ...

class TableBindingInput(_message.Message):
    __slots__ = ("entity_key", "logical_table_name", "physical_table_name", "table_name", "primary_key_columns", "cursor_field", "load_mode", "source_instance_key", "table_naming_version")
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAME_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_KEY_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_FIELD_NUMBER: _ClassVar[int]
    LOAD_MODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_INSTANCE_KEY_FIELD_NUMBER: _ClassVar[int]
    TABLE_NAMING_VERSION_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    logical_table_name: str
    physical_table_name: str
    table_name: str
    primary_key_columns: _containers.RepeatedScalarFieldContainer[str]
    cursor_field: str
    load_mode: str
    source_instance_key: str
    table_naming_version: str
    def __init__(self, entity_key: _Optional[str] = ..., logical_table_name: _Optional[str] = ..., physical_table_name: _Optional[str] = ..., table_name: _Optional[str] = ..., primary_key_columns: _Optional[_Iterable[str]] = ..., cursor_field: _Optional[str] = ..., load_mode: _Optional[str] = ..., source_instance_key: _Optional[str] = ..., table_naming_version: _Optional[str] = ...) -> None: ...

class SyncRun(_message.Message):
    __slots__ = ("id", "sync_id", "status", "run_mode", "triggered_by", "trigger_ref", "execution_backend", "execution_mode", "executor_id", "attempt_number", "attempt_root_run_id", "previous_attempt_run_id", "next_attempt_run_id", "max_auto_resume_attempts", "last_heartbeat_at", "backend_heartbeat_at", "backend_run_ref", "backend_run_url", "backend_status", "cancel_requested_at", "cancel_requested_by", "cancel_reason", "result_class", "result_reason_code", "summary", "error", "started_at", "completed_at", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUN_MODE_FIELD_NUMBER: _ClassVar[int]
    TRIGGERED_BY_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_REF_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_BACKEND_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODE_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ROOT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ATTEMPT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_AUTO_RESUME_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    BACKEND_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_REF_FIELD_NUMBER: _ClassVar[int]
    BACKEND_RUN_URL_FIELD_NUMBER: _ClassVar[int]
    BACKEND_STATUS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    RESULT_CLASS_FIELD_NUMBER: _ClassVar[int]
    RESULT_REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    sync_id: str
    status: str
    run_mode: str
    triggered_by: str
    trigger_ref: str
    execution_backend: str
    execution_mode: str
    executor_id: str
    attempt_number: int
    attempt_root_run_id: str
    previous_attempt_run_id: str
    next_attempt_run_id: str
    max_auto_resume_attempts: int
    last_heartbeat_at: _timestamp_pb2.Timestamp
    backend_heartbeat_at: _timestamp_pb2.Timestamp
    backend_run_ref: str
    backend_run_url: str
    backend_status: _struct_pb2.Struct
    cancel_requested_at: _timestamp_pb2.Timestamp
    cancel_requested_by: str
    cancel_reason: str
    result_class: str
    result_reason_code: str
    summary: _struct_pb2.Struct
    error: str
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., sync_id: _Optional[str] = ..., status: _Optional[str] = ..., run_mode: _Optional[str] = ..., triggered_by: _Optional[str] = ..., trigger_ref: _Optional[str] = ..., execution_backend: _Optional[str] = ..., execution_mode: _Optional[str] = ..., executor_id: _Optional[str] = ..., attempt_number: _Optional[int] = ..., attempt_root_run_id: _Optional[str] = ..., previous_attempt_run_id: _Optional[str] = ..., next_attempt_run_id: _Optional[str] = ..., max_auto_resume_attempts: _Optional[int] = ..., last_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., backend_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., backend_run_ref: _Optional[str] = ..., backend_run_url: _Optional[str] = ..., backend_status: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., cancel_requested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cancel_requested_by: _Optional[str] = ..., cancel_reason: _Optional[str] = ..., result_class: _Optional[str] = ..., result_reason_code: _Optional[str] = ..., summary: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., error: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProviderResource(_message.Message):
    __slots__ = ("entity_key", "display_name", "description", "cursor_field", "load_mode", "depends_on", "default_selected", "size_class", "slicing", "storage_kind", "storage_description", "config_schema")
    ENTITY_KEY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_FIELD_NUMBER: _ClassVar[int]
    LOAD_MODE_FIELD_NUMBER: _ClassVar[int]
    DEPENDS_ON_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SELECTED_FIELD_NUMBER: _ClassVar[int]
    SIZE_CLASS_FIELD_NUMBER: _ClassVar[int]
    SLICING_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KIND_FIELD_NUMBER: _ClassVar[int]
    STORAGE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    entity_key: str
    display_name: str
    description: str
    cursor_field: str
    load_mode: str
    depends_on: _containers.RepeatedScalarFieldContainer[str]
    default_selected: bool
    size_class: str
    slicing: _struct_pb2.Struct
    storage_kind: str
    storage_description: str
    config_schema: _struct_pb2.Struct
    def __init__(self, entity_key: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., cursor_field: _Optional[str] = ..., load_mode: _Optional[str] = ..., depends_on: _Optional[_Iterable[str]] = ..., default_selected: _Optional[bool] = ..., size_class: _Optional[str] = ..., slicing: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., storage_kind: _Optional[str] = ..., storage_description: _Optional[str] = ..., config_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ProviderCatalog(_message.Message):
    __slots__ = ("provider", "name", "display_name", "config_schema", "defaults", "resources", "available_resources", "default_resources", "dynamic_resources", "runnable", "unavailable_reason")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    RUNNABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    provider: str
    name: str
    display_name: str
    config_schema: _struct_pb2.Struct
    defaults: _struct_pb2.Struct
    resources: _containers.RepeatedCompositeFieldContainer[ProviderResource]
    available_resources: _containers.RepeatedScalarFieldContainer[str]
    default_resources: _containers.RepeatedScalarFieldContainer[str]
    dynamic_resources: bool
    runnable: bool
    unavailable_reason: str
    def __init__(self, provider: _Optional[str] = ..., name: _Optional[str] = ..., display_name: _Optional[str] = ..., config_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., defaults: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[ProviderResource, _Mapping]]] = ..., available_resources: _Optional[_Iterable[str]] = ..., default_resources: _Optional[_Iterable[str]] = ..., dynamic_resources: _Optional[bool] = ..., runnable: _Optional[bool] = ..., unavailable_reason: _Optional[str] = ...) -> None: ...

class Connection(_message.Message):
    __slots__ = ("id", "name", "provider_key", "config", "secret_keys", "created_at", "updated_at", "created_by", "updated_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_KEY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEYS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    provider_key: str
    config: _struct_pb2.Struct
    secret_keys: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., provider_key: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secret_keys: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_by: _Optional[str] = ...) -> None: ...

class ConnectionInput(_message.Message):
    __slots__ = ("name", "provider_key", "config", "secrets")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_KEY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    name: str
    provider_key: str
    config: _struct_pb2.Struct
    secrets: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., provider_key: _Optional[str] = ..., config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
