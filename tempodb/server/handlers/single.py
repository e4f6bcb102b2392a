"""Single values: the point at a time in one series or many, or its nearest neighbour (§6.16-6.17)."""

from __future__ import annotations

from tempodb._wire.http import Response
from tempodb.server._timefmt import format_ms
from tempodb.server.codec import PointOut, SingleValue, json_response
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.storage import Direction, SeriesRecord

__all__ = ["single_many", "single_series"]

_DIRECTIONS: tuple[Direction, ...] = ("exact", "before", "after", "nearest")


def single_series(ctx: Context) -> Response:
    ts, direction = _params(ctx)
    return json_response(_single(ctx, ctx.series(), ts, direction))


def single_many(ctx: Context) -> Response:
    ts, direction = _params(ctx)
    found = ctx.store.find_series(ctx.database, ctx.query.series_filter())
    return json_response([_single(ctx, series, ts, direction) for series in found])


def _params(ctx: Context) -> tuple[int, Direction]:
    ts = ctx.time("ts") if ctx.query.has("ts") else ctx.now_ms()
    direction = ctx.query.get("direction").lower() or "exact"
    if direction not in _DIRECTIONS:
        fail(400, f"direction must be one of {', '.join(_DIRECTIONS)}, not {direction!r}")
    return ts, direction


def _single(ctx: Context, series: SeriesRecord, ts: int, direction: Direction) -> SingleValue:
    point = ctx.store.single_point(ctx.database, series.id, ts, direction)
    data = None if point is None else PointOut(format_ms(point[0], ctx.zone), point[1])
    return SingleValue(series, data)
