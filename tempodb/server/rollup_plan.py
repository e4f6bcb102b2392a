"""Rollups and summaries from the store's partials: a cost that follows the buckets, not the points.

A range ``[start, end)`` is three parts: the raw points of the ragged head (before the first whole
grain), the partials of the whole grains inside, and the raw points of the ragged tail.  The head
and tail become partials through the same ``partial_of``, so every answer is a merge of partials
(``tempodb.server.partials``), which equals the raw path's fold (``tempodb.server.rollups``).

A bucket takes the whole grains inside it from the partials; what of it is not covered by whole
grains is read raw.  For an interval that is a multiple of the grain, in any zone's current offsets,
that is nothing but the range's head and tail.  A bucket whose bounds are not on grain boundaries
(historical local mean time, such as America/Chicago before 1883) reads at most a grain at each
of its ends.  Where a sum, mean or deviation would need a raw-only grain (``partials.admitted``),
the whole bucket (or the summary) is folded from its raw points.  Intervals finer than the grain or
not a multiple of it never come here (:func:`grain_aligned`): they stream raw points.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import tzinfo
from operator import itemgetter

from tempodb._wire.intervals import Function, Interval, bucket_bounds
from tempodb._wire.timestamps import MIN_MS
from tempodb.server.partials import ceil_grain, floor_grain, fold_partials, merge, partial_of, summary_of
from tempodb.server.rollups import fold, summarize
from tempodb.server.storage import GRAIN_MS, Partial, Point, Store, Value

__all__ = ["RangeParts", "grain_aligned", "rollup_partials"]

_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def grain_aligned(interval: Interval) -> bool:
    """Whether every bucket of ``interval`` can be whole grains (calendar units, or multiples of 15 min)."""
    seconds = interval.seconds
    return seconds is None or seconds % (GRAIN_MS // 1000) == 0


class RangeParts:
    """The head points, whole-grain partials and tail points of one series over ``[start, end)``."""

    def __init__(self, store: Store, database: str, series_id: str, start: int, end: int) -> None:
        self._store, self._database, self._series_id = store, database, series_id
        self.start, self.end = start, end
        # The middle [low, high) is whole grains; when no grain fits, all of the range is the head.
        self.low = min(ceil_grain(start), end)
        self.high = max(floor_grain(end), self.low)
        self.grains = store.read_partials(database, series_id, start, end)
        self._grain_starts = [p.grain for p in self.grains]
        self.head = store.read_points(database, series_id, start, self.low)
        self.tail = store.read_points(database, series_id, self.high, end) if self.high < end else []

    def raw(self, low: int, high: int) -> list[Point]:
        """The points in ``[low, high)`` (within the range), from the edges already read or the store."""
        out = [p for p in self.head if low <= p[0] < high] if low < self.low else []
        if max(low, self.low) < min(high, self.high):
            out += self._store.read_points(self._database, self._series_id, max(low, self.low), min(high, self.high))
        if high > self.high:
            out += [p for p in self.tail if low <= p[0] < high]
        return out

    def whole_grains(self, low: int, high: int) -> list[Partial]:
        """The partials of grains wholly inside ``[low, high)``."""
        i = bisect_left(self._grain_starts, low)
        j = bisect_left(self._grain_starts, high - GRAIN_MS + 1, i)
        return self.grains[i:j]

    def parts(self, low: int, high: int) -> list[Partial]:
        """Partials covering every point in ``[low, high)``: whole grains, and the raw rest folded."""
        inner_low, inner_high = ceil_grain(low), floor_grain(high)
        if inner_low >= inner_high:
            return _partials([] if low >= high else self.raw(low, high))
        return [*_partials(self.raw(low, inner_low)), *self.whole_grains(inner_low, inner_high), *_partials(self.raw(inner_high, high))]

    def next_data(self, at: int) -> int | None:
        """The first instant at or after ``at`` where a point may be, or None when none is left."""
        candidates = []
        i = bisect_left(self.head, (at,))
        if i < len(self.head):
            candidates.append(self.head[i][0])
        k = bisect_left(self._grain_starts, at - GRAIN_MS + 1)  # the grain holding ``at``, or the next
        if k < len(self.grains) and self.grains[k].last < at:
            k += 1  # ``at`` is past that grain's last point
        if k < len(self.grains):
            candidates.append(max(self.grains[k].first, at))
        j = bisect_left(self.tail, (at,))
        if j < len(self.tail):
            candidates.append(self.tail[j][0])
        return min(candidates, default=None)

    def summary(self) -> dict[str, Value]:
        """The summary of the range, as ``rollups.summarize`` gives it from every raw value."""
        parts = [*_partials(self.head), *self.grains, *_partials(self.tail)]
        if not parts:
            return {}
        found = summary_of(merge(parts))
        if found is None:  # a raw-only grain: the raw path over the whole range
            return summarize(list(map(_SECOND, self.raw(self.start, self.end))))
        return found


def _partials(points: Sequence[Point]) -> list[Partial]:
    if not points:
        return []
    return [partial_of(floor_grain(points[0][0]), list(map(_FIRST, points)), list(map(_SECOND, points)))]


def rollup_partials(
    parts: RangeParts, interval: Interval, function: Function, zone: tzinfo
) -> tuple[list[int], list[Value]]:
    """The buckets of the range (start, value), as ``rollups.rollup`` folds them from the raw points."""
    out_t: list[int] = []
    out_v: list[Value] = []
    at = parts.next_data(parts.start)
    covered = parts.start
    while at is not None:
        bucket_start, bucket_end = bucket_bounds(at, interval, zone)
        # Clipped to the range, and never back over a bucket done (a pathological zone's day may end
        # before it starts: progress is still made).
        low, high = max(bucket_start, parts.start, covered), min(max(bucket_end, at + 1), parts.end)
        inside = parts.parts(low, high)
        if inside:
            value = fold_partials(function, inside)
            if value is None:  # a raw-only grain in the bucket: fold its points
                value = fold(function, list(map(_SECOND, parts.raw(low, high))))
            out_t.append(max(bucket_start, MIN_MS))
            out_v.append(value)
        covered = high
        at = parts.next_data(high) if high < parts.end else None
    return out_t, out_v
