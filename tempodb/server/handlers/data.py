"""Data points: read one series or many (raw or rolled up), summarize, delete a range, and write
points to one series or one timestamp's values to many (docs/protocol.md §6.6-6.9, 6.14, 6.17)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from tempodb._wire.http import Response, StreamedResponse
from tempodb._wire.intervals import Function, Interval, auto_interval, bucket_bounds, parse_function
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import from_epoch_ms
from tempodb.server import codec
from tempodb.server._timefmt import format_ms
from tempodb.server.codec import RollupEcho, SummaryOnly, json_response
from tempodb.server.context import Context
from tempodb.server.edge import JSON_TYPE, fail
from tempodb.server.handlers._writes import apply, batches
from tempodb.server.partials import GrainFolder, merge, summary_of
from tempodb.server.rollup_plan import RangeParts, grain_aligned, rollup_partials
from tempodb.server.rollups import rollup
from tempodb.server.storage import Point, PointBatch, SeriesRecord, Value
from tempodb.server.validation import item_checker, problem_text, timestamp

__all__ = ["delete_range", "read_many", "read_series", "summary", "write_bulk", "write_series"]

_FIRST, _SECOND = itemgetter(0), itemgetter(1)


# -- reads --------------------------------------------------------------------------------------


def read_series(ctx: Context) -> Response:
    start, end = ctx.range()
    interval, function = _rollup_params(ctx, start, end)
    return _streamed(_dataset(ctx, ctx.series(), start, end, interval, function))


def read_many(ctx: Context) -> Response:
    start, end = ctx.range()
    interval, function = _rollup_params(ctx, start, end)
    found = ctx.store.find_series(ctx.database, ctx.query.series_filter())

    def make(series: SeriesRecord) -> codec.DataSetSource:
        return _dataset(ctx, series, start, end, interval, function)

    return _streamed(codec.DataSetListSource(found, make))


def _streamed(blocks: Iterator[bytes]) -> StreamedResponse:
    # Everything that can refuse the request ran already: what is left reads and renders points.
    return StreamedResponse(200, {"Content-Type": JSON_TYPE}, blocks=blocks)


def summary(ctx: Context) -> Response:
    start, end = ctx.range()
    series = ctx.series()
    found = RangeParts(ctx.store, ctx.database, series.id, start, end).summary()
    zone = ctx.zone
    return json_response(SummaryOnly(series, ctx.tz_name, format_ms(end, zone), format_ms(start, zone), found))


def _rollup_params(ctx: Context, start: int, end: int) -> tuple[Interval | None, Function]:
    text = ctx.query.get("interval")
    function = parse_function(ctx.query.get("function")) or Function.MEAN
    if text.lower() == "raw":
        return None, function
    if text:
        return Interval.parse(text), function
    return auto_interval(from_epoch_ms(start), from_epoch_ms(end)), function


def _dataset(
    ctx: Context, series: SeriesRecord, start: int, end: int, interval: Interval | None, function: Function
) -> codec.DataSetSource:
    """One data set's JSON blocks, the points read, rolled up and rendered a chunk at a time.

    A rollup whose buckets are whole grains comes from the partials (``rollup_plan``), summary and
    all; any other read streams the raw points, and its summary folds them grain by grain as they
    pass (``partials.GrainFolder``), so memory stays flat however long the range.
    """
    zone = ctx.zone
    echo = None if interval is None else RollupEcho(interval.iso, function.value, ctx.tz_name)
    if interval is not None and grain_aligned(interval):
        parts = RangeParts(ctx.store, ctx.database, series.id, start, end)
        buckets = rollup_partials(parts, interval, function, zone)
        return codec.dataset_blocks(
            series, format_ms(start, zone), format_ms(end, zone), iter([buckets]), lambda: (echo, parts.summary()), zone
        )
    folder = GrainFolder()

    def chunks() -> Iterator[tuple[list[int], list[Value]]]:
        stamps: list[int] = []
        values: list[Value] = []
        with codec.closing_iter(ctx.store.iter_points(ctx.database, series.id, start, end)) as reads:
            for rows in reads:
                fresh_t = list(map(_FIRST, rows))
                fresh_v = list(map(_SECOND, rows))
                del rows  # the row tuples: gone before the JSON is built
                folder.feed(fresh_t, fresh_v)
                if interval is None:
                    yield fresh_t, fresh_v
                    continue
                stamps += fresh_t
                values += fresh_v
                # Fold every bucket but the last, which may go on in the next chunk.
                split = bisect_left(stamps, bucket_bounds(stamps[-1], interval, zone)[0])
                if split:
                    yield rollup(stamps[:split], values[:split], interval, function, zone)
                    del stamps[:split], values[:split]
        if interval is not None and stamps:
            yield rollup(stamps, values, interval, function, zone)

    def tail() -> tuple[RollupEcho | None, dict[str, Value]]:
        parts = folder.finish()
        if not parts:
            return echo, {}
        found = summary_of(merge(parts))
        if found is None:
            # A value past the exact arithmetic's range (beyond 2**480, or nonzero below 2**-400):
            # the summary is the raw path's over a second read of the range.
            found = RangeParts(ctx.store, ctx.database, series.id, start, end).summary()
        return echo, found

    return codec.dataset_blocks(series, format_ms(start, zone), format_ms(end, zone), chunks(), tail, zone)


# -- deletes ------------------------------------------------------------------------------------


def delete_range(ctx: Context) -> Response:
    start, end = ctx.range()
    if start == end:
        end = start + 1  # start == end deletes exactly the point at start (docs/protocol.md §6.14)
    series = ctx.series()
    if not ctx.store.delete_points(ctx.database, series.id, start, end):
        fail(403)
    return Response(200)


# -- writes -------------------------------------------------------------------------------------


def write_series(ctx: Context, *, increment: bool = False) -> Response:
    """Points into the series the path names (by key, a new series is created); one bad point
    refuses the body."""
    series = ctx.route.series
    assert series is not None, "a series write names its series"
    body = ctx.body_bytes()
    points = None if increment else codec.plain_points(body, ctx.naive_zone)
    if points is None:
        points = _checked_points(ctx, codec.decode_json(body), increment=increment)
    if not points:
        return Response(200)
    # By key a missing series is created; by id it is refused (403), as TempoDB did.
    return apply(ctx, [PointBatch(points, series, create=series.by == "key")], increment=increment)


def _checked_points(ctx: Context, body: Any, *, increment: bool) -> list[Point]:
    """The points of a body the fast path left alone, item by item; fails 400 at the first bad one."""
    if not isinstance(body, list):
        fail(400, 'the body must be a JSON array of points such as [{"t": "2012-01-01T00:00:00.000Z", "v": 1.5}]')
    check = item_checker(increment=increment, naive_zone=ctx.naive_zone, now=ctx.now_ms())
    points: list[Point] = []
    append = points.append
    for index, item in enumerate(body):
        checked = check(item)
        if isinstance(checked, list):
            fail(400, problem_text(f"point {index}", checked))
        append(checked[1])
    return points


def write_bulk(ctx: Context, *, increment: bool = False) -> Response:
    """One timestamp's values into many series (by id or key; missing ones are created); one bad
    item refuses the body."""
    body = ctx.body_json()
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        fail(400, 'the body must be a JSON object such as {"t": "2012-01-01T00:00:00.000Z", "data": [{"key": "k", "v": 1}]}')
    now = ctx.now_ms()
    at = timestamp(body.get("t"), ctx.naive_zone, now)
    if isinstance(at, str):
        fail(400, at)
    check = item_checker(increment=increment, naive_zone=ctx.naive_zone, now=now, by_series=True, at=at)
    grouped: dict[SeriesRef, list[Point]] = {}
    for index, item in enumerate(body["data"]):
        checked = check(item)
        if isinstance(checked, list):
            fail(400, problem_text(f"data[{index}]", checked))
        ref, point = checked
        grouped.setdefault(ref, []).append(point)  # type: ignore[arg-type]  # by_series: never None
    return apply(ctx, batches(grouped), increment=increment)
