"""Destinations that connectors load into.

- `pg_loader`: PostgreSQL target, staging and replace tables and the set-based loads.
- `copy_pipe`: the binary COPY relay from a source query into a destination table.
- `state`: fence and cursor state kept in the destination database.
"""

from executor.destinations.copy_pipe import CopyResult, stream_copy, translating
from executor.destinations.pg_loader import Target, TableName

__all__ = ["CopyResult", "TableName", "Target", "stream_copy", "translating"]
