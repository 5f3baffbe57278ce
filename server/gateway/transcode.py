"""HTTP request → request message: the body, then the path variables, then the query.

Everything that depends only on the rule (which field is the body, which fields the path binds, where
an absent update mask comes from) is worked out once in `RequestPlan`; `build_request` is the
per-request part.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from multidict import MultiMapping

from syncplane.server.gateway import descriptors as d
from syncplane.server.gateway import jsonlimits
from syncplane.server.gateway.errors import FieldError, LocMapper, RequestError
from syncplane.server.gateway.jsoncheck import JsonChecker
from syncplane.server.gateway.query import QueryPlan, ScalarError, set_field
from syncplane.server.gateway.templates import PathTemplate

UPDATE_MASK = "update_mask"


@dataclass(frozen=True, slots=True)
class PathBinding:
    name: str
    """The variable's name in the template, e.g. "sync_id"."""
    chain: tuple[FieldDescriptor, ...]
    json_path: str
    """The field's JSON-named dotted path, for google.rpc-style violations."""


@dataclass(frozen=True, slots=True)
class RequestPlan:
    descriptor: Descriptor
    message_class: type[Message]
    body: str
    """"" (no body), "*" (the whole request) or the name of the top-level body field."""
    body_field: FieldDescriptor | None
    path: tuple[PathBinding, ...]
    query: QueryPlan | None
    """None for `body: "*"`, which takes nothing from the query."""
    mask_field: FieldDescriptor | None
    """The update mask to fill from the body's keys when the client sends none (PATCH)."""
    locs: LocMapper
    reject_duplicate_keys: bool = False
    """A body naming one JSON property twice is refused (the dialect's rule)."""


class PlanError(ValueError):
    """An HTTP rule that cannot be served (unknown field, body field that is not top-level...)."""


def build_plan(
    method: MethodDescriptor,
    http_method: str,
    template: PathTemplate,
    body: str,
    *,
    reject_duplicate_keys: bool = False,
) -> RequestPlan:
    descriptor = method.input_type
    body_field = None
    if body and body != "*":
        body_field = descriptor.fields_by_name.get(body)
        if body_field is None:
            raise PlanError(f"{method.full_name}: body field {body!r} is not a field of the request")
    bindings = tuple(_bind_variable(descriptor, var.name, var.field_path, method) for var in template.variables)
    excluded = {tuple(f.name for f in b.chain) for b in bindings}
    if body_field is not None:
        excluded.add((body_field.name,))
    mask_field = None
    candidate = descriptor.fields_by_name.get(UPDATE_MASK)
    if (
        http_method == "PATCH"
        and body_field is not None
        and candidate is not None
        and d.well_known(candidate) == d.FIELD_MASK
        and not candidate.is_repeated
    ):
        mask_field = candidate
    return RequestPlan(
        descriptor=descriptor,
        message_class=GetMessageClass(descriptor),
        body=body,
        body_field=body_field,
        path=bindings,
        query=None if body == "*" else QueryPlan(descriptor, excluded),
        mask_field=mask_field,
        locs=LocMapper(descriptor, body, template.variables),
        reject_duplicate_keys=reject_duplicate_keys,
    )


def _bind_variable(
    descriptor: Descriptor, name: str, field_path: tuple[str, ...], method: MethodDescriptor
) -> PathBinding:
    chain: list[FieldDescriptor] = []
    current: Descriptor | None = descriptor
    for part in field_path:
        field = current.fields_by_name.get(part) if current is not None else None
        if field is None or field.is_repeated:
            raise PlanError(f"{method.full_name}: path variable {name!r} is not a singular field")
        chain.append(field)
        current = field.message_type
    if chain[-1].message_type is not None and not d.well_known(chain[-1]):
        raise PlanError(f"{method.full_name}: path variable {name!r} is a message")
    return PathBinding(name=name, chain=tuple(chain), json_path=".".join(f.json_name for f in chain))


