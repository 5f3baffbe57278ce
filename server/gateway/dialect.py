"""A service's REST dialect, read once from its `syncplane.options.v1.dialect` option."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor

from syncplane.options.v1 import options_pb2


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one service's REST clients expect JSON and errors to look."""

    name: str
    """Short name, for logs and the OpenAPI document."""
    snake_case: bool
    """JSON fields named by their proto names; otherwise lowerCamel JSON names."""
    error_style: int
    """An `options_pb2.ErrorStyle` value; never UNSPECIFIED."""
    api_key_cookie: str
    """Cookie that may carry an API key, or "" when the dialect has none."""
    reject_duplicate_keys: bool = False
    """A JSON body naming one property twice is a 400 (otherwise the last one wins)."""


DEFAULT_DIALECT = Dialect(
    name="default",
    snake_case=False,
    error_style=options_pb2.ERROR_STYLE_GOOGLE_RPC,
    api_key_cookie="",
)


def dialect_of(service: ServiceDescriptor) -> Dialect:
    """The dialect declared on `service`, with grpc-gateway's defaults for what it leaves unset."""
    options = service.GetOptions()
    if not options.HasExtension(options_pb2.dialect):
        return DEFAULT_DIALECT
    declared = options.Extensions[options_pb2.dialect]
    style = declared.error_style or options_pb2.ERROR_STYLE_GOOGLE_RPC
    return Dialect(
        name=declared.name or service.name,
        snake_case=declared.json_naming == options_pb2.JSON_NAMING_SNAKE,
        error_style=style,
        api_key_cookie=declared.api_key_cookie,
        reject_duplicate_keys=declared.reject_duplicate_keys,
    )
