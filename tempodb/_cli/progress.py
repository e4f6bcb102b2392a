"""A one-line progress bar: redrawn with ``\\r`` on a terminal, or written once when done, or silent."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, TextIO

__all__ = ["REDRAW", "Mode", "Progress", "can_encode", "render_bar"]

#: ``live`` redraws in place, ``final`` writes only the finished line (logs and pipes stay clean),
#: ``off`` writes nothing; ``auto`` is ``live`` on a terminal and ``off`` elsewhere.
Mode = Literal["auto", "live", "final", "off"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
#: Seconds between live redraws (at most ~10 a second; the finished line is always drawn).
REDRAW = 0.1


def can_encode(stream: TextIO, text: str) -> bool:
    """Whether ``stream`` can print ``text`` (a C-locale or cp1252 console cannot print block glyphs)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def render_bar(done: int, total: int, width: int = 30, unicode: bool = True) -> str:
    """``[█████▌    ]`` for ``done`` of ``total``, ``width`` cells inside the brackets."""
    fraction = 1.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
    if not unicode:
        filled = int(fraction * width)
        return "[" + "#" * filled + "." * (width - filled) + "]"
    eighths = int(fraction * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return "[" + bar.ljust(width) + "]"


class Progress:
    """Counts work done out of ``total`` and shows it on ``stream``; use as a context manager."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        label: str = "",
        unit: str = "",
        mode: Mode = "auto",
        width: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode == "auto":
            isatty = getattr(stream, "isatty", None)
            mode = "live" if isatty is not None and isatty() else "off"
        self.total = total
        self.done = 0
        self.stream = stream
        self.label = label
        self.unit = unit
        self.mode: Mode = mode
        self.width = width
        self._unicode = can_encode(stream, "█▉")
        self._clock = clock
        self._started = clock()
        self._drawn = 0  # length of the last live line, to blank what a shorter redraw leaves
        self._next_draw = self._started  # live redraws are at most every REDRAW seconds
        self._closed = False

    def line(self) -> str:
        """The bar as it would be shown now."""
        percent = 100 * self.done // self.total if self.total > 0 else 100
        elapsed = self._clock() - self._started
        unit = f" {self.unit}" if self.unit else ""
        label = f"{self.label} " if self.label else ""
        bar = render_bar(self.done, self.total, self.width, self._unicode)
        return f"{label}{bar} {percent:3d}%  {self.done}/{self.total}{unit}  {elapsed:.1f}s"

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.mode == "live":
            now = self._clock()
            # A redraw per line of a 200k-line import was most of its time and megabytes of stderr.
            if now >= self._next_draw or self.done >= self.total:
                self._next_draw = now + REDRAW
                self._draw()

    def _draw(self) -> None:
        text = self.line()
        self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0))
        self.stream.flush()
        self._drawn = len(text)

    def close(self, completed: bool = True) -> None:
        """End the line; in ``final`` mode write the bar only if the work completed."""
        if self._closed:
            return
        self._closed = True
        if self.mode == "live":
            self._draw()
            self.stream.write("\n")
        elif self.mode == "final" and completed:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        if self.mode == "live":
            self._draw()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(completed=exc_type is None)
