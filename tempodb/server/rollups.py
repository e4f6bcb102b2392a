"""Rollup buckets and folds over raw points, and the summary of a range.

Buckets are calendar-aligned in the request's zone and labelled by their start (the alignment,
``bucket_bounds``, lives in ``tempodb._wire.intervals``: streaming reads plan windows with it too).
Empty buckets are omitted.  Sums use ``math.fsum``; ``ss``, the sum of squared deviations from the
mean, is two-pass: see :func:`spread`.

Huge finite values (up to the float maximum, about 1.8e308) never overflow a mean or a standard
deviation: when a plain sum would leave the float range, the values are summed scaled down by a
power of two (exactly) and the result scaled back (:func:`_mean`, :func:`spread`).  A ``sum``, ``ss``
or ``stddev`` whose true value is beyond the float range has no JSON number: the server answers it
as ``null`` (the client reads NaN), the only values of a summary or bucket that can be ``null``.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from datetime import tzinfo

from tempodb._wire.intervals import Function, Interval, bucket_bounds
from tempodb._wire.timestamps import MIN_MS
from tempodb.server.storage import Value

__all__ = ["fold", "rollup", "spread", "summarize"]


def spread(values: Sequence[Value], mean: float) -> tuple[float, float]:
    """``(ss, stddev)``: the sum of ``(v - mean) ** 2`` and the sample standard deviation.

    ``ss`` is the square of the values' distance to the mean: ``math.dist`` does it in one C pass
    (3x faster than ``math.fsum`` over a list of squares, and with no such list) and, scaling and
    accumulating in extended precision, to within a few ulps.  One distance serves both figures.
    The deviation stays finite for any finite values, even where ``ss`` is past the float range.
    """
    n = len(values)
    try:
        distance = math.dist(values, [mean] * n)
    except OverflowError:
        distance = math.inf
    try:
        ss = distance**2
    except OverflowError:
        ss = math.inf
    if n < 2:
        return ss, 0.0
    if distance != math.inf:
        # From the distance, not from ``ss``: its square may underflow (tiny values) or overflow.
        return ss, distance / math.sqrt(n - 1)
    down = 2.0 ** -(n.bit_length() + 1)
    scaled = math.dist([v * down for v in values], [mean * down] * n)
    return ss, scaled / math.sqrt(n - 1) / down  # inf only where the true deviation is past the range


def _scaled_sum(values: Sequence[Value]) -> tuple[float, float]:
    """``(s, scale)`` with the exact-as-possible sum equal to ``s * scale``, ``s`` always finite.

    Scaling by a power of two is exact (bar the last bits of subnormal values, far below the
    rounding of a total this large), and ``2 ** bit_length(n)`` keeps ``n`` maximal floats in range.
    """
    try:
        return math.fsum(values), 1.0
    except OverflowError:  # fsum refuses rather than round to infinity
        k = len(values).bit_length()
        down = 2.0**-k
        return math.fsum([v * down for v in values]), 2.0**k


def _sum(values: Sequence[Value]) -> float:
    """The exact-as-possible sum; a total beyond the float range is infinite (JSON ``null``)."""
    total, scale = _scaled_sum(values)
    return total * scale  # a float product past the range is inf (it does not raise)


def _mean(values: Sequence[Value]) -> float:
    """The mean, finite for any finite values (the sum is divided by the count before scaling back)."""
    total, scale = _scaled_sum(values)
    return total / len(values) * scale


def fold(function: Function, values: Sequence[Value]) -> Value:
    """One bucket's value: a float, except ``count`` (an int).  ``values`` must not be empty."""
    n = len(values)
    if function is Function.COUNT:
        return n
    if function is Function.SUM:
        return _sum(values)
    if function is Function.MAX:
        return float(max(values))
    if function is Function.MIN:
        return float(min(values))
    mean = _mean(values)
    if function is Function.MEAN or function is Function.AVG:
        return mean
    ss, stddev = spread(values, mean)
    return ss if function is Function.SS else stddev


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
        # A bucket that begins before year 1 (alignment in a zone far from UTC) is labelled by
        # the calendar's first instant, the earliest time the wire can carry.
        out_t.append(max(start, MIN_MS))
        out_v.append(fold(function, values[i:j]))
        i = j
    return out_t, out_v


def summarize(values: Sequence[Value]) -> dict[str, Value]:
    """The summary of raw values: ``{}`` when empty, else sum, mean, max, min, stddev, ss, count."""
    n = len(values)
    if n == 0:
        return {}
    total, scale = _scaled_sum(values)
    mean = total / n * scale
    ss, stddev = spread(values, mean)
    return {
        "sum": total * scale,
        "mean": mean,
        "max": float(max(values)),
        "min": float(min(values)),
        "stddev": stddev,
        "ss": ss,
        "count": n,
    }
