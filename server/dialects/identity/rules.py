"""Field validation in the dialect's words: ASP.NET-style messages keyed by the
camelCase JSON field, which the gateway renders as `validationErrors`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.errors import InvalidArgument, Violation
from server.dialects.validation import shown

RUN_TYPES = ("FullImport", "DeltaImport", "FullSynchronisation", "DeltaSynchronisation", "Export")
IMPORT_TYPES = ("FullImport", "DeltaImport")
SYNC_TYPES = ("FullSynchronisation", "DeltaSynchronisation")
#: The engine-only run type behind POST .../import-schema.
IMPORT_SCHEMA = "ImportSchema"

NAME_MAX = 200
DESCRIPTION_MAX = 1000
FILE_PATH_MAX = 500
PAGE_SIZE_MIN, PAGE_SIZE_MAX, PAGE_SIZE_DEFAULT = 1, 10_000, 100


def pascal(field: str) -> str:
    """"pageSize" → "PageSize" (how the reference's messages name a field)."""
    last = field.rsplit(".", 1)[-1]
    return last[:1].upper() + last[1:]


class Rules:
    """Accumulates violations; `raise_if_any` ends the request with all of them."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, field: str, message: str, reason: str = "value_error") -> None:
        self.violations.append(Violation(field, message, reason))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)

    def required(self, field: str, value: Any) -> bool:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, f"The {pascal(field)} field is required.", "missing")
            return False
        return True

    def length(self, field: str, value: str | None, lo: int, hi: int) -> None:
        if value is None:
            return
        if len(value) < lo or len(value) > hi:
            if lo > 0:
                message = (f"The field {pascal(field)} must be a string with a minimum length of {lo} "
                           f"and a maximum length of {hi}.")
            else:
                message = f"The field {pascal(field)} must be a string with a maximum length of {hi}."
            self.add(field, message, "string_too_long" if len(value) > hi else "string_too_short")

    def between(self, field: str, value: int | None, lo: int, hi: int) -> None:
        if value is not None and not lo <= value <= hi:
            self.add(field, f"The field {pascal(field)} must be between {lo} and {hi}.", "out_of_range")

    def choice(self, field: str, value: str | None, allowed: Sequence[str]) -> bool:
        if value is None or value in allowed:
            return True
        self.add(field, f"'{shown(value)}' is not a valid {pascal(field)}. Valid values: {', '.join(allowed)}.", "enum")
        return False


def supports(definition: Any, run_type: str) -> bool:
    """Whether a connector (a definition row) can run `run_type`; the two
    synchronisation types work on the connector space and are always allowed."""
    if run_type == "FullImport":
        return bool(definition["supports_full_import"])
    if run_type == "DeltaImport":
        return bool(definition["supports_delta_import"])
    if run_type == "Export":
        return bool(definition["supports_export"])
    return run_type in SYNC_TYPES or run_type == IMPORT_SCHEMA
