"""Engines ready to serve: the one place that picks a concrete store for the engine."""

from __future__ import annotations

from collections.abc import Mapping

from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES
from tempodb.server.engine import Engine
from tempodb.server.idempotency import DEFAULT_RETENTION
from tempodb.server.postgres_url import is_postgres_url
from tempodb.server.storage import Store

__all__ = ["is_postgres_url", "open_engine", "open_store"]


def open_store(target: str = ":memory:") -> Store:
    """The store ``target`` names: a PostgreSQL URL, else a SQLite file (``":memory:"``: private, in memory)."""
    if is_postgres_url(target):
        # Imported here: psycopg is an optional extra (tempodb-revived[postgres]).
        from tempodb.server.postgres import PostgresStore

        return PostgresStore(target)
    from tempodb.server.sqlite import SQLiteStore

    return SQLiteStore(target)


def open_engine(
    path: str = ":memory:",
    credentials: Mapping[str, str] | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    idempotency_retention: float | None = DEFAULT_RETENTION,
) -> Engine:
    """An engine on the store at ``path``: a ``postgresql://`` URL, or a SQLite file (``":memory:"`` for a
    private in-memory one).

    ``credentials`` maps API key to secret; None is open mode, where any pair is accepted and the
    first secret used with a key is kept for that key's database.  ``idempotency_retention`` is how
    long (seconds) the answer to an ``Idempotency-Key`` is kept; None turns keys off.
    """
    return Engine(
        open_store(path), credentials, max_body_bytes=max_body_bytes, idempotency_retention=idempotency_retention
    )
