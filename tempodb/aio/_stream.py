"""Streaming reads for asyncio and trio: ``async for p in client.stream_key(...)``, window by window.

The windows are planned by ``tempodb._core.stream``; this only runs them.  ``prefetch=True`` reads
the next window in a task while the caller works through the current one; the task lives in a task
group the stream owns, so it needs ``async with client.stream_key(..., prefetch=True) as points:``
(plain ``async for`` without prefetch runs no task at all).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc

from tempodb._core.effects import Operation
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataSet
from tempodb._core.stream import Stream

__all__ = ["AsyncPointStream"]

T = TypeVar("T")
Window = list[DataSet]


class _Slot:
    """Where a prefetch task leaves its window (or its error, raised in the consumer's task)."""

    def __init__(self) -> None:
        self.ready = anyio.Event()
        self.window: Window = []
        self.error: Exception | None = None


class AsyncPointStream(Generic[T]):
    """An async iterator over a stream's items (points, or ``(series, point)`` pairs)."""

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
        self._prefetch = prefetch
        self._group: anyio.abc.TaskGroup | None = None
        self._next: _Slot | None = None
        self._done = False

    def __aiter__(self) -> AsyncPointStream[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            for item in self._items:
                return item
            window = await self._fetch()
            if window is None:
                self._done = True
                raise StopAsyncIteration
            self._items = self._items_of(window)

    async def _fetch(self) -> Window | None:
        if self._done:
            return None
        if self._prefetch and self._group is None:
            raise InvalidInputError("prefetch runs a task: use `async with client.stream_...(prefetch=True) as points:`")
        if self._next is not None:
            slot, self._next = self._next, None
            await slot.ready.wait()
            if slot.error is not None:
                raise slot.error
            window = slot.window
        else:
            op = self._stream.next_read()
            if op is None:
                return None
            window = await self._run(op)
        if self._group is not None:
            op = self._stream.next_read()
            if op is not None:
                self._next = _Slot()
                self._group.start_soon(self._read_ahead, op, self._next)
        return window

    async def _read_ahead(self, op: Operation[Window], slot: _Slot) -> None:
        try:
            slot.window = await self._run(op)
        except Exception as exc:  # handed to the consumer; cancellation propagates as it should
            slot.error = exc
        finally:
            slot.ready.set()

    async def aclose(self) -> None:
        """Stop reading (a prefetch in flight is cancelled when the ``async with`` block ends)."""
        self._done = True
        self._items = iter(())
        self._next = None

    async def __aenter__(self) -> AsyncPointStream[T]:
        if self._prefetch:
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
        group, self._group = self._group, None
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
