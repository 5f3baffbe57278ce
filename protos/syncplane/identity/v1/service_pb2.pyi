import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from syncplane.identity.v1 import messages_pb2 as _messages_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListConnectorDefinitionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListConnectorDefinitionsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ConnectorDefinition]
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.ConnectorDefinition, _Mapping]]] = ...) -> None: ...

class GetConnectorDefinitionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class ListConnectedSystemsRequest(_message.Message):
    __slots__ = ("page", "page_size", "sort_by", "sort_direction", "search")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    sort_by: str
    sort_direction: str
    search: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., sort_by: _Optional[str] = ..., sort_direction: _Optional[str] = ..., search: _Optional[str] = ...) -> None: ...

class ListConnectedSystemsResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ConnectedSystemHeader]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.ConnectedSystemHeader, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class CreateConnectedSystemRequest(_message.Message):
    __slots__ = ("name", "description", "connector_definition_id", "settings", "secrets")
    class SecretsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_DEFINITION_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    connector_definition_id: int
    settings: _struct_pb2.Struct
    secrets: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., connector_definition_id: _Optional[int] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetConnectedSystemRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class UpdateConnectedSystemRequest(_message.Message):
    __slots__ = ("id", "name", "description", "settings", "secrets", "status")
    class SecretsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    SECRETS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: int
    name: str
    description: str
    settings: _struct_pb2.Struct
    secrets: _containers.ScalarMap[str, str]
    status: str
    def __init__(self, id: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., secrets: _Optional[_Mapping[str, str]] = ..., status: _Optional[str] = ...) -> None: ...

class DeleteConnectedSystemRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class DeleteConnectedSystemResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ImportConnectedSystemSchemaRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class ListPartitionsRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class ListPartitionsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Partition]
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.Partition, _Mapping]]] = ...) -> None: ...

class UpdatePartitionRequest(_message.Message):
    __slots__ = ("id", "partition_id", "selected")
    ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    SELECTED_FIELD_NUMBER: _ClassVar[int]
    id: int
    partition_id: int
    selected: bool
    def __init__(self, id: _Optional[int] = ..., partition_id: _Optional[int] = ..., selected: _Optional[bool] = ...) -> None: ...

class ListRunProfilesRequest(_message.Message):
    __slots__ = ("connected_system_id",)
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    connected_system_id: int
    def __init__(self, connected_system_id: _Optional[int] = ...) -> None: ...

class ListRunProfilesResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.RunProfile]
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.RunProfile, _Mapping]]] = ...) -> None: ...

class CreateRunProfileRequest(_message.Message):
    __slots__ = ("connected_system_id", "name", "run_type", "page_size", "partition_id", "file_path")
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    connected_system_id: int
    name: str
    run_type: str
    page_size: int
    partition_id: int
    file_path: str
    def __init__(self, connected_system_id: _Optional[int] = ..., name: _Optional[str] = ..., run_type: _Optional[str] = ..., page_size: _Optional[int] = ..., partition_id: _Optional[int] = ..., file_path: _Optional[str] = ...) -> None: ...

class UpdateRunProfileRequest(_message.Message):
    __slots__ = ("connected_system_id", "run_profile_id", "name", "run_type", "page_size", "partition_id", "file_path")
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    connected_system_id: int
    run_profile_id: int
    name: str
    run_type: str
    page_size: int
    partition_id: int
    file_path: str
    def __init__(self, connected_system_id: _Optional[int] = ..., run_profile_id: _Optional[int] = ..., name: _Optional[str] = ..., run_type: _Optional[str] = ..., page_size: _Optional[int] = ..., partition_id: _Optional[int] = ..., file_path: _Optional[str] = ...) -> None: ...

class DeleteRunProfileRequest(_message.Message):
    __slots__ = ("connected_system_id", "run_profile_id")
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    connected_system_id: int
    run_profile_id: int
    def __init__(self, connected_system_id: _Optional[int] = ..., run_profile_id: _Optional[int] = ...) -> None: ...

class DeleteRunProfileResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecuteRunProfileRequest(_message.Message):
    __slots__ = ("connected_system_id", "run_profile_id")
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_ID_FIELD_NUMBER: _ClassVar[int]
    connected_system_id: int
    run_profile_id: int
    def __init__(self, connected_system_id: _Optional[int] = ..., run_profile_id: _Optional[int] = ...) -> None: ...

