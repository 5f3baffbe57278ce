"""Collects field violations in the pydantic-v2 vocabulary clients of the
FastAPI-shaped dialects know ("missing", "string_too_long", ...)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema

from server.errors import InvalidArgument, Violation

# An error message quotes at most this much of a bad value: a 4 KB value echoed whole (twice, in
# the message and the details) overflowed the gRPC trailers and answered 429.
SHOWN_CHARS = 64


def shown(value: object) -> str:
    """`value` as an error message may quote it: its first SHOWN_CHARS characters, then "…"."""
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class Checker:
    """Accumulates violations; `raise_if_any` ends the request with all of them."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, field: str, message: str, reason: str = "value_error") -> None:
        self.violations.append(Violation(field, message, reason))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)

    def required(self, field: str, value: Any, *, empty_is_missing: bool = False) -> bool:
        """None is missing; so is "" for proto3 strings that cannot tell the two apart."""
        if value is None or (empty_is_missing and value == ""):
            self.add(field, "Field required", "missing")
            return False
        return True

    def uuid(self, field: str, value: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(value)
        except (ValueError, AttributeError, TypeError):
            self.add(
                field,
                f"Input should be a valid UUID, invalid length or characters: {shown(value)!r}",
                "uuid_parsing",
            )
            return None

    def length(self, field: str, value: str, lo: int, hi: int) -> None:
        if len(value) < lo:
            self.add(field, f"String should have at least {lo} character{'s' if lo != 1 else ''}", "string_too_short")
        elif len(value) > hi:
            self.add(field, f"String should have at most {hi} characters", "string_too_long")

    def choice(self, field: str, value: str, allowed: Sequence[str]) -> bool:
        if value in allowed:
            return True
        quoted = [f"'{a}'" for a in allowed]
        listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        self.add(field, f"Input should be {listed}", "literal_error")
        return False

    def int_range(self, field: str, value: int, lo: int | None = None, hi: int | None = None) -> None:
        if lo is not None and value < lo:
            self.add(field, f"Input should be greater than or equal to {lo}", "greater_than_equal")
        elif hi is not None and value > hi:
            self.add(field, f"Input should be less than or equal to {hi}", "less_than_equal")

    def json_schema(self, field: str, value: Any, schema: dict[str, Any]) -> None:
        if not schema:
            return
        validator = jsonschema.Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
            path = ".".join([field, *(str(p) for p in error.path)])
            self.add(path, error.message, "json_schema")


def page(checker: Checker, limit: int | None, offset: int | None, default: int, maximum: int = 100) -> tuple[int, int]:
    """Validates limit/offset query parameters and fills their defaults."""
    lim = default if limit is None else limit
    off = 0 if offset is None else offset
    checker.int_range("limit", lim, 1, maximum)
    checker.int_range("offset", off, 0)
    return lim, off


def each(values: Iterable[str], field: str, checker: Checker, allowed: Sequence[str]) -> None:
    for i, value in enumerate(values):
        checker.choice(f"{field}.{i}", value, allowed)
