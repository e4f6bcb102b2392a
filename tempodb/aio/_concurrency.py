"""The async flavour of what the client, the writer and the stream need besides the core: a call's
deadline, a lock, a timer and read-ahead, on anyio (so asyncio and trio alike), with no task outliving an ``async with`` block.

``tempodb/sync/_concurrency.py`` has the same names and shapes on threads, which is what lets
``tools/async_to_sync.py`` generate the sync writer and stream from the async ones.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Generic, TypeVar, cast

import anyio
import anyio.abc

from tempodb._core.deadline import DeadlineState
from tempodb._core.errors import InvalidInputError
from tempodb._wire.http import Request, Response

__all__ = ["Deadline", "Lock", "Pending", "Prefetcher", "Timer", "guard"]

T = TypeVar("T")

#: Serialises a writer's flushes: one task at a time.
Lock = anyio.Lock


def guard(lock: Lock) -> AbstractContextManager[object]:
    """What to hold while touching a writer's core between flushes: nothing, since code between two
    ``await``s runs without a task switch (sync: the lock, against the timer thread)."""
    return nullcontext()


class Timer:
    """Awaits ``tick()`` every ``interval`` seconds, until it returns False, in a task of a task group
    that ``start()`` opens and ``stop()`` leaves: the owner's ``async with`` block bounds its life."""

    def __init__(self, tick: Callable[[], Awaitable[bool]], interval: float | None) -> None:
        self._tick = weakref.WeakMethod(tick)  # a bound method: held strongly, its owner would be in a cycle
        self._interval = interval
        self.group: anyio.abc.TaskGroup | None = None

    async def start(self) -> None:
        if self._interval is not None:
            self.group = anyio.create_task_group()
            await self.group.__aenter__()
            self.group.start_soon(self._run, self._interval)

    async def _run(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            tick = self._tick()
            if tick is None or not await tick():
                return
            del tick

    def halt(self) -> None:
        """Nothing to do before ``stop()``: once the owner is closed the task ends at its next tick, and
        cancelling it here could interrupt a tick in progress."""

    async def stop(self, lock: Lock | None) -> None:
        """Cancel the task and leave its task group; holding ``lock`` first lets a tick in progress end."""
        group, self.group = self.group, None
        if group is None:
            return
        try:
            if lock is not None:
                async with lock:
                    group.cancel_scope.cancel()
        finally:
            group.cancel_scope.cancel()
            # Returns once the task is done (an interrupted tick settled), and may then raise the
            # cancellation of the enclosing scope: the caller's finally clauses still run.
            await group.__aexit__(None, None, None)


class Pending(Generic[T]):
    """A result a read-ahead task is computing; ``await result()`` raises the task's error instead."""

    def __init__(self) -> None:
        self._ready = anyio.Event()
        self._value: T | None = None
        self._error: Exception | None = None

    async def fill(self, call: Callable[..., Awaitable[T]], *args: Any) -> None:
        try:
            self._value = await call(*args)
        except Exception as exc:  # handed to the consumer; cancellation propagates as it should
            self._error = exc
        finally:
            self._ready.set()

    async def result(self) -> T:
        await self._ready.wait()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


class Prefetcher:
    """Runs calls ahead in tasks of a task group that ``start()`` opens and ``stop()`` cancels and
    leaves, so reading ahead needs an ``async with`` block: ``check_ready()`` says so without one."""

    def __init__(self) -> None:
        self.group: anyio.abc.TaskGroup | None = None

    def check_ready(self) -> None:
        if self.group is None:
            raise InvalidInputError("prefetch runs a task: use `async with client.stream_...(prefetch=True) as points:`")

    async def start(self) -> None:
        self.group = anyio.create_task_group()
        await self.group.__aenter__()

    def spawn(self, call: Callable[..., Awaitable[T]], *args: Any) -> Pending[T] | None:
        """``call(*args)`` in a new task (None once the task group was left)."""
        if self.group is None:
            return None
        pending: Pending[T] = Pending()
        self.group.start_soon(pending.fill, call, *args)
        return pending

    def halt(self) -> None:
        """Nothing to do before ``stop()``, which cancels a call in flight."""

    async def stop(self) -> None:
        group, self.group = self.group, None
        if group is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)


class Deadline(DeadlineState):
    """The wall-clock limit of one call (``seconds``, or None for none): ``within()`` bounds the block
    with a cancel scope, so a send that trickles forever or a sleep past the end is cut off, and the
    block raises ``DeadlineExceededError``."""

    @contextmanager
    def within(self) -> Iterator[None]:
        if self.seconds is None:
            yield
            return
        self._end = anyio.current_time() + self.seconds
        with anyio.CancelScope(deadline=self._end) as scope:
            yield
        if scope.cancelled_caught:
            raise self._expired()

    async def send(self, transport: Any, request: Request) -> Response:
        self._request = request
        response: Response = await transport.send(request)
        return response

    async def sleep(self, seconds: float) -> None:
        """Wait before a retry; a wait that would end past the deadline fails now instead."""
        if anyio.current_time() + seconds >= self._end:
            raise self._expired()
        await anyio.sleep(seconds)
