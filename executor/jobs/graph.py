"""The resource graph of a sync job: which items run first, which run per parent record,
and the scopes (`loop_on` elements, parent records) each request is made in.

Roots (no `depends_on`) run in plan order. A child runs once per record of its
parent, depth first: the children of a parent's page run before the parent's
next page, so a parent record never needs to be kept or re-read, and the
order is the same in every attempt (which makes event ids repeatable).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from syncplane.executor.jobs.placeholders import PlaceholderError, lookup
from syncplane.executor.jobs.plan import JobPlan, ResourceItem


def roots(plan: JobPlan) -> list[ResourceItem]:
    return [item for item in plan.resources if item.depends_on is None]


def children(plan: JobPlan) -> dict[str, list[ResourceItem]]:
    """Parent resource name -> the items that run per record of it, in plan order."""
    out: dict[str, list[ResourceItem]] = {}
    for item in plan.resources:
        if item.depends_on is not None:
            out.setdefault(item.depends_on, []).append(item)
    return out


def _with_value(scope: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `scope` with `value` at `path` (the dicts along the path copied, the rest shared)."""
    head, rest = path[0], path[1:]
    out = dict(scope)
    if not rest:
        out[head] = value
        return out
    inner = scope.get(head)
    out[head] = _with_value(inner if isinstance(inner, dict) else {}, rest, value)
    return out


def with_parent(scope: dict[str, Any], parent: ResourceItem, record: dict[str, Any]) -> dict[str, Any]:
    """The scope of a child of `parent`: the record at `resources.<api>.<resource>`."""
    return _with_value(scope, ("resources", *parent.scope_path), record)


def loop_scopes(item: ResourceItem, scope: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The scopes an item's request is made in: one, or one per element of its `loop_on` array.

    Inside the loop the array's path holds the element, so `{{args.user_ids}}`
    is the current user id.
    """
    if item.loop_on is None:
        yield scope
        return
    values = lookup(scope, item.loop_on)
    if not isinstance(values, list):
        got = "absent" if values is None else f"a {type(values).__name__}"
        raise PlaceholderError(f"loop_on {item.loop_on}: is {got}, not an array")
    path = tuple(item.loop_on.split("."))
    for value in values:
        yield _with_value(scope, path, copy.deepcopy(value) if isinstance(value, (dict, list)) else value)


__all__ = ["children", "loop_scopes", "roots", "with_parent"]
