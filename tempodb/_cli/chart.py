"""A terminal line chart of a list of numbers: braille dots (2x4 per character) with axis labels.

Pure: ``line_chart`` returns the lines, the caller prints them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["line_chart", "resample"]

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


def line_chart(
    values: Sequence[float],
    width: int = 72,
    height: int = 12,
    *,
    x_labels: tuple[str, str] = ("", ""),
    y_format: Callable[[float], str] = "{:.1f}".format,
    unicode: bool = True,
) -> list[str]:
    """Lines of a chart ``width`` characters by ``height`` rows, plus the x axis and its labels.

    The y axis spans the data's min..max (labelled at the top, middle and bottom rows);
    ``x_labels`` go under the first and last columns.  Non-finite values are dropped.
    ``unicode=False`` draws with ``*`` for consoles without braille glyphs.
    """
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite or width < 1 or height < 1:
        return []
    dots_x, dots_y = width * 2, height * 4
    samples = resample(finite, dots_x)
    low, high = min(samples), max(samples)
    span = high - low
    if span <= 1e-12 * max(abs(high), abs(low), 1.0):
        span = 0.0  # rounding noise, not a trend: draw it flat
    cells = [[0] * width for _ in range(height)]

    def plot(x: int, y: int) -> None:  # y counts dots from the bottom
        row, sub_row = divmod(dots_y - 1 - y, 4)
        cells[row][x // 2] |= _DOTS[sub_row][x % 2]

    previous: int | None = None
    for x, value in enumerate(samples):
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
