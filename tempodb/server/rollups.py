"""Rollup buckets and folds over raw points, and the summary of a range.

Buckets are calendar-aligned in the request's zone and labelled by their start:
- ``sec``/``min``/``hour``: fixed lengths of N units counted from the instant of local midnight,
  1970-01-01 (so every bucket lasts exactly N units, also across DST changes);
- ``day``: N local days from local midnight (a 23 h or 25 h DST day is one bucket), N counted from 1970-01-01;
- ``week``: N weeks starting at local midnight on Monday, counted from Monday 1969-12-29;
- ``month``/``year``: from local midnight on the first of the month/year, N counted from January 1970.
Empty buckets are omitted.  Sums use ``math.fsum``; ``ss``, the sum of squared deviations from the
mean, is two-pass: see :func:`_squared_deviations`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from tempodb._core.errors import InvalidInputError
from tempodb._core.rollup import Function, Interval, Unit
from tempodb._core.timestamps import epoch_ms, from_epoch_ms
from tempodb.server.storage import Value

__all__ = ["bucket_bounds", "fold", "rollup", "summarize"]

_EPOCH_DATE = date(1970, 1, 1)
_EPOCH_MONDAY = date(1969, 12, 29)
_UNIT_MS = {Unit.SECOND: 1000, Unit.MINUTE: 60_000, Unit.HOUR: 3_600_000}


@lru_cache(maxsize=256)
def _local_midnight(day: date, zone: tzinfo) -> int:
    # fold=0: a midnight that falls in a DST gap resolves to the transition instant, the first
    # moment of that local day; a repeated midnight resolves to its first occurrence.
    return epoch_ms(datetime(day.year, day.month, day.day, tzinfo=zone))


def _month_day(index: int) -> date:
    year, month = divmod(index, 12)
    return date(1970 + year, month + 1, 1)


def bucket_bounds(t: int, interval: Interval, zone: tzinfo) -> tuple[int, int]:
    """The ``[start, end)`` epoch-ms bounds of the bucket holding ``t``."""
    n = interval.count
    try:
        unit_ms = _UNIT_MS.get(interval.unit)
        if unit_ms is not None:
            size = unit_ms * n
            start = t - (t - _local_midnight(_EPOCH_DATE, zone)) % size
            return start, start + size
        local = from_epoch_ms(t, zone).date()
        if interval.unit is Unit.DAY or interval.unit is Unit.WEEK:
            days = n if interval.unit is Unit.DAY else 7 * n
            origin = _EPOCH_DATE if interval.unit is Unit.DAY else _EPOCH_MONDAY
            offset = (local - origin).days
            first = origin + timedelta(days=offset - offset % days)
            return _local_midnight(first, zone), _local_midnight(first + timedelta(days=days), zone)
        if interval.unit is Unit.MONTH:
            index = (local.year - 1970) * 12 + local.month - 1
            index -= index % n
            return _local_midnight(_month_day(index), zone), _local_midnight(_month_day(index + n), zone)
        years = local.year - 1970
        years -= years % n
        return (
            _local_midnight(date(1970 + years, 1, 1), zone),
            _local_midnight(date(1970 + years + n, 1, 1), zone),
        )
    except (OverflowError, ValueError):
        raise InvalidInputError(f"rollup interval {interval} reaches outside the supported calendar") from None


def _squared_deviations(values: Sequence[Value], mean: float) -> float:
    """The sum of ``(v - mean) ** 2`` over ``values``, as the square of their distance to the mean.

    ``math.dist`` does it in one C pass (3x faster than ``math.fsum`` over a list of squares, and
    with no such list) and, scaling and accumulating in extended precision, to within a few ulps.
    """
    return math.dist(values, [mean] * len(values)) ** 2


def fold(function: Function, values: Sequence[Value]) -> Value:
    """One bucket's value: a float, except ``count`` (an int).  ``values`` must not be empty."""
    n = len(values)
    if function is Function.COUNT:
        return n
    if function is Function.SUM:
        return math.fsum(values)
    if function is Function.MAX:
        return float(max(values))
    if function is Function.MIN:
        return float(min(values))
    mean = math.fsum(values) / n
    if function is Function.MEAN or function is Function.AVG:
        return mean
    ss = _squared_deviations(values, mean)
    if function is Function.SS:
        return ss
    return math.sqrt(ss / (n - 1)) if n > 1 else 0.0


def rollup(
    stamps: Sequence[int], values: Sequence[Value], interval: Interval, function: Function, zone: tzinfo
) -> tuple[list[int], list[Value]]:
    """Fold points sorted by time into buckets: (bucket starts, bucket values)."""
    out_t: list[int] = []
    out_v: list[Value] = []
    i, n = 0, len(stamps)
    while i < n:
        start, end = bucket_bounds(stamps[i], interval, zone)
        # A pathological zone (a day that ends before it starts) must still make progress.
        j = max(bisect_left(stamps, end, i), i + 1)
        out_t.append(start)
        out_v.append(fold(function, values[i:j]))
        i = j
    return out_t, out_v


def summarize(values: Sequence[Value]) -> dict[str, Value]:
    """The summary of raw values: ``{}`` when empty, else sum, mean, max, min, stddev, ss, count."""
    n = len(values)
    if n == 0:
        return {}
    total = math.fsum(values)
    mean = total / n
    ss = _squared_deviations(values, mean)
    return {
        "sum": total,
        "mean": mean,
        "max": float(max(values)),
        "min": float(min(values)),
        "stddev": math.sqrt(ss / (n - 1)) if n > 1 else 0.0,
        "ss": ss,
        "count": n,
    }
