"""The batching writer for scripts: ``with client.writer() as w: w.write(ts, v, key="k")``.

The buffer and flush rules are ``tempodb._core.writer``; this adds a lock and, only when
``flush_interval`` is given, one timer thread that the writer owns and joins when it is closed.
"""

from __future__ import annotations

import logging
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable
from datetime import date, datetime
from types import TracebackType
from typing import Any, TypeVar

from tempodb._core.effects import Operation
from tempodb._core.errors import UndeliveredError
from tempodb._core.session import Session
from tempodb._core.writer import BufferedPoint, FlushResult, Kind, WriterCore, WriterStats, warn_unflushed

__all__ = ["Writer", "close_writers"]

T = TypeVar("T")
Moment = datetime | date
log = logging.getLogger("tempodb")


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
        self, run: Callable[[Operation[Any]], Any], session: Session, registry: weakref.WeakSet[Writer], core: WriterCore
    ) -> None:
        self._run = run
        self._session = session
        self._core = core
        self._registry = registry
        self._lock = threading.RLock()
        #: After a close that could not deliver everything (or an interrupted block): what was left.
        self.undelivered: UndeliveredError | None = None
        self._finalizer = weakref.finalize(self, warn_unflushed, core)
        registry.add(self)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if core.flush_interval is not None:
            self._thread = threading.Thread(
                target=_tick, args=(weakref.ref(self), self._stop, core.flush_interval), name="tempodb-writer"
            )
            self._thread.start()

    def __repr__(self) -> str:
        return f"<tempodb Writer: {len(self._core)} pending, {self.stats}>"

    @property
    def stats(self) -> WriterStats:
        """Counters: ``queued``, ``sent``, ``retried``, ``failed``."""
        return self._core.stats

    @property
    def pending(self) -> list[BufferedPoint]:
        """The points waiting to be sent."""
        with self._lock:
            return self._core.pending

    def write(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue a write of ``value`` at ``ts`` to the series ``key`` (or ``id``)."""
        self._admit(WriterCore.point("write", ts, value, key, id))

    def increment(self, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """Queue an increment by ``value`` at ``ts`` of the series ``key`` (or ``id``)."""
        self._admit(WriterCore.point("increment", ts, value, key, id))

    def add(self, kind: Kind, ts: Moment, value: float, *, key: str | None = None, id: str | None = None) -> None:  # noqa: A002
        """``write`` or ``increment`` by name (handy when the kind comes from data)."""
        self._admit(WriterCore.point(kind, ts, value, key, id))

    def resend(self, points: Iterable[BufferedPoint]) -> None:
        """Queue points again, e.g. ``UndeliveredError.points`` once the server is back."""
        for point in points:
            self._admit(point)

    def _admit(self, point: BufferedPoint) -> None:
        with self._lock:
            self._core.check_accepting()
            if self._core.full:
                self._flush(report=True)
            self._core.add((point,))
            if self._core.due:
                self._flush(report=True)

    def flush(self) -> FlushResult:
        """Send everything buffered now; returns what was acknowledged, refused or left pending."""
        with self._lock:
            self._core.check_open()
            return self._flush(report=False)

    def _flush(self, report: bool) -> FlushResult:
        flush = self._core.begin()
        if flush is None:
            return FlushResult()
        try:
            self._run(flush.operation(self._session))
        except BaseException as exc:
            flush.interrupt(exc)
            raise
        finally:
            result = self._core.finish(flush)
            if report:
                self._core.report(result)
        return result

    def close(self) -> None:
        """Flush, stop the timer, and raise ``UndeliveredError`` if anything was not delivered."""
        self._stop_timer()
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

    def _stop_timer(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None or issubclass(exc_type, Exception):
            self.close()
            return
        # KeyboardInterrupt, SystemExit: stop now, send nothing more, but say what was left.
        self._stop_timer()
        with self._lock:
            if not self._core.closed:
                self._settle()
        if self.undelivered is not None:
            warnings.warn(f"tempodb writer interrupted: {self.undelivered}", UserWarning, stacklevel=2)

    def _timer_flush(self) -> None:
        with self._lock:
            if not self._core.closed and len(self._core):
                self._flush(report=True)


def _tick(ref: weakref.ref[Writer], stop: threading.Event, interval: float) -> None:
    # Holds the writer only during a flush, so an abandoned writer can still be collected (and warn).
    main = threading.main_thread()
    while not stop.wait(interval) and main.is_alive():
        writer = ref()
        if writer is None:
            return
        try:
            writer._timer_flush()
        except Exception:  # delivery errors are kept by the core; anything else is a bug to see
            log.exception("tempodb: background flush failed")
        del writer


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
