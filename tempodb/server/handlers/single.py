"""Single values: the point at a time in one series or many, or its nearest neighbour (docs/protocol.md §6.15-6.16)."""

from __future__ import annotations

from tempodb._wire.http import Response
from tempodb._wire.query import Direction, check_direction
from tempodb.server._timefmt import format_ms
from tempodb.server.codec import PointOut, SingleValue, json_response
from tempodb.server.context import Context
from tempodb.server.storage import SeriesRecord

__all__ = ["single_many", "single_series"]

def single_series(ctx: Context) -> Response:
    ts, direction = _params(ctx)
    return json_response(_single(ctx, ctx.series(), ts, direction))


def single_many(ctx: Context) -> Response:
    ts, direction = _params(ctx)
    found = ctx.store.find_series(ctx.database, ctx.query.series_filter())
    return json_response([_single(ctx, series, ts, direction) for series in found])


def _params(ctx: Context) -> tuple[int, Direction]:
    ts = ctx.time("ts") if ctx.query.has("ts") else ctx.now_ms()
    return ts, check_direction(ctx.query.get("direction") or "exact", any_case=True)


def _single(ctx: Context, series: SeriesRecord, ts: int, direction: Direction) -> SingleValue:
    point = ctx.store.single_point(ctx.database, series.id, ts, direction)
    data = None if point is None else PointOut(format_ms(point[0], ctx.zone), point[1])
    return SingleValue(series, data, ctx.tz_name)
