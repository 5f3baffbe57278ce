from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from syncplane.jobs.v1 import messages_pb2 as _messages_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListIntegrationsRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "name")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    name: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Integration]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.Integration, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteIntegrationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListIntegratedAccountsRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "integration_name", "environment_id")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    integration_name: str
    environment_id: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., integration_name: _Optional[str] = ..., environment_id: _Optional[str] = ...) -> None: ...

class ListIntegratedAccountsResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.IntegratedAccount]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.IntegratedAccount, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetIntegratedAccountRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteIntegratedAccountRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "environment_id")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    environment_id: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., environment_id: _Optional[str] = ...) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Webhook]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.Webhook, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetWebhookRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListSyncJobsRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "integration_name", "environment_id")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    integration_name: str
    environment_id: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., integration_name: _Optional[str] = ..., environment_id: _Optional[str] = ...) -> None: ...

class ListSyncJobsResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncJob]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.SyncJob, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetSyncJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteSyncJobRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListSyncJobCronTriggersRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "sync_job_id", "integrated_account_id")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    sync_job_id: str
    integrated_account_id: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ...) -> None: ...

class ListSyncJobCronTriggersResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncJobCronTrigger]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.SyncJobCronTrigger, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetSyncJobCronTriggerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteSyncJobCronTriggerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListSyncJobRunsRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "sync_job_id", "integrated_account_id", "status")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    sync_job_id: str
    integrated_account_id: str
    status: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListSyncJobRunsResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncJobRun]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.SyncJobRun, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetSyncJobRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteSyncJobRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListDaemonsRequest(_message.Message):
    __slots__ = ("next_cursor", "limit", "group_key")
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    limit: int
    group_key: str
    def __init__(self, next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., group_key: _Optional[str] = ...) -> None: ...

class ListDaemonsResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Daemon]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.Daemon, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetDaemonRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteDaemonRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchSyncJobRunRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListSyncJobRunWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("id", "next_cursor", "limit", "webhook_id", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    next_cursor: str
    limit: int
    webhook_id: str
    status: str
    def __init__(self, id: _Optional[str] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ..., webhook_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListSyncJobRunWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("result", "next_cursor", "limit")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    result: _containers.RepeatedCompositeFieldContainer[_messages_pb2.WebhookDelivery]
    next_cursor: str
    limit: int
    def __init__(self, result: _Optional[_Iterable[_Union[_messages_pb2.WebhookDelivery, _Mapping]]] = ..., next_cursor: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class CreateIntegrationRequest(_message.Message):
    __slots__ = ("name", "label", "base_url", "auth", "resources")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    label: str
    base_url: str
    auth: _struct_pb2.Struct
    resources: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., label: _Optional[str] = ..., base_url: _Optional[str] = ..., auth: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class UpdateIntegrationRequest(_message.Message):
    __slots__ = ("id", "label", "base_url", "auth", "resources")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    base_url: str
    auth: _struct_pb2.Struct
    resources: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ..., base_url: _Optional[str] = ..., auth: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateIntegratedAccountRequest(_message.Message):
    __slots__ = ("integration_name", "context", "credentials", "tenant_id", "environment_id")
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    integration_name: str
    context: _struct_pb2.Struct
    credentials: _struct_pb2.Struct
    tenant_id: str
    environment_id: str
    def __init__(self, integration_name: _Optional[str] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., credentials: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tenant_id: _Optional[str] = ..., environment_id: _Optional[str] = ...) -> None: ...

class UpdateIntegratedAccountRequest(_message.Message):
    __slots__ = ("id", "context", "credentials", "tenant_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    context: _struct_pb2.Struct
    credentials: _struct_pb2.Struct
    tenant_id: str
    def __init__(self, id: _Optional[str] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., credentials: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("target_url", "event_types", "is_active", "environment_id")
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    target_url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    environment_id: str
    def __init__(self, target_url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ..., environment_id: _Optional[str] = ...) -> None: ...

class UpdateWebhookRequest(_message.Message):
    __slots__ = ("id", "target_url", "event_types", "is_active")
    ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    target_url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    is_active: bool
    def __init__(self, id: _Optional[str] = ..., target_url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., is_active: _Optional[bool] = ...) -> None: ...

class CreateSyncJobRequest(_message.Message):
    __slots__ = ("integration_name", "label", "args_schema", "resources", "environment_id", "mutex_key")
    INTEGRATION_NAME_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ARGS_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ENVIRONMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MUTEX_KEY_FIELD_NUMBER: _ClassVar[int]
    integration_name: str
    label: str
    args_schema: _struct_pb2.Struct
    resources: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncJobResource]
    environment_id: str
    mutex_key: str
    def __init__(self, integration_name: _Optional[str] = ..., label: _Optional[str] = ..., args_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[_messages_pb2.SyncJobResource, _Mapping]]] = ..., environment_id: _Optional[str] = ..., mutex_key: _Optional[str] = ...) -> None: ...

class UpdateSyncJobRequest(_message.Message):
    __slots__ = ("id", "label", "args_schema", "resources", "mutex_key")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ARGS_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    MUTEX_KEY_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    args_schema: _struct_pb2.Struct
    resources: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncJobResource]
    mutex_key: str
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ..., args_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., resources: _Optional[_Iterable[_Union[_messages_pb2.SyncJobResource, _Mapping]]] = ..., mutex_key: _Optional[str] = ...) -> None: ...

