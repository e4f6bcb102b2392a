"""Fast paths between epoch milliseconds and wire timestamps, for reads and writes of millions of points.

The common shapes (``2012-01-01T00:00:00.000Z``, ``...+00:00``) are handled with integer arithmetic
and per-day caches; everything else goes through :func:`tempodb._core.timestamps.parse_timestamp`,
the one lenient parser shared with the client.
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from functools import lru_cache

from tempodb._core.timestamps import UTC, epoch_ms, from_epoch_ms, parse_timestamp

__all__ = ["format_many", "format_ms", "parse_ms"]

_DAY_MS = 86_400_000
_EPOCH_DATE = date(1970, 1, 1)
_UTC_SUFFIXES = frozenset(("Z", "z", "+00:00", "+0000", "-00:00", "-0000", "+00"))


@lru_cache(maxsize=4096)
def _day_start(text: str) -> int | None:
    """Epoch ms of UTC midnight of a ``YYYY-MM-DD`` string, or None if it is not a valid date."""
    if len(text) != 10 or not text.isascii() or text[4] != "-" or text[7] != "-":
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return (day - _EPOCH_DATE).days * _DAY_MS


_TWO = {f"{i:02d}": i for i in range(60)}
_THREE = {f"{i:03d}": i for i in range(1000)}
_HOURS: dict[str, int] = {}


def _hour_start(text: str) -> int | None:
    """Epoch ms of a ``YYYY-MM-DDTHH`` prefix (cached: points of one write share few hours)."""
    found = _HOURS.get(text)
    if found is None:
        day, hour = _day_start(text[:10]), _TWO.get(text[11:13], 99)
        if day is None or hour > 23 or text[10] != "T":
            return None
        if len(_HOURS) > 65_536:
            _HOURS.clear()
        found = _HOURS[text] = day + hour * 3_600_000
    return found


def parse_ms(text: str, naive_zone: tzinfo = UTC) -> int:
    """Epoch milliseconds of a wire timestamp (sub-millisecond digits truncated).

    Raises :class:`~tempodb._core.errors.InvalidInputError` for anything unparseable.
    """
    if len(text) >= 19 and text[13] == ":" and text[16] == ":":
        hour = _hour_start(text[:13])
        minute, second = _TWO.get(text[14:16]), _TWO.get(text[17:19])
        if hour is not None and minute is not None and second is not None:
            tail, millis = text[19:], 0
            if tail[:1] in (".", ","):
                suffix = tail[1:].lstrip("0123456789")
                digits = tail[1 : len(tail) - len(suffix)]
                found = _THREE.get((digits + "00")[:3]) if 0 < len(digits) <= 9 else None
                millis, tail = (-1, "") if found is None else (found, suffix)
            if millis >= 0 and (tail in _UTC_SUFFIXES or (not tail and naive_zone is UTC)):
                return hour + (minute * 60 + second) * 1000 + millis
    return epoch_ms(parse_timestamp(text, naive_zone))


# -- formatting ------------------------------------------------------------------------------

_HMS: list[str] = []
_FRACTIONS = [f".{i:03d}" for i in range(1000)]


def _hms_table() -> list[str]:
    if not _HMS:
        _HMS.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
    return _HMS


@lru_cache(maxsize=65_536)
def _day_prefix(day: int) -> str:
    return (_EPOCH_DATE + timedelta(days=day)).isoformat() + "T"


@lru_cache(maxsize=256)
def _offset_text(seconds: int) -> str:
    if seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


# Offsets are looked up once per 15-minute block (every real zone changes offset on such a boundary
# since 1900); a block whose two ends disagree is resolved point by point.
_BLOCK_MS = 900_000


def _offset_seconds(ms: int, zone: tzinfo) -> int:
    offset = from_epoch_ms(ms, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@lru_cache(maxsize=65_536)
def _block_offset(block: int, zone: tzinfo) -> int | None:
    first = _offset_seconds(block * _BLOCK_MS, zone)
    last = _offset_seconds(block * _BLOCK_MS + _BLOCK_MS - 1, zone)
    return first if first == last else None


def format_many(stamps: list[int], zone: tzinfo = UTC) -> list[str]:
    """Render epoch milliseconds as ``YYYY-MM-DDTHH:MM:SS.mmm`` plus ``Z`` or ``±HH:MM`` in ``zone``."""
    hms, fractions, prefix = _hms_table(), _FRACTIONS, _day_prefix
    if zone is UTC:
        out = []
        for ms in stamps:
            day, rest = divmod(ms, _DAY_MS)
            second, milli = divmod(rest, 1000)
            out.append(prefix(day) + hms[second] + fractions[milli] + "Z")
        return out
    out = []
    for ms in stamps:
        offset = _block_offset(ms // _BLOCK_MS, zone)
        if offset is None:
            offset = _offset_seconds(ms, zone)
        day, rest = divmod(ms + offset * 1000, _DAY_MS)
        second, milli = divmod(rest, 1000)
        out.append(prefix(day) + hms[second] + fractions[milli] + _offset_text(offset))
    return out


def format_ms(ms: int, zone: tzinfo = UTC) -> str:
    """One timestamp, as :func:`format_many` renders it."""
    return format_many([ms], zone)[0]
