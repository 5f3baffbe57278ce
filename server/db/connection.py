"""The connection type the db layer takes: a plain connection or one borrowed from the pool.

asyncpg's pool hands out `PoolConnectionProxy` objects, which forward every call to a
`Connection` but are not one; typed code that accepts either says `Conn`.
"""

from __future__ import annotations

from typing import TypeAlias, Union

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = Union["asyncpg.Connection[asyncpg.Record]", "PoolConnectionProxy[asyncpg.Record]"]

__all__ = ["Conn"]
