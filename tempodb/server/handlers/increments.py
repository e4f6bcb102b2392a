"""Increments: add to stored values instead of replacing them (docs/protocol.md §6.11-6.13, §8.3).

The three body shapes are those of the writes (one series, one timestamp across series, multi), so
each handler is that write told to add; what differs for an item (its amount is a 64-bit integer,
floats truncated toward zero) is decided by the item validator, and the store adds atomically.
"""

from __future__ import annotations

from tempodb._wire.http import Response
from tempodb.server.context import Context
from tempodb.server.handlers.data import write_bulk, write_series
from tempodb.server.handlers.multi import write_multi

__all__ = ["increment_bulk", "increment_multi", "increment_series"]


def increment_series(ctx: Context) -> Response:
    return write_series(ctx, increment=True)


def increment_bulk(ctx: Context) -> Response:
    return write_bulk(ctx, increment=True)


def increment_multi(ctx: Context) -> Response:
    return write_multi(ctx, increment=True)
