"""Streaming reads for scripts: iterate a long range window by window (``for p in client.stream_key(...)``).

The windows are planned by ``tempodb._core.stream``; this only runs them.  ``prefetch=True`` reads
the next window in one helper thread while the caller works through the current one (the
transport must be thread-safe, as httpx and the embedded engine are); the thread ends with the
stream: exhausted, ``close()``d, left in a ``with`` block, or garbage-collected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Generic, TypeVar

from tempodb._core.effects import Operation
from tempodb._core.models import DataSet
from tempodb._core.stream import Stream

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
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tempodb-prefetch") if prefetch else None
        self._next: Future[Window] | None = None
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
        if self._next is not None:
            future, self._next = self._next, None
            window: Window = future.result()
        else:
            op = self._stream.next_read()
            if op is None:
                return None
            window = self._run(op)
        if self._pool is not None:
            op = self._stream.next_read()
            if op is not None:
                self._next = self._pool.submit(self._run, op)
        return window

    def close(self) -> None:
        """Stop reading: the prefetch thread (if any) finishes its request and ends."""
        self._done = True
        self._items = iter(())
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._next = None

    def __enter__(self) -> PointStream[T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
