"""An OpenAPI 3.0 document from the same routes the gateway serves.

Schemas follow the JSON the marshaller really writes: names per dialect, `nullable` for fields with
presence (they come out as null when unset), int64 as strings, Timestamp as a date-time string,
Struct as a free-form object. Error responses use each dialect's error shape.

Descriptions come from the .proto comments (server/gateway/comments.py), the enums of string fields from
their `string_enum` option, examples from server/gateway/openapi_examples.py, and the security schemes
from what the auth interceptor accepts (an X-API-Key header, a bearer token, a dialect's cookie).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from syncplane.options.v1 import options_pb2
from syncplane.server.gateway import descriptors as d
from syncplane.server.gateway.comments import describe
from syncplane.server.gateway.openapi_examples import EXAMPLES
from syncplane.server.gateway.routes import Route
from syncplane.server.gateway.streaming import NDJSON, SSE

Schema = dict[str, Any]

OPENAPI_VERSION = "3.0.3"
_MAX_QUERY_DEPTH = 3
_REF = "#/components/schemas/"

_ACCESS_NAMES = {
    options_pb2.ACCESS_READ: "read",
    options_pb2.ACCESS_WRITE: "write",
    options_pb2.ACCESS_EXECUTOR: "executor",
}

_ERROR_SCHEMAS: dict[str, Schema] = {
    "ValidationError": {
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
    },
    "HTTPValidationError": {
        "type": "object",
        "properties": {"detail": {"type": "array", "items": {"$ref": _REF + "ValidationError"}}},
    },
    "DetailError": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
    },
    "GoogleProtobufAny": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
    "GoogleRpcStatus": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"$ref": _REF + "GoogleProtobufAny"}},
        },
    },
    "StatusCodeError": {
        "type": "object",
        "required": ["statusCode", "error", "message"],
        "properties": {
            "statusCode": {"type": "integer"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "IdentityError": {
        "type": "object",
        "required": ["code", "message", "timestamp"],
        "properties": {
            "code": {
                "type": "string",
                "enum": [
                    "VALIDATION_ERROR", "BAD_REQUEST", "NOT_FOUND", "UNAUTHORISED", "FORBIDDEN", "CONFLICT",
                    "INTERNAL_ERROR", "SERVICE_UNAVAILABLE", "TOO_MANY_REQUESTS",
                ],
            },
            "message": {"type": "string"},
            "details": {"type": "string", "nullable": True},
            "validationErrors": {
                "type": "object",
                "nullable": True,
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "timestamp": {"type": "string", "format": "date-time"},
        },
    },
}

# Which error components each style needs, and the one its "default" response uses.
_STYLE_ERRORS: dict[int, tuple[str, tuple[str, ...]]] = {
    options_pb2.ERROR_STYLE_DETAIL: ("DetailError", ("DetailError", "HTTPValidationError", "ValidationError")),
    options_pb2.ERROR_STYLE_GOOGLE_RPC: ("GoogleRpcStatus", ("GoogleRpcStatus", "GoogleProtobufAny")),
    options_pb2.ERROR_STYLE_STATUS_CODE: ("StatusCodeError", ("StatusCodeError",)),
    options_pb2.ERROR_STYLE_IDENTITY: ("IdentityError", ("IdentityError",)),
}


def build_openapi(routes: Sequence[Route], title: str = "syncplane", version: str = "v1") -> dict[str, Any]:
    return _Builder(routes).document(title, version)


class _Builder:
    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = routes
        self._names = _component_names(routes)
        self._schemas: dict[str, Schema] = {}
        self._security_schemes: dict[str, Schema] = {
            "bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API key as a bearer token: `Authorization: Bearer <key>` (every dialect).",
            },
            "apiKeyHeader": {
                "type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "An API key in the X-API-Key header (every dialect; the name is case-insensitive, "
                "so the identity dialect's X-Api-Key is the same header).",
            },
        }
        self._operation_ids: set[str] = set()

    def document(self, title: str, version: str) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        tags: dict[str, dict[str, str]] = {}
        for route in self._routes:
            service = route.service
            about = describe(service.full_name)
            tags.setdefault(
                service.name,
                {
                    "name": service.name,
                    "description": (about + "\n\n" if about else "")
                    + f"`{service.full_name}` ({route.dialect.name} dialect)",
                },
            )
            paths.setdefault(route.template.openapi_path(), {})[route.http_method.lower()] = self._operation(route)
        paths.update(_health_paths())
        tags["health"] = {"name": "health", "description": "Liveness and readiness probes"}
        return {
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": title,
                "version": version,
                "description": "The REST gateway of syncplane's gRPC services: each dialect keeps the paths, JSON "
                "naming and error shape of the API it imitates. Authenticate with an API key (Authorize): "
                "`syncplane up` prints the administrator's key once, and `syncplane api-keys create` makes more.",
            },
            "tags": list(tags.values()),
            "paths": paths,
            "components": {
                "schemas": dict(sorted(self._schemas.items())),
                "securitySchemes": self._security_schemes,
            },
        }

    def _operation(self, route: Route) -> dict[str, Any]:
        method = route.method
        operation: dict[str, Any] = {
            "operationId": self._operation_id(route),
            "summary": _words(method.name),
            "description": describe(method.full_name) or _words(method.name) + ".",
            "tags": [route.service.name],
            "parameters": self._path_parameters(route) + self._query_parameters(route),
            "responses": self._responses(route),
            "security": self._security(route),
        }
        access = method.GetOptions().Extensions[options_pb2.access]
        operation["x-access"] = _ACCESS_NAMES.get(access, "write")
        operation["x-grpc-method"] = method.full_name
        if route.body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self._body_schema(route)}},
            }
        return operation

    def _operation_id(self, route: Route) -> str:
        base = f"{route.service.name}_{route.method.name}"
        candidate, n = base, 2
        while candidate in self._operation_ids:  # additional bindings of one RPC
            candidate, n = f"{base}_{n}", n + 1
        self._operation_ids.add(candidate)
        return candidate

    def _security(self, route: Route) -> list[dict[str, list[str]]]:
        alternatives: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
        cookie = route.dialect.api_key_cookie
        if cookie:
            name = "cookie_" + re.sub(r"[^A-Za-z0-9_]", "_", cookie)
            self._security_schemes[name] = {
                "type": "apiKey", "in": "cookie", "name": cookie,
                "description": f"An API key in the {cookie} cookie ({route.dialect.name} dialect only).",
            }
            alternatives.append({name: []})
        return alternatives

    def _path_parameters(self, route: Route) -> list[dict[str, Any]]:
        snake = route.dialect.snake_case
        return [
            {
                "name": binding.name,
                "in": "path",
                "required": True,
                "schema": self._single(binding.chain[-1], snake),
                **_description(binding.chain[-1]),
            }
            for binding in route.plan.path
        ]

    def _query_parameters(self, route: Route) -> list[dict[str, Any]]:
        if route.body == "*":
            return []
        bound = {tuple(f.name for f in b.chain) for b in route.plan.path}
        if route.body:
            bound.add((route.body,))
        params: list[dict[str, Any]] = []
        self._collect_query(route.method.input_type, (), "", bound, route.dialect.snake_case, params)
        return params

    def _collect_query(
        self,
        descriptor: Descriptor,
        proto_path: tuple[str, ...],
        prefix: str,
        bound: set[tuple[str, ...]],
        snake: bool,
        out: list[dict[str, Any]],
    ) -> None:
        for field in descriptor.fields:
            path = (*proto_path, field.name)
            if path in bound:
                continue
            name = prefix + d.json_key(field, snake)
            wkt = d.well_known(field)
            if d.is_map(field):
                value = field.message_type.fields_by_name["value"]
                if value.message_type is None:
                    schema = {"type": "object", "additionalProperties": self._single(value, snake)}
                    out.append({"name": name, "in": "query", "style": "deepObject", "explode": True, "schema": schema})
            elif field.message_type is not None and wkt is None:
                if not field.is_repeated and len(path) < _MAX_QUERY_DEPTH:
                    self._collect_query(field.message_type, path, name + ".", bound, snake, out)
            elif wkt in (d.STRUCT, d.VALUE, d.LIST_VALUE, d.ANY, d.EMPTY):
                continue  # no text form
            elif field.is_repeated:
                schema = {"type": "array", "items": self._single(field, snake)}
                out.append({"name": name, "in": "query", "style": "form", "explode": True, "schema": schema,
                            **_description(field)})
            else:
                out.append({"name": name, "in": "query", "schema": self._single(field, snake), **_description(field)})

    def _body_schema(self, route: Route) -> Schema:
        snake = route.dialect.snake_case
        if route.body != "*":
            field = route.plan.body_field
            assert field is not None
            return self._field(field, snake, nullable=False)
        path_fields = {b.chain[0].name for b in route.plan.path if len(b.chain) == 1}
        descriptor = route.method.input_type
        if not path_fields:
            return self._ref(descriptor, snake)
        # The request without the fields the path binds: those are not part of the body.
        return {
            "type": "object",
            "properties": {
                d.json_key(f, snake): self._field(f, snake) for f in descriptor.fields if f.name not in path_fields
            },
        }

    def _responses(self, route: Route) -> dict[str, Any]:
        snake = route.dialect.snake_case
        responses: dict[str, Any] = {}
        code = str(route.success_code)
        output = route.method.output_type
        if route.server_streaming:
            message = self._ref(output, snake)
            responses["200"] = {
                "description": "A stream: one JSON object per line, or Server-Sent Events",
                "content": {
                    NDJSON: {
                        "schema": {
                            "type": "object",
                            "properties": {"result": message, "error": {"$ref": _REF + "GoogleRpcStatus"}},
                        }
                    },
                    SSE: {"schema": {"type": "string"}},
                },
            }
            self._schemas.update({k: _ERROR_SCHEMAS[k] for k in ("GoogleRpcStatus", "GoogleProtobufAny")})
        elif route.success_code == 204:
            responses[code] = {"description": "No Content"}
        else:
            if route.response_body:
                schema = self._field(output.fields_by_name[route.response_body], snake)
            else:
                schema = self._ref(output, snake)
            responses[code] = {"description": "Success", "content": {"application/json": {"schema": schema}}}
        default, needed = _STYLE_ERRORS[route.dialect.error_style]
        for name in needed:
            self._schemas[name] = _ERROR_SCHEMAS[name]
        if route.dialect.error_style == options_pb2.ERROR_STYLE_DETAIL:
            responses["422"] = _error_response("Validation Error", "HTTPValidationError")
        responses["default"] = _error_response("Error", default)
        return responses

    # -- schemas of fields and messages --

    def _field(self, field: FieldDescriptor, snake: bool, nullable: bool = True) -> Schema:
        return {**self._field_schema(field, snake, nullable), **_description(field)}

    def _field_schema(self, field: FieldDescriptor, snake: bool, nullable: bool) -> Schema:
        if d.is_map(field):
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value, snake)}
        schema = self._single(field, snake)
        if field.is_repeated:
            return {"type": "array", "items": schema}
        if nullable and field.has_presence:
            if "$ref" in schema:
                return {"allOf": [schema], "nullable": True}
            if "enum" in schema:  # OpenAPI 3.0.3: a nullable enum lists null among its values
                return {**schema, "nullable": True, "enum": [*schema["enum"], None]}
            return {**schema, "nullable": True}
        if "$ref" in schema and describe(field.full_name):
            return {"allOf": [schema]}  # siblings of a bare $ref (the description) would be ignored
        return schema

    def _single(self, field: FieldDescriptor, snake: bool) -> Schema:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            wkt = d.well_known(field)
            if wkt is None:
                return self._ref(field.message_type, snake)
            return self._well_known(field, wkt, snake)
        if kind == FieldDescriptor.TYPE_ENUM:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        values = list(field.GetOptions().Extensions[options_pb2.string_enum].values)
        if kind == FieldDescriptor.TYPE_STRING and values:
            return {"type": "string", "enum": values}
        return dict(_SCALARS[kind])

    def _well_known(self, field: FieldDescriptor, name: str, snake: bool) -> Schema:
        if name in d.WRAPPERS:
            return {**self._single(field.message_type.fields_by_name["value"], snake), "nullable": True}
        return dict(_WELL_KNOWN_SCHEMAS[name])

    def _ref(self, descriptor: Descriptor, snake: bool) -> Schema:
        name = self._names[(descriptor.full_name, snake)]
        if name not in self._schemas:
            self._schemas[name] = {}  # placeholder first: recursive messages refer to themselves
            schema: Schema = {
                "type": "object",
                "properties": {d.json_key(f, snake): self._field(f, snake) for f in descriptor.fields},
            }
            about = describe(descriptor.full_name)
            if about:
                schema["description"] = about
            example = EXAMPLES.get(descriptor.full_name)
            if example is not None and _naming_of(example) in (None, snake):
                schema["example"] = example
            self._schemas[name] = schema
        return {"$ref": _REF + name}


_SCALARS: dict[int, Schema] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    **{t: {"type": "integer", "format": "int32"} for t in d.INT32_TYPES},
    **{t: {"type": "integer", "format": "int64", "minimum": 0} for t in d.UINT32_TYPES},
    # proto3 JSON writes 64-bit integers as strings (they do not fit a double).
    **{t: {"type": "string", "format": "int64"} for t in d.INT64_TYPES},
    **{t: {"type": "string", "format": "uint64"} for t in d.UINT64_TYPES},
}

_WELL_KNOWN_SCHEMAS: dict[str, Schema] = {
    d.TIMESTAMP: {"type": "string", "format": "date-time"},
    d.DURATION: {"type": "string", "example": "1.5s"},
    d.FIELD_MASK: {"type": "string", "description": "Comma-separated field paths"},
    d.STRUCT: {"type": "object", "additionalProperties": True},
    d.VALUE: {"description": "Any JSON value"},
    d.LIST_VALUE: {"type": "array", "items": {}},
    d.ANY: {"type": "object", "properties": {"@type": {"type": "string"}}, "additionalProperties": True},
    d.EMPTY: {"type": "object"},
}


def _description(field: FieldDescriptor) -> Schema:
    about = describe(field.full_name)
    return {"description": about} if about else {}


def _naming_of(example: dict[str, Any]) -> bool | None:
    """True for snake_case keys, False for camelCase, None when the keys cannot tell."""
    if any("_" in k for k in example):
        return True
    if any(k != k.lower() for k in example):
        return False
    return None


def _error_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _REF + schema}}}}


def _health_paths() -> dict[str, Any]:
    ready_schema = {
        "type": "object",
        "required": ["ready", "checks"],
        "properties": {
            "ready": {"type": "boolean"},
            "checks": {"type": "object", "additionalProperties": {"type": "boolean"}},
        },
    }

    def probe(operation_id: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
        return {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "tags": ["health"],
                "security": [],
                "responses": responses,
            }
        }

    def json_of(schema: Schema) -> dict[str, Any]:
        return {"application/json": {"schema": schema}}

    return {
        "/healthz": probe(
            "health_live",
            "Liveness",
            {
                "200": {
                    "description": "The process is up",
                    "content": json_of({"type": "object", "properties": {"status": {"type": "string"}}}),
                }
            },
        ),
        "/readyz": probe(
            "health_ready",
            "Readiness",
            {
                "200": {"description": "Ready", "content": json_of(ready_schema)},
                "503": {"description": "Not ready", "content": json_of(ready_schema)},
            },
        ),
    }


def _component_names(routes: Sequence[Route]) -> dict[tuple[str, bool], str]:
    """A stable component name per (message, naming): the short name when unambiguous."""
    needed: dict[tuple[str, bool], Descriptor] = {}
    for route in routes:
        snake = route.dialect.snake_case
        _reachable(route.method.input_type, snake, needed)
        _reachable(route.method.output_type, snake, needed)
    short_owners: dict[str, set[str]] = {}
    namings: dict[str, set[bool]] = {}
    for (full_name, snake), descriptor in needed.items():
        short_owners.setdefault(descriptor.name, set()).add(full_name)
        namings.setdefault(full_name, set()).add(snake)
    names: dict[tuple[str, bool], str] = {}
    for (full_name, snake), descriptor in needed.items():
        base = descriptor.name if len(short_owners[descriptor.name]) == 1 else full_name
        both = len(namings[full_name]) > 1
        names[(full_name, snake)] = f"{base}_snake" if snake and both else base
    return names


def _reachable(descriptor: Descriptor, snake: bool, out: dict[tuple[str, bool], Descriptor]) -> None:
    key = (descriptor.full_name, snake)
    if key in out or descriptor.full_name in d.WELL_KNOWN:
        return
    out[key] = descriptor
    for field in descriptor.fields:
        message = field.message_type
        if message is None:
            continue
        if message.GetOptions().map_entry:
            message = message.fields_by_name["value"].message_type
            if message is None:
                continue
        _reachable(message, snake, out)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
