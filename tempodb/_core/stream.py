"""Streaming reads, planned without I/O: a long range becomes a sequence of window reads.

``Stream.next_read()`` hands the front end one read operation at a time (None when done); the
front end only runs them and iterates their points, so memory holds one window (two with prefetch)
whatever the range.

Windows are half-open and contiguous, so every raw point is read exactly once.  For a rollup, every
window boundary inside the range is a *bucket boundary* (computed exactly as the server aligns
buckets: see ``bucket_bounds``), so no bucket is split between two reads and the streamed buckets
equal the one-shot read's, including the partial edge buckets.  A time window is therefore rounded
to whole buckets (at least one); a points window means that many buckets per window.

``interval=None`` streams the RAW points (the request says ``interval=raw``): the one-shot read's
automatic rollup of ranges over two days would make no sense window by window.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo

from tempodb._core import ops
from tempodb._core.effects import Operation
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, DataSet, Series
from tempodb._core.query import Filter
from tempodb._core.session import Session
from tempodb._wire.intervals import Function, Interval, Unit, bucket_bounds, parse_function, parse_interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC, epoch_ms, from_epoch_ms, get_zone, to_datetime

__all__ = ["DEFAULT_WINDOW", "Mode", "Stream", "WindowPlan", "bucket_bounds", "points", "series_points"]

DEFAULT_WINDOW = timedelta(days=1)
_FIXED_UNITS = (Unit.SECOND, Unit.MINUTE, Unit.HOUR)
# Points windows over raw data: the first probe spans an hour; later spans follow the density seen,
# growing at most this much per window so one sparse stretch cannot plan a huge read of a dense one.
_FIRST_SPAN_MS = 3_600_000
_MAX_GROWTH = 8


class WindowPlan:
    """Contiguous ``[start, end)`` windows in epoch ms covering a range.

    ``window`` is a ``timedelta`` (a time span) or an ``int`` (about that many points per series
    per window: exact for rollups, adapted to the density seen so far for raw data).
    """

    def __init__(
        self, start: int, end: int, window: timedelta | int, interval: Interval | None, zone: tzinfo = UTC
    ) -> None:
        if isinstance(window, bool) or not isinstance(window, (timedelta, int)):
            raise InvalidInputError(f"window must be a timedelta or a number of points, not {window!r}")
        if isinstance(window, int):
            if window < 1:
                raise InvalidInputError(f"a points window must be at least 1, not {window}")
        elif window < timedelta(milliseconds=1):
            raise InvalidInputError(f"window must be at least one millisecond, not {window!r}")
        self.start, self.end = start, end
        self._cursor = start
        self._window = window
        self._interval = interval
        self._zone = zone
        self._span = _FIRST_SPAN_MS  # the next raw points-window span

    def reset(self) -> None:
        """Plan the range again from its start (the next series of a by-series stream)."""
        self._cursor = self.start
        self._span = _FIRST_SPAN_MS

    def next(self) -> tuple[int, int] | None:
        """The next window, or None when the range is covered (an empty range has no window)."""
        begin = self._cursor
        if begin >= self.end:
            return None
        stop = min(self._boundary(begin), self.end)
        self._cursor = stop
        return begin, stop

    def _boundary(self, begin: int) -> int:
        window, interval = self._window, self._interval
        if interval is None:
            if isinstance(window, int):
                return begin + self._span
            return begin + max(window // timedelta(milliseconds=1), 1)
        if isinstance(window, int):
            stop = bucket_bounds(begin, interval, self._zone)[1]
            if interval.unit in _FIXED_UNITS and interval.seconds is not None and isinstance(self._zone, timezone):
                # a fixed offset: sub-day buckets all last N units, no need to walk them (in a zone
                # with DST they are on the wall clock, so a bucket around a change is longer or shorter)
                return stop + (window - 1) * interval.seconds * 1000
            for _ in range(window - 1):
                stop = bucket_bounds(stop, interval, self._zone)[1]
            return stop
        stop = bucket_bounds(begin + max(window // timedelta(milliseconds=1), 1), interval, self._zone)[0]
        # A window shorter than the bucket holding ``begin`` still covers that whole bucket.
        return stop if stop > begin else bucket_bounds(begin, interval, self._zone)[1]

    def observe(self, window: tuple[int, int], points: int) -> None:
        """Adapt raw points windows to the density of the last window read."""
        if self._interval is not None or not isinstance(self._window, int):
            return
        span = max(window[1] - window[0], 1)
        target = self._window
        wanted = span * _MAX_GROWTH if points <= 0 else span * target // points
        self._span = max(1, min(wanted, span * _MAX_GROWTH))


class Mode(enum.Enum):
    """What a stream's windows read."""

    FILTER = "filter"  # each window reads every series matching the filter, in one request
    LIST_SERIES = "list series"  # by_series, not started: the first read lists the matching series
    EACH_SERIES = "each series"  # one series (by id or key) over the whole range, then the next one


