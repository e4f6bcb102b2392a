"""CSV files as people have them, in and out: a time column and one or more value columns, timestamps
in the common forms, every input line checked (with its line number) before anything is written.

A ``Layout`` says which column holds the time (``--time-column``), which hold values, one series
each (``--value-column``, named by ``--key-template``), how times are written (``--time-format``,
else recognised: ISO-8601, ``2010/01/01 00:00``, epoch seconds or milliseconds), the zone of times
without an offset (``--tz``) and how to rename header cells (``--rename``).
"""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import isfinite
from typing import TextIO

from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, DataSet
from tempodb._wire.timestamps import UTC, check_instant, get_zone, parse_timestamp

__all__ = [
    "ISO_TIME_MARKS",
    "Layout",
    "TimeReader",
    "add_layout_arguments",
    "layout_from_args",
    "number",
    "parse_points",
    "parse_series",
    "read_table",
    "whole_fraction",
    "write_csv",
]

# Epoch numbers at least this large are milliseconds: as seconds they would be after the year 5000,
# as milliseconds they are after March 1973.
_MS_FROM = 10**11
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
#: Characters 4, 7, 10 and 13 of an ISO date and time of day (a T or a space between them), the
#: shapes read with ``datetime.fromisoformat``; a date alone too, for ``TimeReader``.
ISO_TIME_MARKS = frozenset({"--T:", "-- :"})
_ISO_MARKS = ISO_TIME_MARKS | {"--"}


def whole_fraction(after_seconds: str) -> bool:
    """Whether characters 19-20 of an ISO time open no empty fraction (``fromisoformat`` takes
    ``12:00:00.`` and ``parse_timestamp`` does not)."""
    return after_seconds[:1] not in (".", ",") or after_seconds[1:2].isdigit()
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


class TimeReader:
    """Reads a time cell: with ``fmt`` by ``datetime.strptime``, else in any recognised form.

    Recognised: ISO-8601 (``2012-01-01``, ``2012-01-01T06:00:00.5Z``, a space for the ``T``),
    ``2010/01/01 00:00`` (the same with slashes), and epoch numbers: seconds, or milliseconds when
    at least 10^11.  A time without an offset is read in ``tz`` (UTC by default).
    """

    def __init__(self, fmt: str | None = None, tz: str | None = None) -> None:
        self.fmt = fmt
        self.zone = get_zone(tz) if tz else UTC
        #: Whether ISO times take the ``fromisoformat`` path (no ``--time-format``).
        self.iso = fmt is None

    def __call__(self, text: str) -> datetime:
        text = text.strip()
        if self.iso and text[4:14:3] in _ISO_MARKS and whole_fraction(text[19:21]):
            # Most files hold ISO-8601 (it is what ``tempodb export`` writes): datetime's own parser
            # reads it in a tenth of the time, which is most of an import's time per line.  Only
            # the shapes ``parse_timestamp`` reads get here (the extended date, then T or a space,
            # hours and minutes, no empty fraction: fromisoformat takes more); other forms and
            # anything it refuses go the general way.
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                pass
            else:
                zone = parsed.tzinfo
                if zone is UTC:  # a UTC time is always in the calendar
                    return parsed
                if zone is None:
                    return check_instant(parsed.replace(tzinfo=self.zone))
                offset = parsed.utcoffset()
                if offset is not None and not offset % _MINUTE:  # an offset with seconds is refused below
                    return check_instant(parsed)
        if self.fmt is not None:
            try:
                parsed = datetime.strptime(text, self.fmt)
            except ValueError:
                raise InvalidInputError(f"invalid timestamp {text!r}: it does not match --time-format {self.fmt!r}") from None
            return check_instant(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone))
        if _NUMBER.fullmatch(text):
            seconds = float(text)
            if abs(seconds) >= _MS_FROM:
                seconds /= 1000
            try:
                return check_instant(_EPOCH + timedelta(seconds=seconds))
            except OverflowError:
                raise InvalidInputError(f"invalid timestamp {text!r}: out of range as epoch seconds or ms") from None
        slashed = _SLASHED.match(text)
        if slashed is not None:
            y, m, d = slashed.groups()
            text = f"{y}-{int(m):02d}-{int(d):02d}{text[slashed.end():]}"
        try:
            return parse_timestamp(text, self.zone)
        except InvalidInputError:
            raise InvalidInputError(
                f"invalid timestamp {text!r}: expected ISO-8601 (2012-01-01T00:00:00Z), 2012/01/01 00:00, "
                "epoch seconds or milliseconds, or give its form with --time-format (e.g. '%d.%m.%Y %H:%M')"
            ) from None


@dataclass
class Layout:
    """Which columns of a CSV file to read, and how (see the module docstring).

    Columns are header names or 1-based numbers.  With no value column named, a file with a header
    ``t,v`` (or two columns) is one series; otherwise the value columns must be named.
    """

    time_column: str | None = None
    value_columns: Sequence[str] = ()
    key_template: str | None = None
    times: TimeReader = field(default_factory=TimeReader)
    rename: dict[str, str] = field(default_factory=dict)


def number(text: str) -> int | float:
    """A cell's number: integers stay integers, as the API keeps them; anything else must be a
    finite float (``ValueError`` otherwise)."""
    # float() first: it reads every cell int() reads (underscores too), so only a cell that is
    # whole (or too large for a float) and has no point or exponent is tried with int().
    text = text.strip()
    value = float(text)
    if value.is_integer() or not isfinite(value):
        if "." not in text and "e" not in text and "E" not in text:  # else int() surely fails: 1.0, 1e3
            try:
                return int(text)
            except ValueError:
                pass
        if not isfinite(value):
            raise ValueError(text)
    return value


@dataclass
class _Columns:
    """A layout resolved against one file's first line: cell indexes and each value column's key."""

    time: int
    values: list[tuple[int, str]]
    width: int


def _index(name: str, header: list[str] | None, width: int, where: str) -> int:
    if header is not None and name in header:
        return header.index(name)
    if name.isdigit() and 1 <= int(name) <= width:
        return int(name) - 1
    if header is not None:
        known = f": the header has {', '.join(header)}"
    else:
        known = f" (the file has no header: give a number from 1 to {width})"
    raise InvalidInputError(f"{where}: no column {name!r}{known}")


def _resolve(layout: Layout, header: list[str] | None, width: int, where: str, series_key: str | None) -> _Columns:
    named = header or []
    time_name = layout.time_column or ("t" if "t" in named else "1")
    time = _index(time_name, header, width, where)
    if layout.value_columns:
        value_names = list(layout.value_columns)
    elif "v" in named:
        value_names = ["v"]
    elif width == 2:
        value_names = ["2" if time == 0 else "1"]
    else:
        raise InvalidInputError(
            f"{where}: expected 2 fields t,v, found {width}: name the value columns with --value-column "
            "(one series each) and the time column with --time-column"
        )
    if series_key is None:  # import: no series named on the command line
        template = layout.key_template or "{column}"
        if "{key}" in template:
            raise InvalidInputError(f"--key-template {template!r}: an import names series by {{column}} only")
    else:
        template = layout.key_template or ("{key}" if len(value_names) == 1 else "{key}.{column}")
    values = []
    for name in value_names:
        index = _index(name, header, width, where)
        column = header[index] if header is not None else str(index + 1)
        try:
            values.append((index, template.format(key=series_key or "", column=column)))
        except (KeyError, IndexError, ValueError) as exc:
            raise InvalidInputError(f"--key-template {template!r}: use {{key}} and {{column}} only ({exc})") from None
    if len({key for _, key in values}) < len(values):
        raise InvalidInputError(f"--key-template {template!r} gives two value columns the same series key")
    return _Columns(time, values, width)


def _is_header(cells: list[str], time_column: str | None) -> bool:
    if time_column is not None and not time_column.isdigit():
        return True  # a column named: the file must have a header
    index = int(time_column) - 1 if time_column else 0
    return index >= len(cells) or not any(ch.isdigit() for ch in cells[index])


def read_table(
    lines: Iterable[str], layout: Layout, source: str = "input", series_key: str | None = None
) -> Iterator[tuple[str, DataPoint]]:
    """``(series key, point)`` for every value of every row, checked as it is read: the first bad
    line raises ``InvalidInputError`` naming ``source`` and the line number.

    The first non-blank line is a header if its time cell has no digit, or the time column is
    given by name.  Blank lines and lines
    starting with ``#`` are skipped, and so are empty value cells (a missing value).  ``series_key``
    is ``{key}`` in the key template (one value column: the series itself).
    """
    reader = csv.reader(lines)
    columns: _Columns | None = None
    for row in reader:
        where = f"{source}, line {reader.line_num}"
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if columns is None:
            if _is_header(cells, layout.time_column):
                header = [layout.rename.get(cell, cell) for cell in cells]
                columns = _resolve(layout, header, len(cells), where, series_key)
                continue
            columns = _resolve(layout, None, len(cells), where, series_key)
        if len(cells) != columns.width:
            raise InvalidInputError(f"{where}: expected {columns.width} fields, found {len(cells)}")
        try:
            ts = layout.times(cells[columns.time])
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}: {exc}") from None
        for index, key in columns.values:
            text = cells[index]
            if not text:
                continue
            try:
                yield key, DataPoint(ts, number(text))
            except ValueError:
                raise InvalidInputError(f"{where}: invalid value {text!r}: expected a finite number") from None


def parse_series(lines: Iterable[str], layout: Layout, source: str, series_key: str) -> dict[str, list[DataPoint]]:
    """Every series' points of a file (``read_table``), in the order of its columns."""
    found: dict[str, list[DataPoint]] = {}
    for key, point in read_table(lines, layout, source, series_key):
        found.setdefault(key, []).append(point)
    return found


def parse_points(lines: Iterable[str], source: str = "input") -> list[DataPoint]:
    """The points of ``t,v`` lines (``read_table`` of the default layout, one series)."""
    return [point for _, point in read_table(lines, Layout(), source, "series")]


def write_csv(data: DataSet | Sequence[DataSet], out: TextIO) -> None:
    """``t,v`` header, then one line per point (ISO-8601 timestamps; values round-trip exactly); for
    a list of data sets ``key,t,v``, series after series (as ``tempodb export`` writes)."""
    writer = csv.writer(out, lineterminator="\n")
    if isinstance(data, DataSet):
        writer.writerow(("t", "v"))
        writer.writerows((point.ts.isoformat(), repr(point.value)) for point in data.data)
        return
    writer.writerow(("key", "t", "v"))
    for one in data:
        writer.writerows((one.series.key, point.ts.isoformat(), repr(point.value)) for point in one.data)


# --- command-line options ------------------------------------------------------------------------


def _rename(text: str) -> tuple[str, str]:
    old, sep, new = text.partition("=")
    if not sep or not old or not new:
        raise argparse.ArgumentTypeError(f"expected FILE_HEADER=NAME, got {text!r}")
    return old, new


def add_layout_arguments(parser: argparse.ArgumentParser, template_help: str) -> None:
    """``--time-column``, ``--value-column``, ``--key-template``, ``--time-format``, ``--tz``, ``--rename``."""
    group = parser.add_argument_group("CSV columns and times")
    group.add_argument("--time-column", metavar="COLUMN", help="the column of times: a header name or a 1-based number "
                       "(default: 't', else the first)")  # fmt: skip
    group.add_argument("--value-column", action="append", default=[], metavar="COLUMN",
                       help="a column of values, one series per column (repeatable)")  # fmt: skip
    group.add_argument("--key-template", metavar="TEMPLATE", help=template_help)
    group.add_argument("--time-format", metavar="FORMAT", help="strftime form of the times, e.g. '%%d/%%m/%%Y %%H:%%M' "
                       "(default: recognise ISO-8601, 2010/01/01 00:00, epoch seconds or milliseconds)")  # fmt: skip
    group.add_argument("--tz", help="IANA zone of times without an offset (default: UTC)")
    group.add_argument("--rename", action="append", default=[], type=_rename, metavar="FILE_HEADER=NAME",
                       help="read a header cell under another name, e.g. --rename Date=t (repeatable)")  # fmt: skip


def layout_from_args(args: argparse.Namespace) -> Layout:
    return Layout(args.time_column, tuple(args.value_column), args.key_template,
                  TimeReader(args.time_format, args.tz), dict(args.rename))  # fmt: skip
