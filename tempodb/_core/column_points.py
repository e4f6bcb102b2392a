"""Points from an in-process transport's columns (``tempodb._wire.columns``), equal to what parsing
the JSON of the same read gives: the same instants, the same fixed UTC offsets, the same numbers.

This is the embedded read's hot loop: a million points are a million datetimes and a million
``DataPoint``\\ s, so both are made by C loops (msgspec's conversion, ``map``), never by a Python
statement per point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import repeat

import msgspec

from tempodb._core.models import DataPoint
from tempodb._wire.columns import DataColumns, Number
from tempodb._wire.timestamps import UTC

__all__ = ["column_points", "datetimes", "numbers"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# msgspec turns a float of Unix seconds into a datetime, rounded to the microsecond.  Within
# 2**32 s of 1970 (1834 to 2106) a double holds every millisecond to under half a microsecond,
# so the rounding lands on the exact millisecond (tests/client/test_column_points.py checks the
# law); outside it, the exact but slower timedelta arithmetic.
_FLOAT_EXACT_S = float(2**32)
_NAN = math.nan


def datetimes(stamps: Sequence[int], offset: int = 0) -> list[datetime]:
    """Epoch milliseconds as aware datetimes at ``offset`` seconds east of UTC (``UTC`` itself at 0),
    as msgspec reads ``Z`` and ``±HH:MM`` from JSON."""
    if not stamps:
        return []
    seconds = [ms / 1000 for ms in stamps]
    if min(seconds) > -_FLOAT_EXACT_S and max(seconds) < _FLOAT_EXACT_S:
        found: list[datetime] = msgspec.convert(seconds, list[datetime], strict=False)
    else:
        found = [_EPOCH + timedelta(milliseconds=ms) for ms in stamps]
    if offset == 0:
        return found
    zone: tzinfo = timezone(timedelta(seconds=offset))
    return list(map(datetime.astimezone, found, repeat(zone)))


def numbers(values: list[Number]) -> list[Number]:
    """The values as the JSON path reads them: a non-finite float (JSON writes ``null``) is NaN."""
    try:
        if math.isfinite(sum(values)):
            return values  # every value finite: an infinity or NaN would make the sum one
    except OverflowError:  # ints past the float range: they are finite, but check each
        pass
    return [_NAN if type(v) is float and not math.isfinite(v) else v for v in values]


def column_points(data: DataColumns) -> list[DataPoint]:
    """The points of one data set, chunk by chunk; each chunk is emptied once its points are made,
    so the read never holds its points twice (the columns and the models)."""
    runs = list(data.offsets)
    ends = [start for start, _ in runs[1:]]
    points: list[DataPoint] = []
    base = 0
    for stamps, values in zip(data.stamps, data.values, strict=True):
        size = len(stamps)
        stops = [end - base for end in ends if base < end < base + size] + [size]
        made: list[datetime] = []
        low = 0
        for stop in stops:
            while len(runs) > 1 and runs[1][0] <= base + low:
                runs.pop(0)
            made += datetimes(stamps[low:stop] if (low, stop) != (0, size) else stamps, runs[0][1])
            low = stop
        points += map(DataPoint, made, numbers(values))
        del made
        stamps.clear()
        values.clear()
        base += size
    return points
