from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from syncplane.options.v1 import options_pb2 as _options_pb2
from syncplane.syncs.v1 import messages_pb2 as _messages_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListSyncsRequest(_message.Message):
    __slots__ = ("q", "status", "provider", "limit", "offset", "fresh")
    Q_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    q: str
    status: _containers.RepeatedScalarFieldContainer[str]
    provider: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    offset: int
    fresh: bool
    def __init__(self, q: _Optional[str] = ..., status: _Optional[_Iterable[str]] = ..., provider: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., fresh: _Optional[bool] = ...) -> None: ...

class ListSyncsResponse(_message.Message):
    __slots__ = ("has_next", "limit", "offset", "syncs", "total")
    HAS_NEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    has_next: bool
    limit: int
    offset: int
    syncs: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Sync]
    total: int
    def __init__(self, has_next: _Optional[bool] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., syncs: _Optional[_Iterable[_Union[_messages_pb2.Sync, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class CreateSyncRequest(_message.Message):
    __slots__ = ("sync",)
    SYNC_FIELD_NUMBER: _ClassVar[int]
    sync: _messages_pb2.SyncInput
    def __init__(self, sync: _Optional[_Union[_messages_pb2.SyncInput, _Mapping]] = ...) -> None: ...

class ListSyncProvidersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSyncProvidersResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[_messages_pb2.ProviderCatalog]
    def __init__(self, providers: _Optional[_Iterable[_Union[_messages_pb2.ProviderCatalog, _Mapping]]] = ...) -> None: ...

class ListExecutionBackendsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecutionBackend(_message.Message):
    __slots__ = ("name", "available", "setting")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    SETTING_FIELD_NUMBER: _ClassVar[int]
    name: str
    available: bool
    setting: str
    def __init__(self, name: _Optional[str] = ..., available: _Optional[bool] = ..., setting: _Optional[str] = ...) -> None: ...

class ListExecutionBackendsResponse(_message.Message):
    __slots__ = ("backends",)
    BACKENDS_FIELD_NUMBER: _ClassVar[int]
    backends: _containers.RepeatedCompositeFieldContainer[ExecutionBackend]
    def __init__(self, backends: _Optional[_Iterable[_Union[ExecutionBackend, _Mapping]]] = ...) -> None: ...

class GetSyncProviderCatalogRequest(_message.Message):
    __slots__ = ("provider",)
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    provider: str
    def __init__(self, provider: _Optional[str] = ...) -> None: ...

class GetSyncRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class WatchSyncRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CancelSyncRunRequest(_message.Message):
    __slots__ = ("run_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RetrySyncRunRequest(_message.Message):
    __slots__ = ("run_id", "run_mode")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_MODE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    run_mode: str
    def __init__(self, run_id: _Optional[str] = ..., run_mode: _Optional[str] = ...) -> None: ...

class GetSyncRequest(_message.Message):
    __slots__ = ("sync_id",)
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    sync_id: str
    def __init__(self, sync_id: _Optional[str] = ...) -> None: ...

class UpdateSyncRequest(_message.Message):
    __slots__ = ("sync_id", "sync", "update_mask")
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    SYNC_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    sync_id: str
    sync: _messages_pb2.SyncInput
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, sync_id: _Optional[str] = ..., sync: _Optional[_Union[_messages_pb2.SyncInput, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteSyncRequest(_message.Message):
    __slots__ = ("sync_id",)
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    sync_id: str
    def __init__(self, sync_id: _Optional[str] = ...) -> None: ...

class DeleteSyncResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSyncRunsRequest(_message.Message):
    __slots__ = ("sync_id", "limit", "offset")
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    sync_id: str
    limit: int
    offset: int
    def __init__(self, sync_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("status", "limit", "offset")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    status: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    offset: int
    def __init__(self, status: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListSyncRunsResponse(_message.Message):
    __slots__ = ("has_next", "limit", "offset", "runs", "total")
    HAS_NEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    has_next: bool
    limit: int
    offset: int
    runs: _containers.RepeatedCompositeFieldContainer[_messages_pb2.SyncRun]
    total: int
    def __init__(self, has_next: _Optional[bool] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., runs: _Optional[_Iterable[_Union[_messages_pb2.SyncRun, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class TriggerSyncRequest(_message.Message):
    __slots__ = ("sync_id", "run_mode")
    SYNC_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_MODE_FIELD_NUMBER: _ClassVar[int]
    sync_id: str
    run_mode: str
    def __init__(self, sync_id: _Optional[str] = ..., run_mode: _Optional[str] = ...) -> None: ...

class ListConnectionsRequest(_message.Message):
    __slots__ = ("provider", "limit", "offset")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    provider: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    offset: int
    def __init__(self, provider: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ListConnectionsResponse(_message.Message):
    __slots__ = ("has_next", "limit", "offset", "connections", "total")
    HAS_NEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    has_next: bool
    limit: int
    offset: int
    connections: _containers.RepeatedCompositeFieldContainer[_messages_pb2.Connection]
    total: int
    def __init__(self, has_next: _Optional[bool] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., connections: _Optional[_Iterable[_Union[_messages_pb2.Connection, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class CreateConnectionRequest(_message.Message):
    __slots__ = ("connection",)
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    connection: _messages_pb2.ConnectionInput
    def __init__(self, connection: _Optional[_Union[_messages_pb2.ConnectionInput, _Mapping]] = ...) -> None: ...

class GetConnectionRequest(_message.Message):
    __slots__ = ("connection_id",)
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    def __init__(self, connection_id: _Optional[str] = ...) -> None: ...

class UpdateConnectionRequest(_message.Message):
    __slots__ = ("connection_id", "connection", "update_mask")
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    connection: _messages_pb2.ConnectionInput
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, connection_id: _Optional[str] = ..., connection: _Optional[_Union[_messages_pb2.ConnectionInput, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteConnectionRequest(_message.Message):
    __slots__ = ("connection_id",)
    CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    connection_id: str
    def __init__(self, connection_id: _Optional[str] = ...) -> None: ...

class DeleteConnectionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
