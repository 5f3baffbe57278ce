"""A segment trie over compiled path templates.

Matching walks the request path once, trying at each segment the literal child before the `*` child
before a trailing `**`: so a literal segment wins over a variable where two templates both match
(`/syncs/runs/{run_id}` beats `/syncs/{sync_id}/runs` for `/syncs/runs/x`), the way REST users expect.
The first template along that order that has the request's method wins; when none has it, the methods
of every template that matched the path make the 405's `Allow` header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

from syncplane.server.gateway.templates import DOUBLE_STAR, STAR, PathTemplate

T = TypeVar("T")

# verb → HTTP method → (template, target)
_Leaf = dict[str, dict[str, tuple[PathTemplate, T]]]


@dataclass(slots=True)
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    star: _Node[T] | None = None
    leaf: _Leaf[T] | None = None
    # Templates ending in "**": it may match zero or more of the remaining segments.
    tail: _Leaf[T] | None = None
    # Some target whose literal prefix passes through here: picks the dialect of a 404/405.
    any_target: T | None = None


@dataclass(frozen=True, slots=True)
class RouteMatch(Generic[T]):
    target: T
    params: dict[str, str]
    """Template variable name → captured text, percent-decoded."""


@dataclass(frozen=True, slots=True)
class NoMatch:
    allowed: tuple[str, ...]
    """Methods the path accepts; empty when no template matches the path at all (404)."""


class Router(Generic[T]):
    def __init__(self) -> None:
        self._root: _Node[T] = _Node()

    def add(self, method: str, template: PathTemplate, target: T) -> None:
        """Registers `target` for `method` on `template`; a duplicate is a build-time error."""
        node = self._root
        for segment in template.segments:
            if node.any_target is None:
                node.any_target = target
            if segment == DOUBLE_STAR:
                if node.tail is None:
                    node.tail = {}
                self._put(node.tail, method, template, target)
                return
            if segment == STAR:
                if node.star is None:
                    node.star = _Node()
                node = node.star
            else:
                node = node.literals.setdefault(segment, _Node())
        if node.any_target is None:
            node.any_target = target
        if node.leaf is None:
            node.leaf = {}
        self._put(node.leaf, method, template, target)

    @staticmethod
    def _put(leaf: _Leaf[T], method: str, template: PathTemplate, target: T) -> None:
        by_method = leaf.setdefault(template.verb, {})
        if method in by_method:
            other = by_method[method][0].text
            raise ValueError(f"{method} {template.text} clashes with {method} {other}")
        by_method[method] = (template, target)

    def match(self, method: str, raw_path: str) -> RouteMatch[T] | NoMatch:
        """Matches the raw (still percent-encoded) path, without its query string."""
        if not raw_path.startswith("/"):
            return NoMatch(())
        raw = raw_path[1:].split("/")
        allowed: set[str] = set()
        last = raw[-1]
        if ":" in last:
            # A verb only when the template declares one; else the ':' is part of the segment.
            colon = last.rindex(":")
            found = self._match_verb(method, [*raw[:-1], last[:colon]], last[colon + 1 :], allowed)
            if found is not None:
                return found
        found = self._match_verb(method, raw, "", allowed)
        if found is not None:
            return found
        return NoMatch(tuple(sorted(allowed)))

    def prefix_target(self, raw_path: str) -> T | None:
        """A target under the longest literal prefix of `raw_path`, e.g. to pick a 404's dialect."""
        node = self._root
        best = None
        for segment in raw_path.lstrip("/").split("/"):
            child = node.literals.get(unquote(segment))
            if child is None:
                break
            node = child
            best = node.any_target
        return best

    def _match_verb(self, method: str, raw: list[str], verb: str, allowed: set[str]) -> RouteMatch[T] | None:
        segments = [unquote(s) if "%" in s else s for s in raw]
        entry = _find(self._root, segments, 0, verb, method, allowed)
        if entry is None:
            return None
        template, target = entry
        return RouteMatch(target, _bind(template, raw, segments))


def _find(
    node: _Node[T], segments: list[str], i: int, verb: str, method: str, allowed: set[str]
) -> tuple[PathTemplate, T] | None:
    """Depth-first in precedence order (literal, then "*", then a trailing "**"): the first
    template with `method`; the methods of the others that match the path go into `allowed`.

    A plain recursive function rather than a generator of leaves: this runs on every request.
    """
    if i == len(segments):
        return _pick(node.leaf, verb, method, allowed) or _pick(node.tail, verb, method, allowed)
    segment = segments[i]
    child = node.literals.get(segment)
    if child is not None:
        found = _find(child, segments, i + 1, verb, method, allowed)
        if found is not None:
            return found
    if node.star is not None and segment:
        found = _find(node.star, segments, i + 1, verb, method, allowed)
        if found is not None:
            return found
    return _pick(node.tail, verb, method, allowed)


def _pick(leaf: _Leaf[T] | None, verb: str, method: str, allowed: set[str]) -> tuple[PathTemplate, T] | None:
    if leaf is None:
        return None
    by_method = leaf.get(verb)
    if not by_method:
        return None
    entry = by_method.get(method)
    if entry is None:
        allowed.update(by_method)
    return entry


def _bind(template: PathTemplate, raw: list[str], segments: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for var in template.variables:
        if var.single_segment:
            params[var.name] = segments[var.start]
        else:
            params[var.name] = _unquote_keep_slash("/".join(raw[var.start : var.end]))
    return params


def _unquote_keep_slash(text: str) -> str:
    # A multi-segment capture keeps an encoded '/' encoded so it stays distinguishable from a separator.
    if "%" not in text:
        return text
    pieces = text.replace("%2f", "%2F").split("%2F")
    return "%2F".join(unquote(piece) for piece in pieces)
