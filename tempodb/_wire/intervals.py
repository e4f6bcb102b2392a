"""Rollups as values: the interval grammar, the folding functions, and the auto-rollup rule.

The client validates with these before sending; the server parses with the same code, so both
sides agree on every spelling.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

import msgspec

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.timestamps import epoch_ms, from_epoch_ms

__all__ = ["Function", "Interval", "Unit", "auto_interval", "bucket_bounds", "parse_function", "parse_interval"]


class Unit(str, enum.Enum):
    SECOND = "sec"
    MINUTE = "min"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


_UNIT_SECONDS = {Unit.SECOND: 1, Unit.MINUTE: 60, Unit.HOUR: 3600, Unit.DAY: 86400, Unit.WEEK: 604800}

_SPELLINGS = {
    Unit.SECOND: ("s", "sec", "secs", "second", "seconds"),
    Unit.MINUTE: ("m", "min", "mins", "minute", "minutes"),
    Unit.HOUR: ("h", "hr", "hrs", "hour", "hours"),
    Unit.DAY: ("d", "day", "days"),
    Unit.WEEK: ("w", "week", "weeks"),
    Unit.MONTH: ("month", "months"),
    Unit.YEAR: ("y", "year", "years"),
}
_UNIT_BY_NAME = {name: unit for unit, names in _SPELLINGS.items() for name in names}

# The longest interval is the calendar itself, years 1-9999 (docs/protocol.md §3.1): a longer
# bucket could not be labelled by a time the wire carries.
_CALENDAR_SECONDS = 10_000 * 366 * 86_400
_MAX_COUNT = {
    **{unit: _CALENDAR_SECONDS // seconds for unit, seconds in _UNIT_SECONDS.items()},
    Unit.MONTH: 120_000,
    Unit.YEAR: 10_000,
}

# Counts have at most 18 digits (more is past any cap below, and Python refuses to convert
# numbers of over 4300 digits): a longer count fails to match and gets the grammar's message.
_GRAMMAR = re.compile(r"\s*(\d{1,18})\s*([a-zA-Z]+)\s*")
_ISO = re.compile(
    r"P(?:(\d{1,18})Y)?(?:(\d{1,18})M)?(?:(\d{1,18})W)?(?:(\d{1,18})D)?"
    r"(?:T(?:(\d{1,18})H)?(?:(\d{1,18})M)?(?:(\d{1,18})S)?)?"
)
_ISO_UNITS = (Unit.YEAR, Unit.MONTH, Unit.WEEK, Unit.DAY, Unit.HOUR, Unit.MINUTE, Unit.SECOND)
_ISO_LETTER = {
    Unit.YEAR: ("", "Y"), Unit.MONTH: ("", "M"), Unit.WEEK: ("", "W"), Unit.DAY: ("", "D"),
    Unit.HOUR: ("T", "H"), Unit.MINUTE: ("T", "M"), Unit.SECOND: ("T", "S"),
}


def _shown(text: str) -> str:
    """``text`` quoted for a message, cut short if long (a 5000-digit count is not worth echoing)."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + f"... ({len(text)} characters)"