class Stream:
    """One streaming read: one ``series`` or a filter, over ``[start, end)``.

    With a filter and ``by_series=True`` the series are listed first and each is read over the whole
    range before the next; otherwise every window reads all matching series at once.
    Arguments are validated here, before any request.
    """

    def __init__(
        self,
        session: Session,
        start: datetime | date,
        end: datetime | date,
        *,
        series: SeriesRef | None = None,
        selection: Filter | None = None,
        interval: str | timedelta | Interval | None = None,
        function: str | Function | None = None,
        tz: str | None = None,
        window: timedelta | int = DEFAULT_WINDOW,
        by_series: bool = False,
    ) -> None:
        zone = get_zone(tz) if tz else UTC
        # Naive start/end are read in tz, as read_key's are; the windows are then aware instants.
        begin, finish = to_datetime(start, "start", zone), to_datetime(end, "end", zone)
        if finish < begin:
            raise InvalidInputError(f"end ({finish.isoformat()}) is before start ({begin.isoformat()})")
        self._interval = parse_interval(interval)
        self._function = parse_function(function)
        if self._function is not None and self._interval is None:
            raise InvalidInputError("a rollup function needs an interval (streams read raw points without one)")
        self._tz = tz
        self._zone = zone
        self.session = session
        self.plan = WindowPlan(epoch_ms(begin), epoch_ms(finish), window, self._interval, zone)
        self._selection = selection or Filter()
        # What each window reads (see ``Mode``), and for EACH_SERIES the series left, current first.
        self._series: list[SeriesRef] = []
        if series is not None:
            if selection is not None:
                raise InvalidInputError("stream one series or a filter, not both")
            self._mode = Mode.EACH_SERIES
            self._series = [series]
        else:
            self._mode = Mode.LIST_SERIES if by_series else Mode.FILTER

    def next_read(self) -> Operation[list[DataSet]] | None:
        """The next window's read, or None at the end.  Call again only once the last one finished."""
        if self._mode is Mode.LIST_SERIES:
            return self._list_series()
        if self._mode is Mode.FILTER:
            window = self.plan.next()
        elif not self._series:
            return None  # the filter matched no series
        else:
            window = self.plan.next()
            if window is None and len(self._series) > 1:
                self._series.pop(0)  # this series is done: the next one, over the whole range again
                self.plan.reset()
                window = self.plan.next()
        return None if window is None else self._read(window)

    def _list_series(self) -> Operation[list[DataSet]]:
        found = yield from ops.get_series(self.session, self._selection)
        self._series = [SeriesRef("id", s.id) for s in found]
        self._mode = Mode.EACH_SERIES
        return []

    def _read(self, window: tuple[int, int]) -> Operation[list[DataSet]]:
        start, end = from_epoch_ms(window[0], self._zone), from_epoch_ms(window[1], self._zone)
        interval = self._interval if self._interval is not None else "raw"
        if self._mode is Mode.EACH_SERIES:
            one = yield from ops.read_one(self.session, self._series[0], start, end, interval, self._function, self._tz)
            sets = [one]
        else:
            sets = yield from ops.read(self.session, start, end, self._selection, interval, self._function, self._tz)
        self.plan.observe(window, max((len(s.data) for s in sets), default=0))
        return sets


def series_points(sets: Iterable[DataSet]) -> Iterator[tuple[Series, DataPoint]]:
    """``(series, point)`` pairs of one window, series by series (kept lazy: no list per window)."""
    return ((s.series, p) for s in sets for p in s.data)


def points(sets: Iterable[DataSet]) -> Iterator[DataPoint]:
    """The points of one window of a one-series stream."""
    return (p for s in sets for p in s.data)
