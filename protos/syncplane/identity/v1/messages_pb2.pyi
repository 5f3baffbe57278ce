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

class SettingDefinition(_message.Message):
    __slots__ = ("name", "type", "required", "secret", "description", "default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    required: bool
    secret: bool
    description: str
    default: _struct_pb2.Value
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., required: _Optional[bool] = ..., secret: _Optional[bool] = ..., description: _Optional[str] = ..., default: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class ConnectorDefinition(_message.Message):
    __slots__ = ("id", "name", "description", "connector", "supports_full_import", "supports_delta_import", "supports_export", "supports_partitions", "supports_file_paths", "runnable", "unavailable_reason", "settings")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_FULL_IMPORT_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_DELTA_IMPORT_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_EXPORT_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_FILE_PATHS_FIELD_NUMBER: _ClassVar[int]
    RUNNABLE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
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
    unavailable_reason: str
    settings: _containers.RepeatedCompositeFieldContainer[SettingDefinition]
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., connector: _Optional[str] = ..., supports_full_import: _Optional[bool] = ..., supports_delta_import: _Optional[bool] = ..., supports_export: _Optional[bool] = ..., supports_partitions: _Optional[bool] = ..., supports_file_paths: _Optional[bool] = ..., runnable: _Optional[bool] = ..., unavailable_reason: _Optional[str] = ..., settings: _Optional[_Iterable[_Union[SettingDefinition, _Mapping]]] = ...) -> None: ...

class Attribute(_message.Message):
    __slots__ = ("name", "type", "multi_valued")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MULTI_VALUED_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    multi_valued: bool
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., multi_valued: _Optional[bool] = ...) -> None: ...

class ObjectType(_message.Message):
    __slots__ = ("name", "anchor", "attributes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    anchor: str
    attributes: _containers.RepeatedCompositeFieldContainer[Attribute]
    def __init__(self, name: _Optional[str] = ..., anchor: _Optional[str] = ..., attributes: _Optional[_Iterable[_Union[Attribute, _Mapping]]] = ...) -> None: ...

class Partition(_message.Message):
    __slots__ = ("id", "name", "external_id", "selected")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    external_id: str
    selected: bool
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., external_id: _Optional[str] = ..., selected: _Optional[bool] = ...) -> None: ...

class ConnectedSystemHeader(_message.Message):
    __slots__ = ("id", "name", "description", "created", "status", "object_count", "connector_name", "connector_id", "pending_export_objects_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    PENDING_EXPORT_OBJECTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    created: _timestamp_pb2.Timestamp
    status: str
    object_count: int
    connector_name: str
    connector_id: int
    pending_export_objects_count: int
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., object_count: _Optional[int] = ..., connector_name: _Optional[str] = ..., connector_id: _Optional[int] = ..., pending_export_objects_count: _Optional[int] = ...) -> None: ...

class ConnectedSystem(_message.Message):
    __slots__ = ("id", "name", "description", "created", "last_updated", "status", "object_count", "pending_export_objects_count", "connector_name", "connector_id", "settings", "secret_settings", "object_types", "partitions", "containers", "schema_imported")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_EXPORT_OBJECTS_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    SECRET_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPES_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    created: _timestamp_pb2.Timestamp
    last_updated: _timestamp_pb2.Timestamp
    status: str
    object_count: int
    pending_export_objects_count: int
    connector_name: str
    connector_id: int
    settings: _struct_pb2.Struct
    secret_settings: _containers.RepeatedScalarFieldContainer[str]
    object_types: _containers.RepeatedCompositeFieldContainer[ObjectType]
    partitions: _containers.RepeatedCompositeFieldContainer[Partition]
    containers: _containers.RepeatedScalarFieldContainer[str]
    schema_imported: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., object_count: _Optional[int] = ..., pending_export_objects_count: _Optional[int] = ..., connector_name: _Optional[str] = ..., connector_id: _Optional[int] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secret_settings: _Optional[_Iterable[str]] = ..., object_types: _Optional[_Iterable[_Union[ObjectType, _Mapping]]] = ..., partitions: _Optional[_Iterable[_Union[Partition, _Mapping]]] = ..., containers: _Optional[_Iterable[str]] = ..., schema_imported: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunProfile(_message.Message):
    __slots__ = ("id", "name", "connected_system_id", "run_type", "page_size", "partition_name", "file_path")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_NAME_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    connected_system_id: int
    run_type: str
    page_size: int
    partition_name: str
    file_path: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., run_type: _Optional[str] = ..., page_size: _Optional[int] = ..., partition_name: _Optional[str] = ..., file_path: _Optional[str] = ...) -> None: ...

