"""The sync-job placeholder language: values, types, fallbacks, defaults, interpolation."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from syncplane.executor.jobs.placeholders import PlaceholderError, lookup, references, render, render_string

SCOPE: dict[str, Any] = {
    "args": {
        "user_id": "u-1",
        "limit": 25,
        "limit_text": "40",
        "ids": ["a", "b"],
        "flag": "true",
        "filter": '{"status": "open"}',
        "empty": None,
        "zero": 0,
        "ratio": 2.5,
    },
    "context": {"subdomain": "acme"},
    "resources": {"crm": {"contacts": {"id": 7, "name": "Ada", "tags": ["x"], "owner": {"id": "o1"}}}},
    "previous_run_date": "2021-08-10T10:00:00.000Z",
}


def test_a_whole_string_placeholder_keeps_an_int() -> None:
    assert render_string("{{args.limit}}", SCOPE) == 25


def test_a_whole_string_placeholder_keeps_an_array() -> None:
    assert render_string("{{args.ids}}", SCOPE) == ["a", "b"]


def test_a_whole_string_placeholder_keeps_an_object_from_a_parent_record() -> None:
    assert render_string("{{resources.crm.contacts.owner}}", SCOPE) == {"id": "o1"}


def test_a_whole_string_placeholder_of_an_absent_value_is_none() -> None:
    assert render_string("{{args.nope}}", SCOPE) is None
    assert render_string("{{nothing.at.all}}", SCOPE) is None


def test_whitespace_inside_the_braces_is_ignored() -> None:
    assert render_string("{{ args.limit }}", SCOPE) == 25


def test_a_placeholder_inside_a_longer_string_is_interpolated_as_text() -> None:
    assert render_string("user-{{args.user_id}}/limit={{args.limit}}", SCOPE) == "user-u-1/limit=25"


def test_interpolation_writes_arrays_as_compact_json_and_absent_as_empty() -> None:
    assert render_string("ids={{args.ids}};x={{args.nope}}", SCOPE) == 'ids=["a","b"];x='


def test_interpolation_writes_booleans_in_json_spelling() -> None:
    assert render_string("flag={{args.flag:bool}}", SCOPE) == "flag=true"


def test_nested_fields_of_the_parent_record_and_list_indexes() -> None:
    assert render_string("{{resources.crm.contacts.owner.id}}", SCOPE) == "o1"
    assert render_string("{{resources.crm.contacts.tags.0}}", SCOPE) == "x"
    assert render_string("{{args.ids.5}}", SCOPE) is None


def test_previous_run_date_is_a_top_level_name() -> None:
    assert render_string("{{previous_run_date}}", SCOPE) == "2021-08-10T10:00:00.000Z"


def test_int_type_converts_text() -> None:
    assert render_string("{{args.limit_text:int}}", SCOPE) == 40


def test_int_type_accepts_a_whole_float_and_refuses_a_fraction() -> None:
    assert render_string("{{args.limit:int}}", {"args": {"limit": 3.0}}) == 3
    with pytest.raises(PlaceholderError, match="int"):
        render_string("{{args.ratio:int}}", SCOPE)


def test_int_type_refuses_text_that_is_not_a_number() -> None:
    with pytest.raises(PlaceholderError, match=r"\{\{args.user_id:int\}\}"):
        render_string("{{args.user_id:int}}", SCOPE)


def test_bool_type_converts_text_and_numbers() -> None:
    assert render_string("{{args.flag:bool}}", SCOPE) is True
    assert render_string("{{args.zero:bool}}", SCOPE) is False
    assert render_string("{{args.x:bool}}", {"args": {"x": "No"}}) is False
    with pytest.raises(PlaceholderError):
        render_string("{{args.user_id:bool}}", SCOPE)


def test_json_type_parses_text_and_keeps_structures() -> None:
    assert render_string("{{args.filter:json}}", SCOPE) == {"status": "open"}
    assert render_string("{{args.ids:json}}", SCOPE) == ["a", "b"]
    with pytest.raises(PlaceholderError):
        render_string("{{args.user_id:json}}", SCOPE)


def test_str_type_turns_numbers_and_arrays_into_text() -> None:
    assert render_string("{{args.limit:str}}", SCOPE) == "25"
    assert render_string("{{args.ids:str}}", SCOPE) == '["a","b"]'
    assert render_string("{{resources.crm.contacts.id:str}}", SCOPE) == "7"


def test_an_unknown_type_is_an_error() -> None:
    with pytest.raises(PlaceholderError, match="float"):
        render_string("{{args.limit:float}}", SCOPE)


def test_fallback_takes_the_first_present_value() -> None:
    assert render_string("{{args.nope|args.user_id}}", SCOPE) == "u-1"
    assert render_string("{{args.user_id|args.limit}}", SCOPE) == "u-1"


def test_fallback_skips_null_but_not_falsy_values() -> None:
    assert render_string("{{args.empty|args.limit}}", SCOPE) == 25
    assert render_string("{{args.zero|args.limit}}", SCOPE) == 0


def test_fallback_with_a_type_converts_the_chosen_value() -> None:
    assert render_string("{{args.nope|args.limit_text:int}}", SCOPE) == 40


def test_default_is_used_when_absent_and_is_text_without_a_type() -> None:
    assert render_string("{{args.nope?:100}}", SCOPE) == "100"
    assert render_string("{{args.limit?:100}}", SCOPE) == 25


def test_default_is_converted_by_the_type() -> None:
    assert render_string("{{args.nope:int?:100}}", SCOPE) == 100
    assert render_string("{{args.nope:bool?:false}}", SCOPE) is False
    assert render_string("{{args.nope:json?:[1,2]}}", SCOPE) == [1, 2]


def test_default_may_contain_colons_as_a_date_does() -> None:
    scope = {"previous_run_date": None}
    assert render_string("{{previous_run_date?:1970-01-01T00:00:00Z}}", scope) == "1970-01-01T00:00:00Z"


def test_an_empty_default_is_an_empty_string_not_absent() -> None:
    assert render_string("{{args.nope?:}}", SCOPE) == ""


def test_fallback_then_default() -> None:
    assert render_string("{{args.a|args.b:int?:5}}", SCOPE) == 5


def test_an_empty_name_is_an_error() -> None:
    with pytest.raises(PlaceholderError, match="empty"):
        render_string("{{args.a|}}", SCOPE)


def test_render_walks_objects_and_arrays_and_keeps_other_values() -> None:
    query = {"user": "{{args.user_id}}", "n": "{{args.limit}}", "static": 3, "list": ["{{args.limit:str}}", True]}
    assert render(query, SCOPE) == {"user": "u-1", "n": 25, "static": 3, "list": ["25", True]}


def test_render_does_not_touch_keys() -> None:
    assert render({"{{args.user_id}}": "x"}, SCOPE) == {"{{args.user_id}}": "x"}


def test_text_without_placeholders_is_unchanged() -> None:
    assert render_string("plain {text}", SCOPE) == "plain {text}"


def test_an_encoder_applies_to_each_interpolated_value_and_forces_text() -> None:
    encode = lambda text: quote(text, safe="")  # noqa: E731
    scope = {"id": "a b/c"}
    assert render_string("/contacts/{{id}}", scope, encode) == "/contacts/a%20b%2Fc"
    assert render_string("{{args.limit}}", SCOPE, encode) == "25"


def test_lookup_does_not_index_into_strings() -> None:
    assert lookup({"a": "text"}, "a.0") is None


def test_references_lists_every_path_including_fallbacks() -> None:
    value = {"q": "{{args.a|args.b:int}}", "list": ["x {{resources.crm.contacts.id}}"]}
    assert sorted(references(value)) == ["args.a", "args.b", "resources.crm.contacts.id"]


def test_a_whole_float_reads_as_an_integer_in_text() -> None:
    # A query that went through a protobuf Struct holds 100.0 for 100.
    assert render_string("per_page={{args.n}}", {"args": {"n": 100.0}}) == "per_page=100"
    assert render_string("x={{args.n}}", {"args": {"n": 2.5}}) == "x=2.5"
