"""The batching writer for asyncio and trio: ``async with client.writer() as w: await w.write(...)``.

The buffer and flush rules are ``tempodb._core.writer``; this adds a lock (flushes never overlap, so
points land in the order written) and, with ``flush_interval``, a timer task in a task group the
writer owns: it starts on ``async with`` and is gone when the block is left.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from types import TracebackType
from typing import Any

import anyio
import anyio.abc

from tempodb._core.effects import Operation
from tempodb._core.errors import UndeliveredError
from tempodb._core.session import Session
from tempodb._core.writer import BufferedPoint, FlushResult, Kind, WriterCore, WriterStats, warn_unflushed

__all__ = ["AsyncWriter", "aclose_writers"]

Moment = datetime | date


class AsyncWriter:
    """Buffers points for many series and sends them with ``write_multi`` / ``increment_multi``.

    Flushes when ``max_points`` points (or about ``max_bytes``) were added since the last flush,
    every ``flush_interval`` seconds inside ``async with``, on ``flush()`` and on leaving the block,
    which raises ``UndeliveredError`` with whatever the server did not acknowledge.  An exception in
    the block still flushes what was written before it.  Cancellation does not: a cancelled scope
    must stop promptly, so the points are kept in ``undelivered`` and a warning names their count.
    """

    def __init__(
        self,
        run: Callable[[Operation[Any]], Awaitable[Any]],
        session: Session,
        registry: weakref.WeakSet[AsyncWriter],
        core: WriterCore,
    ) -> None:
        self._run = run
        self._session = session
        self._core = core
        self._registry = registry
        self._lock = anyio.Lock()
        self._group: anyio.abc.TaskGroup | None = None
        #: After a close that could not deliver everything (or a cancelled block): what was left.
        self.undelivered: UndeliveredError | None = None
        self._finalizer = weakref.finalize(self, warn_unflushed, core)
        registry.add(self)

    def __repr__(self) -> str:
        return f"<tempodb AsyncWriter: {len(self._core)} pending, {self.stats}>"

    @property
    def stats(self) -> WriterStats:
        """Counters: ``queued``, ``sent``, ``retried``, ``failed``."""
        return self._core.stats

    @property
    def pending(self) -> list[BufferedPoint]:
        """The points waiting to be sent."""
        return self._core.pending

    async def write(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue a write of ``value`` at ``ts`` to the series ``key`` (or ``id``)."""
        await self._admit(WriterCore.point("write", ts, value, key, id))

    async def increment(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue an increment by ``value`` at ``ts`` of the series ``key`` (or ``id``)."""
        await self._admit(WriterCore.point("increment", ts, value, key, id))

    async def add(self, kind: Kind, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """``write`` or ``increment`` by name."""
        await self._admit(WriterCore.point(kind, ts, value, key, id))

    async def resend(self, points: Iterable[BufferedPoint]) -> None:
        """Queue points again, e.g. ``UndeliveredError.points`` once the server is back."""
        for point in points:
            await self._admit(point)

    async def _admit(self, point: BufferedPoint) -> None:
        # Adding is synchronous, hence atomic between tasks; only a flush takes the lock.
        self._core.check_accepting()
        if self._core.full:
            async with self._lock:
                if self._core.full:
                    await self._flush(report=True)
        self._core.add((point,))
        if self._core.due:
            async with self._lock:
                if self._core.due:
                    await self._flush(report=True)

    async def flush(self) -> FlushResult:
        """Send everything buffered now; returns what was acknowledged, refused or left pending."""
        self._core.check_open()
        async with self._lock:
            return await self._flush(report=False)

    async def _flush(self, report: bool) -> FlushResult:
        flush = self._core.begin()
        if flush is None:
            return FlushResult()
        try:
            await self._run(flush.operation(self._session))
        except BaseException as exc:  # cancelled mid-request included: the core decides what may have landed
            flush.interrupt(exc)
            raise
        finally:
            result = self._core.finish(flush)
            if report:
                self._core.report(result)
        return result

    async def aclose(self) -> None:
        """Flush and raise ``UndeliveredError`` if anything was not delivered (the timer stops too)."""
        if self._core.closed:
            return
        async with self._lock:
            if self._core.closed:
                return
            try:
                await self._flush(report=True)
            finally:
                self._settle()
        if self.undelivered is not None:
            raise self.undelivered

    def _settle(self) -> None:
        self.undelivered = self._core.close()
        self._finalizer.detach()
        self._registry.discard(self)

    async def __aenter__(self) -> AsyncWriter:
        interval = self._core.flush_interval
        if interval is not None:
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
            self._group.start_soon(self._tick, interval)
        return self

    async def _tick(self, interval: float) -> None:
        while not self._core.closed:
            await anyio.sleep(interval)
            async with self._lock:
                if not self._core.closed and len(self._core):
                    await self._flush(report=True)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        orderly = exc_type is None or issubclass(exc_type, Exception)
        group, self._group = self._group, None
        try:
            if group is not None:
                try:
                    if orderly:
                        async with self._lock:  # a timer flush in progress completes first
                            group.cancel_scope.cancel()
                finally:
                    group.cancel_scope.cancel()
                    # Returns once the timer task is done (an interrupted flush settled), and may
                    # then raise the cancellation of the enclosing scope: the finally still runs.
                    await group.__aexit__(None, None, None)
        finally:
            if not orderly:
                self._abandon()
        if orderly:
            await self.aclose()

    def _abandon(self) -> None:
        # Cancelled (or KeyboardInterrupt): no more sending; keep what is left where the caller can see it.
        if not self._core.closed:
            self._settle()
        if self.undelivered is not None:
            warnings.warn(f"tempodb writer cancelled: {self.undelivered}", UserWarning, stacklevel=3)


async def aclose_writers(writers: Iterable[AsyncWriter]) -> None:
    """Close every open writer of a client; the first ``UndeliveredError`` is raised after all closed."""
    first: UndeliveredError | None = None
    for writer in list(writers):
        try:
            await writer.aclose()
        except UndeliveredError as exc:
            first = first or exc
    if first is not None:
        raise first
