"""Streaming reads for asyncio and trio: ``async for p in client.stream_key(...)``, window by window.

The windows are planned by ``tempodb._core.stream``; this only runs them.  ``prefetch=True`` reads
the next window ahead while the caller works through the current one, in a task of a task group the
stream owns, so it needs ``async with client.stream_key(..., prefetch=True) as points:`` (plain
``async for`` without prefetch runs no task at all).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from tempodb._core.effects import Operation
from tempodb._core.models import DataSet
from tempodb._core.stream import Stream
from tempodb.aio._concurrency import Pending, Prefetcher

__all__ = ["AsyncPointStream"]

T = TypeVar("T")
Window = list[DataSet]


class AsyncPointStream(Generic[T]):
    """An async iterator over a stream's items (points, or ``(series, point)`` pairs), one window in memory."""

    def __init__(
        self,
        run: Callable[[Operation[Any]], Awaitable[Any]],
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

    def __aiter__(self) -> AsyncPointStream[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            for item in self._items:
                return item
            window = await self._fetch()
            if window is None:
                await self.aclose()
                raise StopAsyncIteration
            self._items = self._items_of(window)

    async def _fetch(self) -> Window | None:
        if self._done:
            return None
        if self._prefetcher is not None:
            self._prefetcher.check_ready()
        if self._next is not None:
            pending, self._next = self._next, None
            window: Window = await pending.result()
        else:
            op = self._stream.next_read()
            if op is None:
                return None
            window = await self._run(op)
        if self._prefetcher is not None:
            op = self._stream.next_read()
            if op is not None:
                self._next = self._prefetcher.spawn(self._run, op)
        return window

    async def aclose(self) -> None:
        """Stop reading (a prefetch in flight is cancelled when the ``async with`` block ends)."""
        self._done = True
        self._items = iter(())
        if self._prefetcher is not None:
            self._prefetcher.halt()
        self._next = None

    async def __aenter__(self) -> AsyncPointStream[T]:
        if self._prefetcher is not None:
            await self._prefetcher.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
        if self._prefetcher is not None:
            await self._prefetcher.stop()
