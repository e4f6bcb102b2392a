"""Engines ready to serve: the one place that picks a concrete store for the engine."""

from __future__ import annotations

from collections.abc import Mapping

from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES
from tempodb.server.engine import Engine
from tempodb.server.idempotency import DEFAULT_RETENTION
from tempodb.server.sqlite import SQLiteStore

__all__ = ["open_engine"]


def open_engine(
    path: str = ":memory:",
    credentials: Mapping[str, str] | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    idempotency_retention: float | None = DEFAULT_RETENTION,
) -> Engine:
    """An engine on the SQLite store at ``path`` (``":memory:"`` for a private in-memory one).

    ``credentials`` maps API key to secret; None is open mode, where any pair is accepted and the
    first secret used with a key is kept for that key's database.  ``idempotency_retention`` is how
    long (seconds) the answer to an ``Idempotency-Key`` is kept; None turns keys off.
    """
    return Engine(
        SQLiteStore(path), credentials, max_body_bytes=max_body_bytes, idempotency_retention=idempotency_retention
    )