class Interval(msgspec.Struct, frozen=True):
    """A rollup period: ``count`` whole ``unit``s, e.g. ``Interval(5, Unit.MINUTE)``.

    Build one from the seed's strings (``Interval.parse("1hour")``), an ISO period (``"PT1H"``),
    a ``timedelta`` of whole seconds, or ``Interval.months(3)`` / ``Interval.years(1)``.
    """

    count: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count <= 0:
            raise InvalidInputError(f"rollup interval count must be a positive integer, not {self.count!r}")
        if self.count > _MAX_COUNT[self.unit]:
            raise InvalidInputError(
                f"rollup interval of {self.count} {self.unit.value} is longer than the calendar (10,000 years): "
                f"use at most {_MAX_COUNT[self.unit]} {self.unit.value}"
            )

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = _GRAMMAR.fullmatch(text)
        if match is not None:
            unit = _UNIT_BY_NAME.get(match.group(2).lower())
            if unit is not None and int(match.group(1)) > 0:
                return cls(int(match.group(1)), unit)
        iso = _ISO.fullmatch(text.strip().upper())
        if iso is not None and text.strip().upper() not in ("P", "PT"):
            present = [(int(v), u) for v, u in zip(iso.groups(), _ISO_UNITS, strict=True) if v is not None]
            if len(present) == 1 and present[0][0] > 0:
                return cls(*present[0])
        raise InvalidInputError(
            f"invalid rollup interval {_shown(text)}: use a positive number and a unit "
            "(min, hour, day, month, year; e.g. '5min', '1hour', '1day'), an ISO period such as 'PT1H', or 'raw'"
        )

    @classmethod
    def from_timedelta(cls, value: timedelta) -> Interval:
        seconds = value.total_seconds()
        if seconds <= 0 or seconds != int(seconds):
            raise InvalidInputError(f"rollup interval must be a positive whole number of seconds, not {value!r}")
        whole = int(seconds)
        for unit in (Unit.WEEK, Unit.DAY, Unit.HOUR, Unit.MINUTE, Unit.SECOND):
            if whole % _UNIT_SECONDS[unit] == 0:
                return cls(whole // _UNIT_SECONDS[unit], unit)
        raise AssertionError("unreachable: every whole second count divides by one second")

    @classmethod
    def months(cls, count: int = 1) -> Interval:
        return cls(count, Unit.MONTH)

    @classmethod
    def years(cls, count: int = 1) -> Interval:
        return cls(count, Unit.YEAR)

    @property
    def seconds(self) -> int | None:
        """Fixed length in seconds, or None for calendar units (month, year)."""
        per = _UNIT_SECONDS.get(self.unit)
        return None if per is None else per * self.count

    @property
    def iso(self) -> str:
        """ISO-8601 period, as the server echoes it (``PT5M``, ``P1D``, ``P1M``)."""
        prefix, letter = _ISO_LETTER[self.unit]
        return f"P{prefix}{self.count}{letter}"

    def __str__(self) -> str:
        """The seed's grammar, as sent on the wire (``5min``, ``1hour``)."""
        return f"{self.count}{self.unit.value}"


class Function(str, enum.Enum):
    """Rollup folding functions (``avg`` and ``mean`` are the same fold)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    MEAN = "mean"
    AVG = "avg"
    STDDEV = "stddev"
    COUNT = "count"
    SS = "ss"

    def __str__(self) -> str:
        return self.value


def parse_interval(value: str | timedelta | Interval | None) -> Interval | None:
    """A validated interval, or None for raw data / no interval given."""
    if value is None or isinstance(value, Interval):
        return value
    if isinstance(value, timedelta):
        return Interval.from_timedelta(value)
    if isinstance(value, str):
        if value.strip() == "" or value.strip().lower() == "raw":
            return None
        return Interval.parse(value)
    raise InvalidInputError(f"rollup interval must be a string, timedelta or Interval, not {type(value).__name__}")


def parse_function(value: str | Function | None) -> Function | None:
    if value is None or isinstance(value, Function):
        return value
    if isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            return Function(value.strip().lower())
        except ValueError:
            pass
    names = ", ".join(f.value for f in Function)
    raise InvalidInputError(f"invalid rollup function {value!r}: use one of {names}")


_TWO_DAYS = timedelta(days=2)
_THIRTY_DAYS = timedelta(days=30)


def auto_interval(start: datetime, end: datetime) -> Interval | None:
    """The seed's auto rollup: <= 2 days raw, <= 30 days hourly, else daily."""
    span = end - start
    if span <= _TWO_DAYS:
        return None
    if span <= _THIRTY_DAYS:
        return Interval(1, Unit.HOUR)
    return Interval(1, Unit.DAY)


_EPOCH_DATE = date(1970, 1, 1)
_EPOCH_MONDAY = date(1969, 12, 29)
_UNIT_MS = {Unit.SECOND: 1000, Unit.MINUTE: 60_000, Unit.HOUR: 3_600_000}
_DAY_MS = 86_400_000
_ONE_MS = timedelta(milliseconds=1)


@lru_cache(maxsize=256)
def _local_midnight(day: date, zone: tzinfo) -> int:
    # fold=0: a midnight that falls in a DST gap resolves to the transition instant, the first
    # moment of that local day; a repeated midnight resolves to its first occurrence.
    return epoch_ms(datetime(day.year, day.month, day.day, tzinfo=zone))


def _month_day(index: int) -> date:
    year, month = divmod(index, 12)
    return date(1970 + year, month + 1, 1)


def _offset(t: int, zone: tzinfo) -> int:
    """The zone's UTC offset in force at instant ``t``, in ms."""
    offset = from_epoch_ms(t, zone).utcoffset()
    return 0 if offset is None else offset // _ONE_MS


@lru_cache(maxsize=64)
def _fixed_offset(zone: timezone) -> int:
    return zone.utcoffset(None) // _ONE_MS


@lru_cache(maxsize=4096)
def _day_offset(day: int, zone: tzinfo) -> int | None:
    """The offset over UTC day number ``day`` and the first instant of the next, None if it changes."""
    first = _offset(day * _DAY_MS, zone)
    return first if _offset((day + 1) * _DAY_MS, zone) == first else None


def _steady_offset(lo: int, hi: int, zone: tzinfo) -> int | None:
    """The offset in force over all of ``[lo, hi]``, or None when it changes there."""
    if isinstance(zone, timezone):
        return _fixed_offset(zone)
    offset = _day_offset(lo // _DAY_MS, zone)
    for day in range(lo // _DAY_MS + 1, hi // _DAY_MS + 1):
        if offset is None or _day_offset(day, zone) != offset:
            return None
    return offset


def _first_change(lo: int, hi: int, zone: tzinfo) -> int:
    """The first instant in ``(lo, hi]`` whose offset differs from ``lo``'s (``hi``'s differs)."""
    before = _offset(lo, zone)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(mid, zone) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _edge_at_or_before(t: int, size: int, zone: tzinfo) -> int:
    """The last instant <= ``t`` at which the wall clock reads a multiple of ``size``."""
    while True:
        offset = _offset(t, zone)
        edge = t - (t + offset) % size
        if _offset(edge, zone) == offset:
            return edge
        # The clock changed after ``edge``: the offset of ``t`` began past it, at a wall time that is
        # not a multiple (else it would be ``edge``), so the bucket began before that change.
        t = _first_change(edge, t, zone) - 1


def _edge_after(t: int, size: int, zone: tzinfo) -> int:
    """The first instant > ``t`` at which the wall clock reads a multiple of ``size``."""
    while True:
        offset = _offset(t, zone)
        edge = t + size - (t + offset) % size
        if _offset(edge, zone) == offset:
            return edge
        change = _first_change(t, edge, zone)
        if (change + _offset(change, zone)) % size == 0:
            return change  # the clock jumps onto an edge (02:00 -> 03:00 with hour buckets)
        t = change


# The last stretch ``(zone, lo, hi, offset)`` seen with one offset over all of ``[lo, hi]``: a rollup
# asks for its buckets in order, so most of them fall in the stretch and cost plain arithmetic.
# (Replaced whole, never mutated: safe to share between threads.)
_steady: tuple[tzinfo | None, int, int, int] = (None, 0, 0, 0)


def _wall_clock_bounds(t: int, size: int, zone: tzinfo) -> tuple[int, int]:
    """Sub-day buckets: ``[edge, next edge)`` around ``t``, edges where the local clock reads a multiple."""
    global _steady
    if isinstance(zone, timezone):
        start = t - (t + _fixed_offset(zone)) % size
        return start, start + size
    steady_zone, lo, hi, offset = _steady
    if steady_zone is zone and lo <= t <= hi:
        start = t - (t + offset) % size
        if lo <= start and start + size <= hi:
            return start, start + size
    day = t // _DAY_MS
    day_offset = _day_offset(day, zone)
    if day_offset is not None:
        start = t - (t + day_offset) % size
        end = start + size
        if _steady_offset(start, end, zone) == day_offset:
            lo, hi = min(start, day * _DAY_MS), max(end, (day + 1) * _DAY_MS)
            if steady_zone is zone and offset == day_offset and _steady[1] <= hi and lo <= _steady[2]:
                lo, hi = min(lo, _steady[1]), max(hi, _steady[2])  # overlapping stretches: one stretch
            _steady = (zone, lo, hi, day_offset)
            return start, end  # no offset change near: plain arithmetic
    return _edge_at_or_before(t, size, zone), _edge_after(t, size, zone)


def bucket_bounds(t: int, interval: Interval, zone: tzinfo) -> tuple[int, int]:
    """The ``[start, end)`` epoch-ms bounds of the rollup bucket holding ``t``, aligned in ``zone``:

    - ``sec``/``min``/``hour``: on the local wall clock.  The edges are the instants at which the
      clock, in the offset then in force, reads a multiple of N units counted from the wall time
      1970-01-01 00:00 (so ``1hour`` starts at HH:00 local, ``15min`` at :00/:15/:30/:45, also in
      Kathmandu at +05:45); each bucket runs from one edge to the next.  When the clock jumps
      forward over an edge (a DST gap) that edge does not exist and the bucket before it is longer
      (Lord Howe, +10:30 -> +11: the 01:00 hour bucket lasts 90 min); a jump onto an edge starts a
      bucket there (Chicago: 01:00 CST, then 03:00 CDT); when the clock falls back, the repeated
      edges start buckets again (two 01:00 buckets in Chicago, one CDT, one CST, their labels
      differing in offset).  No gaps, no overlaps, every bucket labelled by a wall-clock edge.
      Zones are assumed to change offset at most once within a UTC day;
    - ``day``: N local days from local midnight (a 23 h or 25 h DST day is one bucket), from 1970-01-01;
    - ``week``: N weeks starting at local midnight on Monday, counted from Monday 1969-12-29;
    - ``month``/``year``: from local midnight on the first of the month/year, N counted from January 1970.
    """
    n = interval.count
    try:
        unit_ms = _UNIT_MS.get(interval.unit)
        if unit_ms is not None:  # sub-day
            return _wall_clock_bounds(t, unit_ms * n, zone)
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
