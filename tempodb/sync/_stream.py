# Generated from tempodb/aio/_stream.py by `python tools/async_to_sync.py`: do not edit by hand.
# Change the async module (or the tool's wording tables) and run the tool again; CI runs it with --check.
"""Streaming reads for scripts: ``for p in client.stream_key(...)``, window by window.

The windows are planned by ``tempodb._core.stream``; this only runs them.  ``prefetch=True`` reads
the next window ahead while the caller works through the current one, in one helper thread (the
transport must be thread-safe, as httpx and the embedded engine are); the thread ends with the
stream: exhausted, ``close()``d, left in a ``with`` block, or garbage-collected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from tempodb._core.effects import Operation
from tempodb._core.models import DataSet
from tempodb._core.stream import Stream
from tempodb.sync._concurrency import Pending, Prefetcher

__all__ = ["PointStream"]

T = TypeVar("T")
Window = list[DataSet]


class PointStream(Generic[T]):
    """An iterator over a stream's items (points, or ``(series, point)`` pairs), one window in memory."""

    def __init__(
        self,
        run: Callable[[Operation[Any]], Any],
        stream: Stream,
        items: Callable[[Window], Iterator[T]],
        prefetch: bool = False,
    ) -> None:
        self._run = run
        self._stream = stream
        self._items_of = items
        self._items: Iterator[T] = iter(())
        self._prefetcher = Prefetcher() if prefetch else None
        self._next: Pending[Window] | None = None
        self._done = False

    def __iter__(self) -> PointStream[T]:
        return self

    def __next__(self) -> T:
        while True:
            for item in self._items:
                return item
            window = self._fetch()
            if window is None:
                self.close()
                raise StopIteration
            self._items = self._items_of(window)

    def _fetch(self) -> Window | None:
        if self._done:
            return None
        if self._prefetcher is not None:
            self._prefetcher.check_ready()
        if self._next is not None:
            pending, self._next = self._next, None
            window: Window = pending.result()
        else:
            op = self._stream.next_read()
            if op is None:
                return None
            window = self._run(op)
        if self._prefetcher is not None:
            op = self._stream.next_read()
            if op is not None:
                self._next = self._prefetcher.spawn(self._run, op)
        return window

    def close(self) -> None:
        """Stop reading: the prefetch thread (if any) finishes its request and ends."""
        self._done = True
        self._items = iter(())
        if self._prefetcher is not None:
            self._prefetcher.halt()
        self._next = None

    def __enter__(self) -> PointStream[T]:
        if self._prefetcher is not None:
            self._prefetcher.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
        if self._prefetcher is not None:
            self._prefetcher.stop()
