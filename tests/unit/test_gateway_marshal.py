"""The compiled marshaller writes what MessageToDict writes, plus nulls for unset presence fields."""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from syncplane.server.gateway.marshal import Marshaller
from syncplane.syncs.v1 import messages_pb2
from tests.unit.gateway_support import probe_class, seed_sync


def reference(message: Message, snake: bool) -> Any:
    """The specification, spelled the slow and obvious way."""
    out = json_format.MessageToDict(
        message, preserving_proto_field_name=snake, always_print_fields_with_no_presence=True
    )
    _add_nulls(out, message.DESCRIPTOR, snake)
    return out


def _add_nulls(out: dict[str, Any], descriptor: Descriptor, snake: bool) -> None:
    for field in descriptor.fields:
        key = field.name if snake else field.json_name
        message = field.message_type
        if field.has_presence and key not in out:
            out[key] = None
        if message is None or message.full_name.startswith("google.protobuf.") or out.get(key) is None:
            continue
        if message.GetOptions().map_entry:
            value_type = message.fields_by_name["value"].message_type
            if value_type is not None and not value_type.full_name.startswith("google.protobuf."):
                for item in out[key].values():
                    _add_nulls(item, value_type, snake)
        elif field.is_repeated:
            for item in out[key]:
                _add_nulls(item, message, snake)
        else:
            _add_nulls(out[key], message, snake)


def populated_probe() -> Message:
    probe = probe_class()(
        id="p",
        count=-3,
        big=2**62,
        flag=True,
        ratio=0.1,
        color=2,
        tags=["a", "b"],
        numbers=[1, 2],
        labels={"k": "v"},
        blob=b"\x00\xffdata",
        display_name="Probe",
        note="",
    )
    probe.inner.label = "in"
    probe.inner.child.rank = 0
    probe.items.add(label="x").child.label = "deep"
    probe.items.add(rank=7)
    probe.at.FromJsonString("2024-01-02T03:04:05.123Z")
    probe.wait.FromJsonString("2.5s")
    probe.maybe.value = 0
    probe.mask.paths.extend(["display_name", "inner.label"])
    probe.extra.update({"n": 1, "s": "x", "l": [1, None], "o": {"z": True}})
    return probe


@pytest.mark.parametrize("snake", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        populated_probe,
        lambda: probe_class()(),
        seed_sync,
        lambda: messages_pb2.SyncRun(id="r", error="", attempt_number=2, summary=struct_pb2.Struct()),
        lambda: messages_pb2.ProviderCatalog(resources=[messages_pb2.ProviderResource(entity_key="e")]),
    ],
)
def test_marshaller_matches_the_reference(make: Any, snake: bool) -> None:
    message = make()
    assert Marshaller(snake_case=snake).to_dict(message) == reference(message, snake)


def test_non_finite_doubles_are_strings() -> None:
    probe = probe_class()(ratio=math.inf)
    assert Marshaller(snake_case=False).to_dict(probe)["ratio"] == "Infinity"
    probe.ratio = math.nan
    assert Marshaller(snake_case=False).to_dict(probe)["ratio"] == "NaN"


def test_unknown_enum_number_stays_a_number() -> None:
    probe = probe_class()(color=42)
    assert Marshaller(snake_case=False).to_dict(probe)["color"] == 42
