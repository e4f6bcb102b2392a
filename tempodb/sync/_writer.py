# Generated from tempodb/aio/_writer.py by `python tools/async_to_sync.py`: do not edit by hand.
# Change the async module (or the tool's wording tables) and run the tool again; CI runs it with --check.
"""The batching writer for scripts: ``with client.writer() as w: w.write(ts, v, key="k")``.

The buffer and flush rules are ``tempodb._core.writer``; this adds a lock (flushes never overlap, so
points land in the order written) and, with ``flush_interval``, a timer that the writer owns:
one thread, started at once and joined when the writer is closed.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from tempodb._core.effects import Operation
from tempodb._core.errors import UndeliveredError
from tempodb._core.protocol import Items
from tempodb._core.session import Session
from tempodb._core.writer import BufferedPoint, FlushResult, Kind, WriterCore, WriterStats, warn_unflushed
from tempodb._wire.timestamps import Moment
from tempodb.sync._concurrency import Lock, Timer, guard

__all__ = ["Writer", "close_writers"]



class Writer:
    """Buffers points for many series and sends them with ``write_multi`` / ``increment_multi``.

    A flush runs when ``max_points`` points (or about ``max_bytes`` of body) were added since the
    last one, every ``flush_interval`` seconds if given, on ``flush()`` and when the writer is
    closed.  Leaving the ``with`` block (or ``close()``) flushes everything and raises
    ``UndeliveredError`` with whatever the server did not acknowledge, so nothing is lost silently.
    An exception in the block still flushes what was written before it; ``KeyboardInterrupt`` and
    other ``BaseException``s do not (the points stay in ``undelivered``, with a warning).

    With ``flush_interval`` a timer thread flushes in the background: the transport must then be
    thread-safe (httpx and the embedded engine are).  It stops on ``close()``, when the writer is
    garbage-collected, or when the main thread ends, so it never keeps the interpreter alive.
    """

    def __init__(
        self,
        run: Callable[[Operation[Any]], Any],
        session: Session,
        registry: weakref.WeakSet[Writer],
        core: WriterCore,
    ) -> None:
        self._run = run
        self._session = session
        self._core = core
        self._registry = registry
        self._lock = Lock()  # held by a flush: flushes never overlap
        self._guard = guard(self._lock)  # held to touch the core between flushes (see _concurrency)
        #: After a close that could not deliver everything (or an interrupted block): what was left.
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

    def write(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue a write of ``value`` at ``ts`` to the series ``key`` (or ``id``)."""
        with self._guard:
            due = self._core.queue("write", ts, value, key, id)
        if due is not False:
            self._queued(due, "write", ts, value, key, id)

    def increment(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue an increment by ``value`` at ``ts`` of the series ``key`` (or ``id``)."""
        with self._guard:
            due = self._core.queue("increment", ts, value, key, id)
        if due is not False:
            self._queued(due, "increment", ts, value, key, id)

    def add(self, kind: Kind, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """``write`` or ``increment`` by name (handy when the kind comes from data)."""
        with self._guard:
            due = self._core.queue(kind, ts, value, key, id)
        if due is not False:
            self._queued(due, kind, ts, value, key, id)

    def write_multi(self, data: Items) -> None:
        """Queue many writes in one call: ``{"t", "key" | "id", "v"}`` dicts (or ``MultiItem``s), as
        ``client.write_multi`` takes them.  All are checked before any is queued."""
        self._admit(WriterCore.points("write", data))

    def increment_multi(self, data: Items) -> None:
        """Queue many increments in one call, as ``write_multi`` (items as ``client.increment_multi``)."""
        self._admit(WriterCore.points("increment", data))

    def resend(self, points: Iterable[BufferedPoint]) -> None:
        """Queue points again, e.g. ``UndeliveredError.points`` once the server is back."""
        self._admit(list(points))

    def _queued(
        self, due: bool | None, kind: Kind, ts: Moment, value: float, key: str | None, series_id: str | None
    ) -> None:
        """What follows ``WriterCore.queue`` unless it queued a point with no flush due (that test is
        in ``write`` itself, so the common point costs no call more): the flush now due, or (None,
        nothing queued: closed, full, or not the common point) the careful way, which also raises
        the right error."""
        if due is None:
            self._admit([WriterCore.point(kind, ts, value, key, series_id)])
        else:
            self._flush_due()

    def _admit(self, points: Sequence[BufferedPoint]) -> None:
        """Queue ``points`` in order, flushing whenever the buffer is full or a flush is due (so a
        batch goes out in flushes of ``max_points``, as the same points written one by one)."""
        with self._guard:
            done = 0
            while done < len(points):
                self._core.check_accepting()
                if self._core.full:
                    with self._lock:
                        if self._core.full:
                            self._flush(report=True)
                # At least one point, so a buffer still full after a failed flush raises BufferFullError.
                take = points[done : done + max(1, min(self._core.room, self._core.wanted))]
                self._core.add(take)
                done += len(take)
                self._flush_due()

    def _flush_due(self) -> None:
        if self._core.due:
            with self._lock:
                if self._core.due:  # another task may have flushed while this one waited
                    self._flush(report=True)

    def flush(self) -> FlushResult:
        """Send everything buffered now; returns what was acknowledged, refused or left pending."""
        with self._guard:
            self._core.check_open()
            with self._lock:
                return self._flush(report=False)

    def _flush(self, report: bool) -> FlushResult:
        started = time.monotonic()
        if self._core.given_up(started):
            # The server has been failing for give_up_after seconds: keep the points, send nothing.
            return FlushResult(pending=len(self._core), error=self._core.last_error)
        flush = self._core.begin()
        if flush is None:
            return FlushResult()
        try:
            self._run(flush.operation(self._session))
        except BaseException as exc:  # interrupted mid-request included: the core decides what may have landed
            flush.interrupt(exc)
            raise
        finally:
            result = self._core.finish(flush, started)
            if report:
                self._core.report(result)
        return result

    def _tick(self) -> bool:
        """The timer's flush; False once the writer is closed, which ends the timer."""
        with self._lock:
            if not self._core.closed and len(self._core):
                self._flush(report=True)
        return not self._core.closed

    def close(self) -> None:
        """Flush, stop the timer, and raise ``UndeliveredError`` if anything was not delivered."""
        self._timer.halt()
        if self._core.closed:
            return
        with self._lock:
            if self._core.closed:
                return
            try:
                self._flush(report=True)
            finally:
                self._settle()
        if self.undelivered is not None:
            raise self.undelivered

    def _settle(self) -> None:
        self.undelivered = self._core.close()
        self._finalizer.detach()
        self._registry.discard(self)

    def __enter__(self) -> Writer:
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        orderly = exc_type is None or issubclass(exc_type, Exception)
        try:
            # Orderly, a timer flush in progress completes first.
            self._timer.stop(self._lock if orderly else None)
        finally:
            if not orderly:
                self._abandon()
        if orderly:
            self.close()

    def _abandon(self) -> None:
        # A BaseException (KeyboardInterrupt, SystemExit): send nothing more, but keep what is left where
        # the caller can see it.
        with self._guard:
            if not self._core.closed:
                self._settle()
        if self.undelivered is not None:
            warnings.warn(f"tempodb writer interrupted: {self.undelivered}", UserWarning, stacklevel=3)


def close_writers(writers: Iterable[Writer]) -> None:
    """Close every open writer of a client; the first ``UndeliveredError`` is raised after all closed."""
    first: UndeliveredError | None = None
    for writer in list(writers):
        try:
            writer.close()
        except UndeliveredError as exc:
            first = first or exc
    if first is not None:
        raise first