class ExecuteRunProfileResponse(_message.Message):
    __slots__ = ("activity_id", "task_id", "message", "warnings")
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    activity_id: str
    task_id: str
    message: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, activity_id: _Optional[str] = ..., task_id: _Optional[str] = ..., message: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class ListSyncRulesRequest(_message.Message):
    __slots__ = ("page", "page_size", "sort_by", "sort_direction", "connected_system_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    sort_by: str
    sort_direction: str
    connected_system_id: int
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., sort_by: _Optional[str] = ..., sort_direction: _Optional[str] = ..., connected_system_id: _Optional[int] = ...) -> None: ...

class ListSyncRulesResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncRule]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.SyncRule, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class SyncRuleInput(_message.Message):
    __slots__ = ("name", "connected_system_id", "direction", "cs_object_type", "mv_object_type", "enabled", "precedence", "scope", "join_rules", "project_to_metaverse", "provision_to_connected_system", "deprovision_when_out_of_scope", "external_id_template", "attribute_flows")
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
    name: str
    connected_system_id: int
    direction: str
    cs_object_type: str
    mv_object_type: str
    enabled: bool
    precedence: int
    scope: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ScopeCondition]
    join_rules: _containers.RepeatedCompositeFieldContainer[_messages_pb2.JoinRule]
    project_to_metaverse: bool
    provision_to_connected_system: bool
    deprovision_when_out_of_scope: bool
    external_id_template: str
    attribute_flows: _containers.RepeatedCompositeFieldContainer[_messages_pb2.AttributeFlow]
    def __init__(self, name: _Optional[str] = ..., connected_system_id: _Optional[int] = ..., direction: _Optional[str] = ..., cs_object_type: _Optional[str] = ..., mv_object_type: _Optional[str] = ..., enabled: _Optional[bool] = ..., precedence: _Optional[int] = ..., scope: _Optional[_Iterable[_Union[_messages_pb2.ScopeCondition, _Mapping]]] = ..., join_rules: _Optional[_Iterable[_Union[_messages_pb2.JoinRule, _Mapping]]] = ..., project_to_metaverse: _Optional[bool] = ..., provision_to_connected_system: _Optional[bool] = ..., deprovision_when_out_of_scope: _Optional[bool] = ..., external_id_template: _Optional[str] = ..., attribute_flows: _Optional[_Iterable[_Union[_messages_pb2.AttributeFlow, _Mapping]]] = ...) -> None: ...

class CreateSyncRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: SyncRuleInput
    def __init__(self, rule: _Optional[_Union[SyncRuleInput, _Mapping]] = ...) -> None: ...

class GetSyncRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class UpdateSyncRuleRequest(_message.Message):
    __slots__ = ("id", "rule")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    id: int
    rule: SyncRuleInput
    def __init__(self, id: _Optional[int] = ..., rule: _Optional[_Union[SyncRuleInput, _Mapping]] = ...) -> None: ...

class DeleteSyncRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class DeleteSyncRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListActivitiesRequest(_message.Message):
    __slots__ = ("page", "page_size", "sort_by", "sort_direction", "status", "connected_system", "run_profile", "created_from", "created_to", "search", "scheduled_only", "schedule_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    RUN_PROFILE_FIELD_NUMBER: _ClassVar[int]
    CREATED_FROM_FIELD_NUMBER: _ClassVar[int]
    CREATED_TO_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_ONLY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    sort_by: str
    sort_direction: str
    status: _containers.RepeatedScalarFieldContainer[str]
    connected_system: str
    run_profile: str
    created_from: _timestamp_pb2.Timestamp
    created_to: _timestamp_pb2.Timestamp
    search: str
    scheduled_only: bool
    schedule_id: str
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ..., sort_by: _Optional[str] = ..., sort_direction: _Optional[str] = ..., status: _Optional[_Iterable[str]] = ..., connected_system: _Optional[str] = ..., run_profile: _Optional[str] = ..., created_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., search: _Optional[str] = ..., scheduled_only: _Optional[bool] = ..., schedule_id: _Optional[str] = ...) -> None: ...

class ListActivitiesResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Activity]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.Activity, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class GetActivityRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetActivityProgressRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetActivityStatsRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchActivityRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListWorkerTasksRequest(_message.Message):
    __slots__ = ("page", "page_size")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListWorkerTasksResponse(_message.Message):
    __slots__ = ("items", "total_count", "page", "page_size", "total_pages", "has_next_page", "has_previous_page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_NEXT_PAGE_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_messages_pb2.WorkerTask]
    total_count: int
    page: int
    page_size: int
    total_pages: int
    has_next_page: bool
    has_previous_page: bool
    def __init__(self, items: _Optional[_Iterable[_Union[_messages_pb2.WorkerTask, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., total_pages: _Optional[int] = ..., has_next_page: _Optional[bool] = ..., has_previous_page: _Optional[bool] = ...) -> None: ...

class GetWorkerTaskRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelWorkerTaskRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...
