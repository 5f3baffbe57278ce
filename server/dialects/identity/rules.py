"""Field validation in the dialect's words: ASP.NET-style messages keyed by the
camelCase JSON field, which the gateway renders as `validationErrors`."""

from __future__ import annotations

from collections.abc import Sequence

from syncplane.server.db.identity_models import ConnectedSystemView, ConnectorDefinition
from syncplane.server.dialects.validation import Checker, Vocabulary, shown

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


class AspNetVocabulary(Vocabulary):
    """The reference's ASP.NET wording: "The Name field is required.", keyed by the camelCase field."""

    blank_is_missing = True

    def missing(self, field: str) -> tuple[str, str]:
        return f"The {pascal(field)} field is required.", "missing"

    def length(self, field: str, size: int, lo: int, hi: int) -> tuple[str, str]:
        reason = "string_too_long" if size > hi else "string_too_short"
        if lo > 0:
            return (f"The field {pascal(field)} must be a string with a minimum length of {lo} "
                    f"and a maximum length of {hi}."), reason
        return f"The field {pascal(field)} must be a string with a maximum length of {hi}.", reason

    def out_of_range(self, field: str, value: int, lo: int | None, hi: int | None) -> tuple[str, str]:
        return f"The field {pascal(field)} must be between {lo} and {hi}.", "out_of_range"

    def not_a_choice(self, field: str, value: str, allowed: Sequence[str]) -> tuple[str, str]:
        return f"'{shown(value)}' is not a valid {pascal(field)}. Valid values: {', '.join(allowed)}.", "enum"

    def not_a_uuid(self, field: str, value: object, what: str) -> tuple[str, str]:
        return f"The value '{shown(value)}' is not a valid {what} (a GUID).", "guid"


ASP_NET = AspNetVocabulary()


class Rules(Checker):
    """The identity dialect's checker: the shared rules in ASP.NET words."""

    def __init__(self) -> None:
        super().__init__(ASP_NET)


def supports(definition: ConnectedSystemView | ConnectorDefinition, run_type: str) -> bool:
    """Whether a connector (a definition, or a connected system carrying its definition's
    capabilities) can run `run_type`; the two synchronisation types work on the connector
    space and are always allowed."""
    if run_type == "FullImport":
        return bool(definition.supports_full_import)
    if run_type == "DeltaImport":
        return bool(definition.supports_delta_import)
    if run_type == "Export":
        return bool(definition.supports_export)
    return run_type in SYNC_TYPES or run_type == IMPORT_SCHEMA
