"""The batching writer for asyncio and trio: ``async with client.writer() as w: await w.write(ts, v, key="k")``.

The buffer and flush rules are ``tempodb._core.writer``; this adds a lock (flushes never overlap, so
points land in the order written) and, with ``flush_interval``, a timer that the writer owns:
a task in a task group, from ``async with`` to the end of the block.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from tempodb._core.effects import Operation
from tempodb._core.errors import UndeliveredError
from tempodb._core.protocol import Items
from tempodb._core.session import Session
from tempodb._core.writer import BufferedPoint, FlushResult, Kind, WriterCore, WriterStats, warn_unflushed
from tempodb._wire.timestamps import Moment
from tempodb.aio._concurrency import Lock, Timer, guard

__all__ = ["AsyncWriter", "aclose_writers"]



class AsyncWriter:
    """Buffers points for many series and sends them with ``write_multi`` / ``increment_multi``.

    A flush runs when ``max_points`` points (or about ``max_bytes`` of body) were added since the
    last one, every ``flush_interval`` seconds if given, on ``flush()`` and when the writer is
    closed.  Leaving the ``async with`` block (or ``aclose()``) flushes everything and raises
    ``UndeliveredError`` with whatever the server did not acknowledge, so nothing is lost silently.
    An exception in the block still flushes what was written before it; cancellation, ``KeyboardInterrupt`` and
    other ``BaseException``s do not (the points stay in ``undelivered``, with a warning).

    With ``flush_interval`` a timer task flushes in the background, in a task group the writer owns:
    it starts on ``async with`` and is gone when the block is left.
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
        self._lock = Lock()  # held by a flush: flushes never overlap
        self._guard = guard(self._lock)  # held to touch the core between flushes (see _concurrency)
        #: After a close that could not deliver everything (or a cancelled block): what was left.
        self.undelivered: UndeliveredError | None = None
        self._finalizer = weakref.finalize(self, warn_unflushed, core)
        registry.add(self)
        self._timer = Timer(self._tick, core.flush_interval)

    def __repr__(self) -> str:
        return f"<tempodb {type(self).__name__}: {len(self._core)} pending, {self.stats}>"

    @property
    def stats(self) -> WriterStats:
        """Counters: ``queued``, ``sent``, ``retried``, ``failed``."""
        return self._core.stats

    @property
    def pending(self) -> list[BufferedPoint]:
        """The points waiting to be sent."""
        with self._guard:
            return self._core.pending

    async def write(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue a write of ``value`` at ``ts`` to the series ``key`` (or ``id``)."""
        with self._guard:
            due = self._core.queue("write", ts, value, key, id)
        if due is not False:
            await self._queued(due, "write", ts, value, key, id)

    async def increment(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue an increment by ``value`` at ``ts`` of the series ``key`` (or ``id``)."""
        with self._guard:
            due = self._core.queue("increment", ts, value, key, id)
        if due is not False:
            await self._queued(due, "increment", ts, value, key, id)

    async def add(self, kind: Kind, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """``write`` or ``increment`` by name (handy when the kind comes from data)."""
        with self._guard:
            due = self._core.queue(kind, ts, value, key, id)
        if due is not False:
            await self._queued(due, kind, ts, value, key, id)

    async def write_multi(self, data: Items) -> None:
        """Queue many writes in one call: ``{"t", "key" | "id", "v"}`` dicts (or ``MultiItem``s), as
        ``client.write_multi`` takes them.  All are checked before any is queued."""
        await self._admit(WriterCore.points("write", data))

    async def increment_multi(self, data: Items) -> None:
        """Queue many increments in one call, as ``write_multi`` (items as ``client.increment_multi``)."""
        await self._admit(WriterCore.points("increment", data))

    async def resend(self, points: Iterable[BufferedPoint]) -> None:
        """Queue points again, e.g. ``UndeliveredError.points`` once the server is back."""
        await self._admit(list(points))

    async def _queued(
        self, due: bool | None, kind: Kind, ts: Moment, value: float, key: str | None, series_id: str | None
    ) -> None:
        """What follows ``WriterCore.queue`` unless it queued a point with no flush due (that test is
        in ``write`` itself, so the common point costs no call more): the flush now due, or (None,
        nothing queued: closed, full, or not the common point) the careful way, which also raises
        the right error."""
        if due is None:
            await self._admit([WriterCore.point(kind, ts, value, key, series_id)])
        else:
            await self._flush_due()

    async def _admit(self, points: Sequence[BufferedPoint]) -> None:
        """Queue ``points`` in order, flushing whenever the buffer is full or a flush is due (so a
        batch goes out in flushes of ``max_points``, as the same points written one by one)."""
        with self._guard:
            done = 0
            while done < len(points):
                self._core.check_accepting()
                if self._core.full:
                    async with self._lock:
                        if self._core.full:
                            await self._flush(report=True)
                # At least one point, so a buffer still full after a failed flush raises BufferFullError.
                take = points[done : done + max(1, min(self._core.room, self._core.wanted))]
                self._core.add(take)
                done += len(take)
                await self._flush_due()

    async def _flush_due(self) -> None:
        if self._core.due:
            async with self._lock:
                if self._core.due:  # another task may have flushed while this one waited
                    await self._flush(report=True)

    async def flush(self) -> FlushResult:
        """Send everything buffered now; returns what was acknowledged, refused or left pending."""
        with self._guard:
            self._core.check_open()
            async with self._lock:
                return await self._flush(report=False)

    async def _flush(self, report: bool) -> FlushResult:
        started = time.monotonic()
        if self._core.given_up(started):
            # The server has been failing for give_up_after seconds: keep the points, send nothing.
            return FlushResult(pending=len(self._core), error=self._core.last_error)
        flush = self._core.begin()
        if flush is None:
            return FlushResult()
        try:
            await self._run(flush.operation(self._session))
        except BaseException as exc:  # cancelled mid-request included: the core decides what may have landed
            flush.interrupt(exc)
            raise
        finally:
            result = self._core.finish(flush, started)
            if report:
                self._core.report(result)
        return result

    async def _tick(self) -> bool:
        """The timer's flush; False once the writer is closed, which ends the timer."""
        async with self._lock:
            if not self._core.closed and len(self._core):
                await self._flush(report=True)
        return not self._core.closed

    async def aclose(self) -> None:
        """Flush, stop the timer, and raise ``UndeliveredError`` if anything was not delivered."""
        self._timer.halt()
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
        await self._timer.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        orderly = exc_type is None or issubclass(exc_type, Exception)
        try:
            # Orderly, a timer flush in progress completes first.
            await self._timer.stop(self._lock if orderly else None)
        finally:
            if not orderly:
                self._abandon()
        if orderly:
            await self.aclose()

    def _abandon(self) -> None:
        # A BaseException (cancellation, KeyboardInterrupt): send nothing more, but keep what is left where
        # the caller can see it (a cancelled scope must stop promptly).
        with self._guard:
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
