"""The TempoDB-compatible server: a sans-IO engine over a pluggable store (SQLite by default)."""

from tempodb.server.engine import Engine
from tempodb.server.factory import open_engine
from tempodb.server.storage import Store

__all__ = ["Engine", "Store", "open_engine"]
