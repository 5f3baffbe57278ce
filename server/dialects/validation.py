"""One field checker for every dialect, worded in the dialect's own vocabulary.

A `Checker` accumulates violations and ends the request with all of them; what a
violation *says* (its message and reason) comes from the `Vocabulary` it was built
with. The syncs, jobs and admin dialects speak pydantic v2 ("Field required",
"string_too_long", ...), which the gateway renders as `{"loc","msg","type"}` (syncs)
or `details: {field: why}` (jobs); the identity dialect speaks ASP.NET
(`identity/rules.py`), rendered as `validationErrors`. The rules (what is missing,
too long, out of range, not a choice, not a uuid) are written once, here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema

from syncplane.server.errors import InvalidArgument, Violation

# An error message quotes at most this much of a bad value: a 4 KB value echoed whole (twice, in
# the message and the details) overflowed the gRPC trailers and answered 429.
SHOWN_CHARS = 64


def shown(value: object) -> str:
    """`value` as an error message may quote it: its first SHOWN_CHARS characters, then "…"."""
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class Vocabulary:
    """How a dialect words each kind of violation: (message, reason) pairs.

    This base speaks pydantic v2, the vocabulary of the FastAPI-shaped dialects."""

    #: Whether a whitespace-only string counts as missing (ASP.NET's [Required] does).
    blank_is_missing: bool = False

    def missing(self, field: str) -> tuple[str, str]:
        return "Field required", "missing"

    def length(self, field: str, size: int, lo: int, hi: int) -> tuple[str, str]:
        if size < lo:
            return f"String should have at least {lo} character{'s' if lo != 1 else ''}", "string_too_short"
        return f"String should have at most {hi} characters", "string_too_long"

    def out_of_range(self, field: str, value: int, lo: int | None, hi: int | None) -> tuple[str, str]:
        if lo is not None and value < lo:
            return f"Input should be greater than or equal to {lo}", "greater_than_equal"
        return f"Input should be less than or equal to {hi}", "less_than_equal"

    def not_a_choice(self, field: str, value: str, allowed: Sequence[str]) -> tuple[str, str]:
        quoted = [f"'{a}'" for a in allowed]
        listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        return f"Input should be {listed}", "literal_error"

    def not_a_uuid(self, field: str, value: object, what: str) -> tuple[str, str]:
        return f"Input should be a valid UUID, invalid length or characters: {shown(value)!r}", "uuid_parsing"


PYDANTIC = Vocabulary()


def parse_uuid(vocabulary: Vocabulary, field: str, value: str, what: str = "id") -> uuid.UUID:
    """A uuid, or the request ends with one violation at `field` (`what` names it in the message)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(Violation(field, *vocabulary.not_a_uuid(field, value, what))) from None


class Checker:
    """Accumulates violations; `raise_if_any` ends the request with all of them.

    A value that is None is absent: only `required` refuses it."""

    def __init__(self, vocabulary: Vocabulary = PYDANTIC) -> None:
        self.vocabulary = vocabulary
        self.violations: list[Violation] = []

    def add(self, field: str, message: str, reason: str = "value_error") -> None:
        self.violations.append(Violation(field, message, reason))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)

    def required(self, field: str, value: Any, *, empty_is_missing: bool = False) -> bool:
        """None is missing; so is "" for proto3 strings that cannot tell the two apart
        (`empty_is_missing`), and a blank string where the vocabulary says so."""
        missing = value is None or (
            isinstance(value, str)
            and ((empty_is_missing and value == "") or (self.vocabulary.blank_is_missing and not value.strip()))
        )
        if missing:
            self.add(field, *self.vocabulary.missing(field))
        return not missing

    def uuid(self, field: str, value: str, what: str = "id") -> uuid.UUID | None:
        try:
            return parse_uuid(self.vocabulary, field, value, what)
        except InvalidArgument as exc:
            self.violations.extend(exc.violations)
            return None

    def length(self, field: str, value: str | None, lo: int, hi: int) -> None:
        if value is not None and not lo <= len(value) <= hi:
            self.add(field, *self.vocabulary.length(field, len(value), lo, hi))

    def int_range(self, field: str, value: int | None, lo: int | None = None, hi: int | None = None) -> None:
        if value is None:
            return
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.add(field, *self.vocabulary.out_of_range(field, value, lo, hi))

    def choice(self, field: str, value: str | None, allowed: Sequence[str]) -> bool:
        if value is None or value in allowed:
            return True
        self.add(field, *self.vocabulary.not_a_choice(field, value, allowed))
        return False

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
