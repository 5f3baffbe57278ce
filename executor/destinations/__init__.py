"""Destinations that connectors load into.

- `pg_loader`: PostgreSQL target, staging and replace tables and the set-based loads.
- `copy_pipe`: the binary COPY relay from a source query into a destination table.
- `state`: fence and cursor state kept in the destination database.
"""

from syncplane.executor.destinations.copy_pipe import CopyResult, stream_copy, translating
from syncplane.executor.destinations.pg_loader import TableName, Target

__all__ = ["CopyResult", "TableName", "Target", "stream_copy", "translating"]