class CreateSyncJobRunRequest(_message.Message):
    __slots__ = ("sync_job_id", "integrated_account_id", "args", "daemon_group_key", "webhook_id", "error_handling", "ignore_previous_run")
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    DAEMON_GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_HANDLING_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PREVIOUS_RUN_FIELD_NUMBER: _ClassVar[int]
    sync_job_id: str
    integrated_account_id: str
    args: _struct_pb2.Struct
    daemon_group_key: str
    webhook_id: str
    error_handling: str
    ignore_previous_run: bool
    def __init__(self, sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., daemon_group_key: _Optional[str] = ..., webhook_id: _Optional[str] = ..., error_handling: _Optional[str] = ..., ignore_previous_run: _Optional[bool] = ...) -> None: ...

class UpdateSyncJobRunRequest(_message.Message):
    __slots__ = ("id", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class CreateSyncJobCronTriggerRequest(_message.Message):
    __slots__ = ("sync_job_id", "integrated_account_id", "args", "cron_expression", "daemon_group_key", "webhook_id", "error_handling", "ignore_previous_run")
    SYNC_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATED_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    DAEMON_GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_HANDLING_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PREVIOUS_RUN_FIELD_NUMBER: _ClassVar[int]
    sync_job_id: str
    integrated_account_id: str
    args: _struct_pb2.Struct
    cron_expression: str
    daemon_group_key: str
    webhook_id: str
    error_handling: str
    ignore_previous_run: bool
    def __init__(self, sync_job_id: _Optional[str] = ..., integrated_account_id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., cron_expression: _Optional[str] = ..., daemon_group_key: _Optional[str] = ..., webhook_id: _Optional[str] = ..., error_handling: _Optional[str] = ..., ignore_previous_run: _Optional[bool] = ...) -> None: ...

class UpdateSyncJobCronTriggerRequest(_message.Message):
    __slots__ = ("id", "args", "cron_expression", "daemon_group_key", "webhook_id", "error_handling", "ignore_previous_run")
    ID_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    CRON_EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    DAEMON_GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_HANDLING_FIELD_NUMBER: _ClassVar[int]
    IGNORE_PREVIOUS_RUN_FIELD_NUMBER: _ClassVar[int]
    id: str
    args: _struct_pb2.Struct
    cron_expression: str
    daemon_group_key: str
    webhook_id: str
    error_handling: str
    ignore_previous_run: bool
    def __init__(self, id: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., cron_expression: _Optional[str] = ..., daemon_group_key: _Optional[str] = ..., webhook_id: _Optional[str] = ..., error_handling: _Optional[str] = ..., ignore_previous_run: _Optional[bool] = ...) -> None: ...

class CreateDaemonRequest(_message.Message):
    __slots__ = ("label", "group_key")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUP_KEY_FIELD_NUMBER: _ClassVar[int]
    label: str
    group_key: str
    def __init__(self, label: _Optional[str] = ..., group_key: _Optional[str] = ...) -> None: ...

class UpdateDaemonRequest(_message.Message):
    __slots__ = ("id", "label")
    ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    id: str
    label: str
    def __init__(self, id: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...
