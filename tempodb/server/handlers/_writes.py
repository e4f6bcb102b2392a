"""Checked points into the store: the last step of every write handler."""

from __future__ import annotations

from tempodb._wire.keys import SeriesRef
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.storage import Point, PointBatch, SeriesExistsError, SeriesNotFoundError

__all__ = ["apply", "batches"]


def apply(ctx: Context, batches: list[PointBatch], *, increment: bool) -> None:
    """Write (or add) every batch in one transaction; an unknown id is 403, a taken key 409."""
    try:
        ctx.store.write_points(ctx.database, batches, increment=increment)
    except SeriesNotFoundError:
        fail(403)
    except SeriesExistsError as exc:
        fail(409, str(exc))


def batches(grouped: dict[SeriesRef, list[Point]]) -> list[PointBatch]:
    """One batch per series reference; missing series are created."""
    return [PointBatch(points, ref, create=True) for ref, points in grouped.items()]
