"""Terminal line charts: braille dots (2x4 per character) with axis labels, of a list of numbers
(``line_chart``) or of what any read returns (``chart``: one data set or many, raw or rolled up, in
any zone), as ``tempodb read --chart`` and ``tempodb demo`` draw them.

Pure: the functions return the lines, the caller prints them.

    >>> for line in chart(client.read_key("temp", start, end, "1hour", tz="Europe/Paris")):
    ...     print(line)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from tempodb._core.models import DataSet
from tempodb._wire.timestamps import UTC, epoch_ms, from_epoch_ms, get_zone

__all__ = ["chart", "line_chart", "place", "resample"]

# Bit of each dot in a braille cell, indexed [row from the top][column].
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE = 0x2800


def resample(values: Sequence[float], count: int) -> list[float]:
    """``count`` samples: bucket means when shrinking (keeps the shape), linear interpolation when stretching."""
    n = len(values)
    if n == 0 or count <= 0:
        return []
    if n >= count:
        out = []
        for i in range(count):
            lo, hi = i * n // count, (i + 1) * n // count
            bucket = values[lo:max(hi, lo + 1)]
            out.append(sum(bucket) / len(bucket))
        return out
    if n == 1:
        return [float(values[0])] * count
    out = []
    for i in range(count):
        position = i * (n - 1) / (count - 1) if count > 1 else 0.0
        left = min(int(position), n - 2)
        weight = position - left
        out.append(values[left] + (values[left + 1] - values[left]) * weight)
    return out


def place(times: Sequence[int], values: Sequence[float], count: int, span: tuple[int, int]) -> list[float | None]:
    """``count`` samples of a time axis over ``span`` (epoch ms, inclusive): the mean of the values
    falling in each column, interpolated across empty columns between the first and the last point,
    None outside them (where the series has no data)."""
    if count <= 0:
        return []
    low, high = span
    width = max(high - low, 1)
    sums, counts = [0.0] * count, [0] * count
    for t, value in zip(times, values, strict=True):
        if math.isfinite(value):
            column = min(max((t - low) * count // width, 0), count - 1)
            sums[column] += value
            counts[column] += 1
    known = [i for i in range(count) if counts[i]]
    out: list[float | None] = [sums[i] / counts[i] if counts[i] else None for i in range(count)]
    for left, right in itertools.pairwise(known):
        a, b = sums[left] / counts[left], sums[right] / counts[right]
        for i in range(left + 1, right):
            out[i] = a + (b - a) * (i - left) / (right - left)
    return out


def line_chart(
    values: Sequence[float],
    width: int = 72,
    height: int = 12,
    *,
    x_labels: tuple[str, str] = ("", ""),
    y_format: Callable[[float], str] = "{:.1f}".format,
    unicode: bool = True,
    times: Sequence[int] | None = None,
    time_range: tuple[int, int] | None = None,
) -> list[str]:
    """Lines of a chart ``width`` characters by ``height`` rows, plus the x axis and its labels.

    The y axis spans the data's min..max (labelled at the top, middle and bottom rows);
    ``x_labels`` go under the first and last columns.  Non-finite values are dropped.  Without
    ``times`` the values are spread evenly; with ``times`` (epoch ms, one per value) each is drawn at
    its instant on an axis over ``time_range`` (default: the first to the last time), so irregular
    data and several charts on one range line up.  ``unicode=False`` draws with ``*`` for consoles
    without braille glyphs.
    """
    if width < 1 or height < 1:
        return []
    dots_x, dots_y = width * 2, height * 4
    if times is None:
        samples: list[float | None] = list(resample([float(v) for v in values if math.isfinite(v)], dots_x))
    elif len(times) != len(values):
        raise ValueError(f"{len(times)} times for {len(values)} values")
    else:
        axis = time_range or (min(times, default=0), max(times, default=0))
        samples = place(times, [float(v) for v in values], dots_x, axis)
    drawn = [v for v in samples if v is not None]
    if not drawn:
        return []
    low, high = min(drawn), max(drawn)
    span = high - low
    if span <= 1e-12 * max(abs(high), abs(low), 1.0):
        span = 0.0  # rounding noise, not a trend: draw it flat
    cells = [[0] * width for _ in range(height)]

    def plot(x: int, y: int) -> None:  # y counts dots from the bottom
        row, sub_row = divmod(dots_y - 1 - y, 4)
        cells[row][x // 2] |= _DOTS[sub_row][x % 2]

    previous: int | None = None
    for x, value in enumerate(samples):
        if value is None:  # outside the series' own time range
            previous = None
            continue
        # A flat series draws along the middle rather than hugging the axis.
        y = round((value - low) / span * (dots_y - 1)) if span > 0 else dots_y // 2
        if previous is None or y == previous:
            plot(x, y)
        else:
            # Filling the vertical gap from the previous sample keeps steep stretches a connected line.
            step = 1 if y > previous else -1
            for fill in range(previous + step, y + step, step):
                plot(x, fill)
        previous = y

    # The middle label is the value at the centre of its row, so it reads true against the line.
    mid_row = height // 2
    mid = high - (mid_row * 4 + 1.5) / (dots_y - 1) * span if span > 0 else low
    labels = {mid_row: y_format(mid), 0: y_format(high), height - 1: y_format(low)}
    label_width = max(len(text) for text in labels.values())
    tick, rule, corner, dash = ("┤", "│", "└", "─") if unicode else ("+", "|", "+", "-")
    lines = []
    for row, bits in enumerate(cells):
        if unicode:
            body = "".join(chr(_BRAILLE + b) if b else " " for b in bits)
        else:
            body = "".join("*" if b else " " for b in bits)
        label = labels.get(row, "")
        lines.append(f"{label:>{label_width}} {tick if label else rule}{body.rstrip()}")
    lines.append(" " * (label_width + 1) + corner + dash * width)
    left, right = x_labels
    if left or right:
        gap = max(width - len(left) - len(right), 1)
        lines.append(" " * (label_width + 2) + left + " " * gap + right)
    return lines


def chart(
    data: DataSet | Sequence[DataSet],
    width: int = 72,
    height: int = 10,
    *,
    tz: str | None = None,
    unicode: bool = True,
    y_format: Callable[[float], str] = "{:.4g}".format,
) -> list[str]:
    """The lines of a chart per data set (a read's result, one or a list), each titled with its series
    key, rollup and point count, all on one time axis labelled in ``tz`` (default: the zone of the
    read's rollup, else UTC).  A data set without points is titled ``(no points)``."""
    sets = [data] if isinstance(data, DataSet) else list(data)
    stamps = [[epoch_ms(p.ts) for p in one.data] for one in sets]
    everything = [t for times in stamps for t in times]
    if not everything:
        return [f"{_title(one)} (no points)" for one in sets]
    span = (min(everything), max(everything))
    zone = _zone(sets, tz)
    labels = (_label(span[0], zone), _label(span[1], zone))
    lines: list[str] = []
    for one, times in zip(sets, stamps, strict=True):
        lines.append(f"{_title(one)}: {len(one.data)} points")
        values = [float(p.value) for p in one.data]
        drawn = line_chart(values, width, height, x_labels=labels, y_format=y_format, unicode=unicode,
                           times=times, time_range=span)  # fmt: skip
        lines += drawn or ["  (no finite values)"]
    return lines


def _title(one: DataSet) -> str:
    rollup = f" ({one.rollup.function} per {one.rollup.interval})" if one.rollup is not None else ""
    return f"{one.series.key or one.series.id}{rollup}"


def _zone(sets: Sequence[DataSet], tz: str | None) -> tzinfo:
    if tz:
        return get_zone(tz)
    rolled = [one.rollup.tz for one in sets if one.rollup is not None and one.rollup.tz]
    return get_zone(rolled[0]) if rolled else UTC


def _label(ms: int, zone: tzinfo) -> str:
    moment: datetime = from_epoch_ms(ms, zone)
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or ''}".rstrip()
