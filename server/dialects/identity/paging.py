"""The reference's pagination: page from 1, pageSize 25 by default clamped to
1..100, and the `{items, totalCount, page, pageSize, totalPages, hasNextPage,
hasPreviousPage}` envelope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncplane.server.dialects.identity.rules import Rules

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    page: int
    page_size: int
    sort_by: str
    direction: str

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def envelope(self, response: Any, items: Sequence[Any], total: int) -> Any:
        """Fills a list response's envelope fields."""
        response.items.extend(items)
        response.total_count = total
        response.page = self.page
        response.page_size = self.page_size
        response.total_pages = (total + self.page_size - 1) // self.page_size
        response.has_next_page = self.page < response.total_pages
        response.has_previous_page = self.page > 1
        return response


def page_of(request: Any, sort_keys: Sequence[str] = (), default_sort: str = "", default_direction: str = "asc") -> Page:
    """Reads page/pageSize (clamped, never refused) and sortBy/sortDirection (checked)."""
    has = request.HasField
    page = max(1, request.page) if has("page") else 1
    size = request.page_size if has("page_size") else DEFAULT_PAGE_SIZE
    size = min(MAX_PAGE_SIZE, max(1, size))
    sort_by, direction = default_sort, default_direction
    if sort_keys:
        rules = Rules()
        if has("sort_by") and request.sort_by:
            sort_by = request.sort_by
            rules.choice("sortBy", sort_by, sort_keys)
        if has("sort_direction") and request.sort_direction:
            direction = request.sort_direction.lower()
            rules.choice("sortDirection", direction, ("asc", "desc"))
        rules.raise_if_any()
    return Page(page, size, sort_by, direction)