class ScopeCondition(_message.Message):
    __slots__ = ("attribute", "operator", "value")
    ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    attribute: str
    operator: str
    value: str
    def __init__(self, attribute: _Optional[str] = ..., operator: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class JoinRule(_message.Message):
    __slots__ = ("cs_attribute", "mv_attribute")
    CS_ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    MV_ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    cs_attribute: str
    mv_attribute: str
    def __init__(self, cs_attribute: _Optional[str] = ..., mv_attribute: _Optional[str] = ...) -> None: ...

class AttributeFlow(_message.Message):
    __slots__ = ("target", "source", "sources", "separator", "constant", "transform")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    SEPARATOR_FIELD_NUMBER: _ClassVar[int]
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    TRANSFORM_FIELD_NUMBER: _ClassVar[int]
    target: str
    source: str
    sources: _containers.RepeatedScalarFieldContainer[str]
    separator: str
    constant: str
    transform: str
    def __init__(self, target: _Optional[str] = ..., source: _Optional[str] = ..., sources: _Optional[_Iterable[str]] = ..., separator: _Optional[str] = ..., constant: _Optional[str] = ..., transform: _Optional[str] = ...) -> None: ...

class SyncRule(_message.Message):
    __slots__ = ("id", "name", "connected_system_id", "direction", "cs_object_type", "mv_object_type", "enabled", "precedence", "scope", "join_rules", "project_to_metaverse", "provision_to_connected_system", "deprovision_when_out_of_scope", "external_id_template", "attribute_flows", "created", "last_updated")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CS_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MV_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    PRECEDENCE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    JOIN_RULES_FIELD_NUMBER: _ClassVar[int]
    PROJECT_TO_METAVERSE_FIELD_NUMBER: _ClassVar[int]
    PROVISION_TO_CONNECTED_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    DEPROVISION_WHEN_OUT_OF_SCOPE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTE_FLOWS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATED_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    connected_system_id: int
    direction: str
    cs_object_type: str
    mv_object_type: str
    enabled: bool
    precedence: int
    scope: _containers.RepeatedCompositeFieldContainer[ScopeCondition]
    join_rules: _containers.RepeatedCompositeFieldContainer[JoinRule]
    project_to_metaverse: bool
    provision_to_connected_system: bool
    deprovision_when_out_of_scope: bool
    external_id_template: str
    attribute_flows: _containers.RepeatedCompositeFieldContainer[AttributeFlow]
    created: _timestamp_pb2.Timestamp
    last_updated: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., direction: _Optional[str] = ..., cs_object_type: _Optional[str] = ..., mv_object_type: _Optional[str] = ..., enabled: _Optional[bool] = ..., precedence: _Optional[int] = ..., scope: _Optional[_Iterable[_Union[ScopeCondition, _Mapping]]] = ..., join_rules: _Optional[_Iterable[_Union[JoinRule, _Mapping]]] = ..., project_to_metaverse: _Optional[bool] = ..., provision_to_connected_system: _Optional[bool] = ..., deprovision_when_out_of_scope: _Optional[bool] = ..., external_id_template: _Optional[str] = ..., attribute_flows: _Optional[_Iterable[_Union[AttributeFlow, _Mapping]]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_updated: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActivityCounters(_message.Message):
    __slots__ = ("total_added", "total_updated", "total_deleted", "total_projected", "total_joined", "total_attribute_flows", "total_disconnected", "total_provisioned", "total_exported", "total_pending_exports", "total_errors")
    TOTAL_ADDED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_UPDATED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DELETED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PROJECTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_JOINED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ATTRIBUTE_FLOWS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DISCONNECTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PROVISIONED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EXPORTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PENDING_EXPORTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ERRORS_FIELD_NUMBER: _ClassVar[int]
    total_added: int
    total_updated: int
    total_deleted: int
    total_projected: int
    total_joined: int
    total_attribute_flows: int
    total_disconnected: int
    total_provisioned: int
    total_exported: int
    total_pending_exports: int
    total_errors: int
    def __init__(self, total_added: _Optional[int] = ..., total_updated: _Optional[int] = ..., total_deleted: _Optional[int] = ..., total_projected: _Optional[int] = ..., total_joined: _Optional[int] = ..., total_attribute_flows: _Optional[int] = ..., total_disconnected: _Optional[int] = ..., total_provisioned: _Optional[int] = ..., total_exported: _Optional[int] = ..., total_pending_exports: _Optional[int] = ..., total_errors: _Optional[int] = ...) -> None: ...

class Activity(_message.Message):
    __slots__ = ("id", "created", "executed", "status", "target_type", "target_operation_type", "target_name", "target_context", "message", "initiated_by_type", "initiated_by_id", "initiated_by_name", "objects_to_process", "objects_processed", "execution_time", "total_activity_time", "connected_system_run_type", "counters", "error_message", "warning_message", "connected_system_id", "connected_system_run_profile_id", "ended", "schedule_execution_id", "schedule_step_index", "scheduled_by_schedule_id", "scheduled_by_schedule_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_OPERATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_ID_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_NAME_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_TO_PROCESS_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WARNING_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_BY_SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_BY_SCHEDULE_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    created: _timestamp_pb2.Timestamp
    executed: _timestamp_pb2.Timestamp
    status: str
    target_type: str
    target_operation_type: str
    target_name: str
    target_context: str
    message: str
    initiated_by_type: str
    initiated_by_id: str
    initiated_by_name: str
    objects_to_process: int
    objects_processed: int
    execution_time: float
    total_activity_time: float
    connected_system_run_type: str
    counters: ActivityCounters
    error_message: str
    warning_message: str
    connected_system_id: int
    connected_system_run_profile_id: int
    ended: _timestamp_pb2.Timestamp
    schedule_execution_id: str
    schedule_step_index: int
    scheduled_by_schedule_id: str
    scheduled_by_schedule_name: str
    def __init__(self, id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., executed: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., target_type: _Optional[str] = ..., target_operation_type: _Optional[str] = ..., target_name: _Optional[str] = ..., target_context: _Optional[str] = ..., message: _Optional[str] = ..., initiated_by_type: _Optional[str] = ..., initiated_by_id: _Optional[str] = ..., initiated_by_name: _Optional[str] = ..., objects_to_process: _Optional[int] = ..., objects_processed: _Optional[int] = ..., execution_time: _Optional[float] = ..., total_activity_time: _Optional[float] = ..., connected_system_run_type: _Optional[str] = ..., counters: _Optional[_Union[ActivityCounters, _Mapping]] = ..., error_message: _Optional[str] = ..., warning_message: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., connected_system_run_profile_id: _Optional[int] = ..., ended: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., schedule_execution_id: _Optional[str] = ..., schedule_step_index: _Optional[int] = ..., scheduled_by_schedule_id: _Optional[str] = ..., scheduled_by_schedule_name: _Optional[str] = ...) -> None: ...

class Phase(_message.Message):
    __slots__ = ("key", "name", "status", "started", "ended")
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    status: str
    started: _timestamp_pb2.Timestamp
    ended: _timestamp_pb2.Timestamp
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., started: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ActivityProgress(_message.Message):
    __slots__ = ("id", "status", "message", "objects_processed", "objects_to_process", "percent_complete", "elapsed_seconds", "objects_per_second", "estimated_seconds_remaining", "run_type", "operation_counts", "total_errors", "phases", "current_phase", "current_phase_number", "total_phases", "retrieved_at")
    class OperationCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_TO_PROCESS_FIELD_NUMBER: _ClassVar[int]
    PERCENT_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_SECONDS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ERRORS_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PHASE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PHASE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PHASES_FIELD_NUMBER: _ClassVar[int]
    RETRIEVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    message: str
    objects_processed: int
    objects_to_process: int
    percent_complete: float
    elapsed_seconds: float
    objects_per_second: float
    estimated_seconds_remaining: float
    run_type: str
    operation_counts: _containers.ScalarMap[str, int]
    total_errors: int
    phases: _containers.RepeatedCompositeFieldContainer[Phase]
    current_phase: str
    current_phase_number: int
    total_phases: int
    retrieved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., objects_processed: _Optional[int] = ..., objects_to_process: _Optional[int] = ..., percent_complete: _Optional[float] = ..., elapsed_seconds: _Optional[float] = ..., objects_per_second: _Optional[float] = ..., estimated_seconds_remaining: _Optional[float] = ..., run_type: _Optional[str] = ..., operation_counts: _Optional[_Mapping[str, int]] = ..., total_errors: _Optional[int] = ..., phases: _Optional[_Iterable[_Union[Phase, _Mapping]]] = ..., current_phase: _Optional[str] = ..., current_phase_number: _Optional[int] = ..., total_phases: _Optional[int] = ..., retrieved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ("anchor", "error")
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    anchor: str
    error: str
    def __init__(self, anchor: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ActivityStats(_message.Message):
    __slots__ = ("activity_id", "status", "total_objects_processed", "total_object_changes", "counters", "item_errors", "warnings")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_OBJECTS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_OBJECT_CHANGES_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    ITEM_ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    status: str
    total_objects_processed: int
    total_object_changes: int
    counters: ActivityCounters
    item_errors: _containers.RepeatedCompositeFieldContainer[ItemError]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, activity_id: _Optional[str] = ..., status: _Optional[str] = ..., total_objects_processed: _Optional[int] = ..., total_object_changes: _Optional[int] = ..., counters: _Optional[_Union[ActivityCounters, _Mapping]] = ..., item_errors: _Optional[_Iterable[_Union[ItemError, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkerTask(_message.Message):
    __slots__ = ("id", "activity_id", "type", "status", "name", "connected_system_id", "run_profile_id", "created", "started", "executor_id", "attempt")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    id: str
    activity_id: str
    type: str
    status: str
    name: str
    connected_system_id: int
    run_profile_id: int
    created: _timestamp_pb2.Timestamp
    started: _timestamp_pb2.Timestamp
    executor_id: str
    attempt: int
    def __init__(self, id: _Optional[str] = ..., activity_id: _Optional[str] = ..., type: _Optional[str] = ..., status: _Optional[str] = ..., name: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., run_profile_id: _Optional[int] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., executor_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...
