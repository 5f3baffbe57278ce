from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JsonNaming(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JSON_NAMING_UNSPECIFIED: _ClassVar[JsonNaming]
    JSON_NAMING_CAMEL: _ClassVar[JsonNaming]
    JSON_NAMING_SNAKE: _ClassVar[JsonNaming]

class ErrorStyle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_STYLE_UNSPECIFIED: _ClassVar[ErrorStyle]
    ERROR_STYLE_GOOGLE_RPC: _ClassVar[ErrorStyle]
    ERROR_STYLE_DETAIL: _ClassVar[ErrorStyle]
    ERROR_STYLE_STATUS_CODE: _ClassVar[ErrorStyle]
    ERROR_STYLE_IDENTITY: _ClassVar[ErrorStyle]

class Access(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCESS_UNSPECIFIED: _ClassVar[Access]
    ACCESS_READ: _ClassVar[Access]
    ACCESS_WRITE: _ClassVar[Access]
    ACCESS_EXECUTOR: _ClassVar[Access]
JSON_NAMING_UNSPECIFIED: JsonNaming
JSON_NAMING_CAMEL: JsonNaming
JSON_NAMING_SNAKE: JsonNaming
ERROR_STYLE_UNSPECIFIED: ErrorStyle
ERROR_STYLE_GOOGLE_RPC: ErrorStyle
ERROR_STYLE_DETAIL: ErrorStyle
ERROR_STYLE_STATUS_CODE: ErrorStyle
ERROR_STYLE_IDENTITY: ErrorStyle
ACCESS_UNSPECIFIED: Access
ACCESS_READ: Access
ACCESS_WRITE: Access
ACCESS_EXECUTOR: Access
DIALECT_FIELD_NUMBER: _ClassVar[int]
dialect: _descriptor.FieldDescriptor
HTTP_SUCCESS_CODE_FIELD_NUMBER: _ClassVar[int]
http_success_code: _descriptor.FieldDescriptor
ACCESS_FIELD_NUMBER: _ClassVar[int]
access: _descriptor.FieldDescriptor
STRING_ENUM_FIELD_NUMBER: _ClassVar[int]
string_enum: _descriptor.FieldDescriptor

class Dialect(_message.Message):
    __slots__ = ("name", "json_naming", "error_style", "api_key_cookie", "reject_duplicate_keys")
    NAME_FIELD_NUMBER: _ClassVar[int]
    JSON_NAMING_FIELD_NUMBER: _ClassVar[int]
    ERROR_STYLE_FIELD_NUMBER: _ClassVar[int]
    API_KEY_COOKIE_FIELD_NUMBER: _ClassVar[int]
    REJECT_DUPLICATE_KEYS_FIELD_NUMBER: _ClassVar[int]
    name: str
    json_naming: JsonNaming
    error_style: ErrorStyle
    api_key_cookie: str
    reject_duplicate_keys: bool
    def __init__(self, name: _Optional[str] = ..., json_naming: _Optional[_Union[JsonNaming, str]] = ..., error_style: _Optional[_Union[ErrorStyle, str]] = ..., api_key_cookie: _Optional[str] = ..., reject_duplicate_keys: _Optional[bool] = ...) -> None: ...

class StringEnum(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...
