"""Timestamps on the wire: one lenient parser for every form TempoDB clients and servers produced,
one formatter, and the epoch-millisecond arithmetic shared by the client and the server.

Naive datetimes mean UTC (or the request's zone, where a caller says so); output is always aware.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tempodb._wire.errors import InvalidInputError

__all__ = [
    "MAX_MS",
    "MIN_MS",
    "UTC",
    "Moment",
    "check_instant",
    "epoch_ms",
    "format_timestamp",
    "from_epoch_ms",
    "get_zone",
    "parse_timestamp",
    "to_datetime",
]

UTC = timezone.utc
#: What a call takes as a time: a datetime (naive means UTC) or a date (its midnight).
Moment = datetime | date
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The instants the protocol carries: years 1 to 9999 in UTC, the range of Python's datetime, so
#: every stored point can be read back and written out in UTC (docs/protocol.md §3.1).
MIN_MS = -62_135_596_800_000  # 0001-01-01T00:00:00.000Z
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
#: Longer than any IANA zone name (the longest is 32 characters); longer names are refused unread.
_MAX_ZONE_NAME = 64

_TS = re.compile(
    r"""
    (?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})
    (?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?
    \s*(?P<tz>Z|z|[+\- ]\d{2}(?::?\d{2}(?::?\d{2})?)?)?
    """,
    re.VERBOSE,
)

# Legacy short ids seen in the 2014 fixtures (tz=CST, tz=EST), read as the IANA regions they name.
_LEGACY_ZONES = {
    "EST": "America/New_York",
    "CST": "America/Chicago",
    "MST": "America/Denver",
    "PST": "America/Los_Angeles",
}


@lru_cache(maxsize=256)
def get_zone(name: str) -> tzinfo:
    """The zone for an IANA name (``UTC``, ``GMT`` and the legacy ``EST``/``CST``/``MST``/``PST`` too)."""
    if name in ("", "UTC", "utc", "Z", "GMT", "Etc/UTC"):
        return UTC
    try:
        if not isinstance(name, str) or len(name) > _MAX_ZONE_NAME:
            raise ValueError(name)
        return ZoneInfo(_LEGACY_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        # OSError: a name that is a folder of the zone database ("America") or not a file name at all.
        shown = name if not isinstance(name, str) or len(name) <= _MAX_ZONE_NAME else name[:_MAX_ZONE_NAME] + "..."
        raise InvalidInputError(
            f"unknown time zone {shown!r}: use an IANA name such as 'America/Chicago' or 'UTC'"
        ) from None


def to_datetime(value: datetime | date, what: str = "timestamp", zone: tzinfo = UTC) -> datetime:
    """An aware datetime: naive means in ``zone``, a ``date`` means midnight there (UTC unless a call
    names ``tz``, as the CLI and the 2013 service read offset-less times; docs/protocol.md §3.2)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    raise InvalidInputError(
        f"{what} must be a datetime or date, not {type(value).__name__} ({value!r})"
    )


def check_instant(value: datetime, what: str = "timestamp") -> datetime:
    """``value`` (aware) if its instant lies in years 1-9999 UTC, else :class:`InvalidInputError`.

    Only a time on the first or last day of the calendar can leave the range (through its offset),
    so other times pass at the cost of one comparison.
    """
    if 1 < value.year < 9999:
        return value
    ms = epoch_ms(value)
    if MIN_MS <= ms <= MAX_MS:
        return value
    raise InvalidInputError(
        f"{what} {value.isoformat()} is outside years 1-9999 in UTC: "
        "use a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"
    )


def format_timestamp(value: datetime | date) -> str:
    """ISO-8601 with an explicit offset, as sent on the wire."""
    moment = check_instant(to_datetime(value))
    offset = moment.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        # Offsets with seconds (historical LMT zones) have no ISO-8601 wire form: send UTC instead.
        moment = moment.astimezone(UTC)
    return moment.isoformat()


def parse_timestamp(text: str, naive_zone: tzinfo = UTC) -> datetime:
    """Parse any timestamp form of docs/protocol.md §3.1 into an aware datetime.

    Accepts a 0-9 digit fraction (kept to the microsecond), offsets ``Z``, ``±HH:MM``, ``±HHMM``,
    ``±HH`` (a space where ``+`` was form-decoded) and ``±HH:MM:SS`` (the local mean times before
    about 1900, as the server writes them), and a bare date (midnight).  A string without an offset
    is read in ``naive_zone``.
    """
    match = _TS.fullmatch(text.strip())
    if match is None:
        raise InvalidInputError(
            f"invalid timestamp {text!r}: expected ISO-8601 such as 2012-01-01T00:00:00.000Z"
        )
    g = match.groupdict()
    fraction = (g["f"] or "").ljust(6, "0")[:6]
    offset = g["tz"]
    zone: tzinfo
    if offset is None:
        zone = naive_zone
    elif offset in ("Z", "z"):
        zone = UTC
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, mins, secs = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
        if hours > 23 or mins > 59 or secs > 59:
            raise InvalidInputError(f"invalid timestamp {text!r}: the UTC offset must be under 24 hours")
        seconds = hours * 3600 + mins * 60 + secs
        zone = UTC if seconds == 0 else timezone(sign * timedelta(seconds=seconds))
    try:
        naive = datetime(
            int(g["y"]), int(g["mo"]), int(g["d"]),
            int(g["h"] or 0), int(g["mi"] or 0), int(g["s"] or 0), int(fraction),
        )
    except ValueError as exc:
        raise InvalidInputError(f"invalid timestamp {text!r}: {exc}") from None
    return check_instant(naive.replace(tzinfo=zone))


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch, truncated (sub-millisecond digits are dropped)."""
    delta = to_datetime(value) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_epoch_ms(ms: int, zone: tzinfo = UTC) -> datetime:
    """The aware datetime for an epoch-millisecond count, expressed in ``zone``.

    An instant whose local time in ``zone`` falls outside years 1-9999 (within a day of the
    calendar's ends) is expressed in UTC instead; an instant outside the range raises
    :class:`InvalidInputError`.
    """
    try:
        moment = _EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        raise InvalidInputError(f"time {ms} ms from the epoch is outside years 1-9999") from None
    if zone is UTC:
        return moment
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment
