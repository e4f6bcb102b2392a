"""``t,v`` CSV in and out: every input line checked (with its line number) before anything is written."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from typing import TextIO

from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, DataSet
from tempodb._wire.timestamps import parse_timestamp

__all__ = ["parse_points", "write_csv"]


def _value(text: str) -> int | float:
    # Integers stay integers, as the API keeps them; anything else must be a finite float.
    try:
        return int(text)
    except ValueError:
        pass
    value = float(text)  # ValueError for non-numbers, caught by the caller
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_points(lines: Iterable[str], source: str = "input") -> list[DataPoint]:
    """The points of ``t,v`` lines; the first non-blank line is a header if its first cell has no digit.

    Blank lines and lines starting with ``#`` are skipped.  The first bad line raises
    ``InvalidInputError`` naming ``source`` and the line number.
    """
    points: list[DataPoint] = []
    first = True
    reader = csv.reader(lines)
    for row in reader:
        number = reader.line_num
        where = f"{source}, line {number}"
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if first:
            first = False
            if not any(ch.isdigit() for ch in cells[0]):
                continue  # a header such as "t,v"
        if len(cells) != 2:
            raise InvalidInputError(f"{where}: expected 2 fields t,v, found {len(cells)}")
        try:
            ts = parse_timestamp(cells[0])
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}: {exc}") from None
        try:
            value = _value(cells[1])
        except ValueError:
            raise InvalidInputError(f"{where}: invalid value {cells[1]!r}: expected a finite number") from None
        points.append(DataPoint(ts, value))
    return points


def write_csv(dataset: DataSet, out: TextIO) -> None:
    """``t,v`` header, then one line per point (ISO-8601 timestamps; values round-trip exactly)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("t", "v"))
    for point in dataset.data:
        writer.writerow((point.ts.isoformat(), repr(point.value)))
