"""The comments of our .proto files, by element full name, for the OpenAPI document.

The generated `*_pb2` modules carry descriptors without comments; `make protos` also writes
`syncplane/source_info.binpb`, a FileDescriptorSet of the same files with their SourceCodeInfo. A
leading comment (or, failing that, a trailing one) of a service, method, message, field, enum or
enum value becomes its description.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from google.protobuf import descriptor_pb2

# Field numbers of FileDescriptorProto / DescriptorProto / ... as they appear in SourceCodeInfo paths.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE = 2
_SERVICE_METHOD = 2


@cache
def comments() -> dict[str, str]:
    """Full name (`pkg.Message`, `pkg.Message.field`, `pkg.Service.Method`, `pkg.Enum.VALUE`) → comment."""
    raw = resources.files("syncplane").joinpath("source_info.binpb").read_bytes()
    files = descriptor_pb2.FileDescriptorSet.FromString(raw)
    out: dict[str, str] = {}
    for file in files.file:
        by_path = {
            tuple(loc.path): (loc.leading_comments or loc.trailing_comments)
            for loc in file.source_code_info.location
            if loc.leading_comments or loc.trailing_comments
        }
        _walk_file(file, by_path, out)
    return out


def describe(full_name: str) -> str | None:
    return comments().get(full_name)


def _clean(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    # Blank lines separate paragraphs; other line breaks are wrapping.
    paragraphs = " ".join(line if line else "\n\n" for line in lines)
    return "\n\n".join(p.strip() for p in paragraphs.split("\n\n") if p.strip())


def _walk_file(file: descriptor_pb2.FileDescriptorProto, by_path: dict[tuple[int, ...], str], out: dict[str, str]) -> None:
    prefix = file.package + "." if file.package else ""

    def note(name: str, path: tuple[int, ...]) -> None:
        text = by_path.get(path)
        if text and text.strip():
            out[name] = _clean(text)

    def enum(e: descriptor_pb2.EnumDescriptorProto, name: str, path: tuple[int, ...]) -> None:
        note(name, path)
        for i, value in enumerate(e.value):
            # Enum values are scoped beside their enum in protobuf, but reading them by enum is clearer.
            note(f"{name}.{value.name}", (*path, _ENUM_VALUE, i))

    def message(m: descriptor_pb2.DescriptorProto, name: str, path: tuple[int, ...]) -> None:
        note(name, path)
        for i, field in enumerate(m.field):
            note(f"{name}.{field.name}", (*path, _MESSAGE_FIELD, i))
        for i, nested in enumerate(m.nested_type):
            message(nested, f"{name}.{nested.name}", (*path, _MESSAGE_NESTED, i))
        for i, e in enumerate(m.enum_type):
            enum(e, f"{name}.{e.name}", (*path, _MESSAGE_ENUM, i))

    for i, m in enumerate(file.message_type):
        message(m, prefix + m.name, (_FILE_MESSAGE, i))
    for i, e in enumerate(file.enum_type):
        enum(e, prefix + e.name, (_FILE_ENUM, i))
    for i, service in enumerate(file.service):
        name = prefix + service.name
        note(name, (_FILE_SERVICE, i))
        for j, method in enumerate(service.method):
            note(f"{name}.{method.name}", (_FILE_SERVICE, i, _SERVICE_METHOD, j))
