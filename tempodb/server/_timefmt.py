"""Fast paths between epoch milliseconds and wire timestamps, for reads and writes of millions of points.

Parsing splits a wire timestamp after the minute: ``2012-01-01T00:00`` + ``:00.000Z``.  Both halves
repeat across the points of a write (a few thousand distinct minutes, at most 60,000 distinct
tails), so each is parsed once and then found in a dict; a timestamp is the sum of the two.  Any
text whose halves are not in the fast shapes goes through :func:`tempodb._wire.timestamps.parse_timestamp`,
the one lenient parser shared with the client, which also computes every cached value: the fast
path cannot accept or read anything differently from it.

Formatting renders sorted stamps a day (UTC) or a quarter-hour (other zones) at a time from
precomputed ``HH:MM:SS`` and ``.mmm`` texts, so a point costs one string build.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import date, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.timestamps import MAX_MS, MIN_MS, UTC, epoch_ms, from_epoch_ms, parse_timestamp

__all__ = ["format_many", "format_ms", "format_pieces", "parse_many", "parse_ms", "time_runs"]

_DAY_MS = 86_400_000
_EPOCH_DATE = date(1970, 1, 1)
_CACHE_LIMIT = 65_536  # entries per parse cache: all 60,000 ``:SS.mmmZ`` tails fit


# The calendar's first and last days: a time there can leave years 1-9999 through its offset, so
# it takes the full parser, which refuses such instants (timestamps.check_instant).
_EDGE_DAYS = frozenset({"0001-01-01", "9999-12-31"})


@lru_cache(maxsize=4096)
def _day_start(text: str) -> int | None:
    """Epoch ms of UTC midnight of a ``YYYY-MM-DD`` string, or None if it is not a valid date
    (or an edge day of the calendar, left to the full parser)."""
    if len(text) != 10 or not text.isascii() or text[4] != "-" or text[7] != "-" or text in _EDGE_DAYS:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return (day - _EPOCH_DATE).days * _DAY_MS


_TWO = {f"{i:02d}": i for i in range(60)}
_EPOCH_MINUTE = "1970-01-01T00:00"
_PROBE_ZONE = timezone(timedelta(hours=1))


class _Miss(KeyError):
    """A timestamp half outside the fast shapes: the caller falls back to the full parser."""


def _full_ms(text: str, naive_zone: tzinfo) -> int:
    return epoch_ms(parse_timestamp(text, naive_zone))


class _MinuteStarts(dict[str, int]):
    """``YYYY-MM-DDTHH:MM`` (a wire timestamp's first 16 characters) -> epoch ms of that UTC minute."""

    def __missing__(self, key: str) -> int:
        day, hour, minute = _day_start(key[:10]), _TWO.get(key[11:13], 99), _TWO.get(key[14:16], 99)
        if len(key) != 16 or day is None or key[10] != "T" or key[13] != ":" or hour > 23 or minute > 59:
            raise _Miss(key)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = day + hour * 3_600_000 + minute * 60_000
        return value


class _Tails(dict[str, int]):
    """What follows the minute (``:SS``, a fraction, an offset) -> milliseconds to add to the minute.

    A timestamp is linear in its parts (local time minus offset), so a tail's share is what the full
    parser makes of it after the epoch's minute.  A tail without an offset depends on the zone naive
    times are read in; those are cached only where that zone is UTC (``naive_ok``).
    """

    def __init__(self, *, naive_ok: bool) -> None:
        super().__init__()
        self._naive_ok = naive_ok

    def __missing__(self, key: str) -> int:
        try:
            value = _full_ms(_EPOCH_MINUTE + key, UTC)
            if not self._naive_ok and _full_ms(_EPOCH_MINUTE + key, _PROBE_ZONE) != value:
                raise _Miss(key)
        except InvalidInputError:
            raise _Miss(key) from None
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = value
        return value


_MINUTES = _MinuteStarts()
_UTC_TAILS = _Tails(naive_ok=True)
_OFFSET_TAILS = _Tails(naive_ok=False)


def parse_ms(text: str, naive_zone: tzinfo = UTC) -> int:
    """Epoch milliseconds of a wire timestamp (sub-millisecond digits truncated).

    Raises :class:`~tempodb._wire.errors.InvalidInputError` for anything unparseable.
    """
    try:
        return _MINUTES[text[:16]] + (_UTC_TAILS if naive_zone is UTC else _OFFSET_TAILS)[text[16:]]
    except _Miss:
        return _full_ms(text, naive_zone)


def parse_many(texts: Sequence[str], naive_zone: tzinfo = UTC) -> list[int]:
    """:func:`parse_ms` of every text, at dict-lookup speed when all are in the fast shapes."""
    minutes, tails = _MINUTES, _UTC_TAILS if naive_zone is UTC else _OFFSET_TAILS
    try:
        return [minutes[text[:16]] + tails[text[16:]] for text in texts]
    except _Miss:
        return [parse_ms(text, naive_zone) for text in texts]


# -- formatting ------------------------------------------------------------------------------

_HMS: list[str] = []


def _hms_table() -> list[str]:
    if not _HMS:
        # Built aside, then published by one slice assignment: worker threads share the table, and
        # extending it in place let another thread index a half-built one (an IndexError, a 500).
        table = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
        _HMS[:] = table
    return _HMS


@lru_cache(maxsize=64)
def _fractions(suffix: str) -> list[str]:
    """``.mmm`` + ``suffix`` (the offset) for every millisecond, so a point needs one piece for both."""
    return [f".{i:03d}{suffix}" for i in range(1000)]


@lru_cache(maxsize=65_536)
def _day_prefix(day: int) -> str:
    return (_EPOCH_DATE + timedelta(days=day)).isoformat() + "T"


@lru_cache(maxsize=256)
def _offset_text(seconds: int) -> str:
    if seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    if seconds % 60:
        # Only historical local mean times have seconds; ±HHMM cannot say them, so the extended form.
        return f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    # ±HHMM, not ±HH:MM: the 2013 Go client parses only this form, every other client both.
    return f"{sign}{seconds // 3600:02d}{seconds // 60 % 60:02d}"


# Offsets are looked up once per 15-minute block (every real zone changes offset on such a boundary
# since 1900); a block whose two ends disagree is resolved point by point.
_BLOCK_MS = 900_000


def _offset_seconds(ms: int, zone: tzinfo) -> int:
    # A block's ends may lie past the calendar's ends: the offset there is the one at the end.
    offset = from_epoch_ms(min(max(ms, MIN_MS), MAX_MS), zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@lru_cache(maxsize=65_536)
def _block_offset(block: int, zone: tzinfo) -> int | None:
    first = _offset_seconds(block * _BLOCK_MS, zone)
    last = _offset_seconds(block * _BLOCK_MS + _BLOCK_MS - 1, zone)
    return first if first == last else None


def _run_end(ms: int, zone: tzinfo) -> tuple[int, int]:
    """(offset seconds at ``ms``, end of the span from ``ms`` on where that offset surely holds)."""
    if zone is UTC:
        return 0, ms + _DAY_MS
    block = ms // _BLOCK_MS
    offset = _block_offset(block, zone)
    if offset is None:
        return _offset_seconds(ms, zone), ms + 1
    return offset, (block + 1) * _BLOCK_MS


class _Run(NamedTuple):
    """Points of one local day at one UTC offset: ``stamps[start : start + len(part)]``."""

    part: Sequence[int]
    start: int
    day: int  # the local day, counted from 1970-01-01
    first: int  # epoch ms of that day's local midnight at this offset: a point is ``first + ms into the day``
    offset: int  # seconds east of UTC


def time_runs(stamps: Sequence[int], zone: tzinfo) -> Iterator[_Run]:
    """Cut stamps into runs that render with one date and one offset (long runs when sorted)."""
    i, n = 0, len(stamps)
    while i < n:
        ms = stamps[i]
        offset, until = _run_end(ms, zone)
        shift = offset * 1000
        day = (ms + shift) // _DAY_MS
        first = day * _DAY_MS - shift
        last = min(first + _DAY_MS, until)
        part = stamps[i : bisect_left(stamps, last, i + 1)]
        if len(part) > 1 and not (first <= min(part) and max(part) < last):
            part = stamps[i : i + 1]  # not sorted here, so bisect found no run: this point alone
        yield _Run(part, i, day, first, offset)
        i += len(part)


def format_many(stamps: Sequence[int], zone: tzinfo = UTC) -> list[str]:
    """Render epoch milliseconds as ``YYYY-MM-DDTHH:MM:SS.mmm`` plus ``Z`` or ``±HH:MM`` in ``zone``."""
    hms, out = _hms_table(), []
    for run in time_runs(stamps, zone):
        prefix, fractions = _day_prefix(run.day), _fractions(_offset_text(run.offset))
        out += [f"{prefix}{hms[r // 1000]}{fractions[r % 1000]}" for r in map(run.first.__rsub__, run.part)]
    return out


def format_pieces(stamps: Sequence[int], zone: tzinfo, out: list[str], stride: int, *, lead: str, trail: str) -> None:
    """Write each stamp as three strings, ``lead + YYYY-MM-DDT``, ``HH:MM:SS`` and ``.mmm`` + offset + ``trail``,
    into ``out[k * stride : k * stride + 3]`` for the k-th stamp.

    Joining ``out`` then renders the stamps with the text between them (``lead``, ``trail`` and
    whatever the caller puts in the other slots) without building a string per point: every piece
    is a shared table entry, and the loops run in C (``map`` over bound methods, slice assignment).
    """
    hms = _hms_table()
    for part, start, day, first, offset in time_runs(stamps, zone):
        base, end = start * stride, (start + len(part)) * stride
        out[base:end:stride] = [lead + _day_prefix(day)] * len(part)
        out[base + 1 : end : stride] = map(hms.__getitem__, map((1000).__rfloordiv__, map(first.__rsub__, part)))
        # ``first`` is a whole second, so a stamp's millisecond is its own ``% 1000``.
        fractions = _fractions(_offset_text(offset) + trail)
        out[base + 2 : end : stride] = map(fractions.__getitem__, map((1000).__rmod__, part))


def format_ms(ms: int, zone: tzinfo = UTC) -> str:
    """One timestamp, as :func:`format_many` renders it."""
    return format_many([ms], zone)[0]