def build_request(
    plan: RequestPlan,
    body: bytes | None,
    path_params: Mapping[str, str],
    query: MultiMapping[str],
) -> Message:
    """The request message, or RequestError naming every invalid field."""
    message = plan.message_class()
    errors: list[FieldError] = []
    body_keys: list[str] | None = None
    if plan.body:
        body_keys = _apply_body(plan, message, body or b"", errors)
    for binding in plan.path:
        text = path_params[binding.name]
        if "\x00" in text:  # PostgreSQL text cannot hold it
            errors.append(FieldError(loc=("path", binding.name), type="value_error", msg=jsonlimits.MSG_NUL, field=binding.json_path))
            continue
        _apply_path(message, binding, text, errors)
    if plan.query is not None and query:
        nul = [key for key, value in query.items() if "\x00" in key or "\x00" in value]
        if nul:
            errors.extend(_nul_query_error(key) for key in dict.fromkeys(nul))
        else:
            plan.query.apply(message, query, errors)
    if errors:
        raise RequestError(errors)
    if plan.mask_field is not None and body_keys is not None:
        _fill_update_mask(message, plan.mask_field, body_keys)
    return message


def _apply_body(plan: RequestPlan, message: Message, raw: bytes, errors: list[FieldError]) -> list[str] | None:
    """Parses the body into `message`; returns its top-level keys as proto names (for the mask)."""
    data = _decode_json(raw, errors, plan.reject_duplicate_keys)
    if data is _INVALID:
        return None
    limits = jsonlimits.check_document(data)
    if limits:
        errors.extend(_with_field(e, plan.body_field.json_name if plan.body_field else "") for e in limits)
        return None
    checker = JsonChecker()
    field = plan.body_field
    if field is None:
        cleaned = checker.message(plan.descriptor, data, ("body",))
        prefix = ""
    else:
        cleaned = checker.field(field, data, ("body",))
        prefix = field.json_name
    if checker.errors:
        errors.extend(_with_field(e, prefix) for e in checker.errors)
        return None
    try:
        if field is None:
            json_format.ParseDict(cleaned, message, ignore_unknown_fields=True)
        elif field.message_type is not None and not d.well_known(field):
            target = getattr(message, field.name)
            target.SetInParent()  # an empty object still says "the body was given"
            json_format.ParseDict(cleaned, target, ignore_unknown_fields=True)
        else:
            json_format.ParseDict({field.name: cleaned}, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        errors.append(FieldError(loc=("body",), type="value_error", msg=f"Value error, {exc}", field=prefix))
        return None
    if field is None or field.message_type is None or not isinstance(data, dict):
        return None
    lookup = d.fields_by_any_name(field.message_type)
    # Keys with a JSON null stay in: in a PATCH, null means "clear this field".
    return [lookup[key].name for key in data if key in lookup]


_INVALID: Any = object()


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _decode_json(raw: bytes, errors: list[FieldError], reject_duplicates: bool = False) -> Any:
    if not raw.strip():
        return {}  # no body: an empty message, as grpc-gateway treats EOF
    try:
        if reject_duplicates:
            return jsonlimits.loads(raw, object_pairs_hook=_unique_pairs)
        return jsonlimits.loads(raw)
    except jsonlimits.JsonRefused as exc:
        errors.append(FieldError(loc=("body",), type=exc.type, msg=exc.msg))
        return _INVALID
    except _DuplicateKey as exc:
        errors.append(
            FieldError(
                loc=("body", exc.key), type="duplicate_key",
                msg=f"The JSON property '{exc.key}' is given more than once.", field=exc.key,
            )
        )
        return _INVALID
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        errors.append(FieldError(loc=("body", position), type="json_invalid", msg="JSON decode error"))
        return _INVALID


def _nul_query_error(key: str) -> FieldError:
    shown = key.replace("\x00", "\\u0000")
    return FieldError(loc=("query", shown), type="value_error", msg=jsonlimits.MSG_NUL, field=shown)


def _with_field(error: FieldError, prefix: str) -> FieldError:
    # ("body", "tableBindings", 0, "entityKey") under body field "sync" → "sync.tableBindings.0.entityKey"
    parts = [prefix] if prefix else []
    parts.extend(str(p) for p in error.loc[1:])
    return FieldError(loc=error.loc, type=error.type, msg=error.msg, field=".".join(parts))


def _apply_path(message: Message, binding: PathBinding, text: str, errors: list[FieldError]) -> None:
    target = message
    for field in binding.chain[:-1]:
        target = getattr(target, field.name)
    try:
        set_field(target, binding.chain[-1], text)
    except ScalarError as exc:
        errors.append(FieldError(loc=("path", binding.name), type=exc.type, msg=exc.msg, field=binding.json_path))


def _fill_update_mask(message: Message, mask_field: FieldDescriptor, body_keys: list[str]) -> None:
    mask = getattr(message, mask_field.name)
    if message.HasField(mask_field.name) and mask.paths:
        return
    mask.SetInParent()
    mask.paths.extend(dict.fromkeys(body_keys))
