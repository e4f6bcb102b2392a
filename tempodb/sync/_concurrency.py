"""The thread flavour of what the client, the writer and the stream need besides the core, under the
names and shapes of ``tempodb/aio/_concurrency.py`` (from which the sync modules are generated).

Threads only run where asked for (``flush_interval``, ``prefetch=True``); each ends with its owner:
closed, garbage-collected, or (the timer) when the main thread ends, so none keeps Python alive.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from tempodb._core.deadline import DeadlineState
from tempodb._core.errors import TransportError
from tempodb._wire.http import Request, Response

__all__ = ["Deadline", "Lock", "Pending", "Prefetcher", "Timer", "guard"]

T = TypeVar("T")
log = logging.getLogger("tempodb")

#: Re-entrant, so code that holds it for the core may flush under it too.
Lock = threading.RLock
#: What ``Prefetcher.spawn`` returns; ``result()`` waits and raises the call's error.
Pending = Future


def guard(lock: threading.RLock) -> threading.RLock:
    """What to hold while touching a writer's core between flushes: its lock, since the timer thread
    may flush at any moment."""
    return lock


class Timer:
    """Calls ``tick()`` every ``interval`` seconds on a thread of its own, started here (a writer
    needs no ``with`` block) and ended by ``halt()``, by ``tick()`` returning False, by the owner's
    collection (the thread holds ``tick`` weakly) or by the end of the main thread."""

    def __init__(self, tick: Callable[[], bool], interval: float | None) -> None:
        self._stopping = threading.Event()
        self.thread: threading.Thread | None = None
        if interval is not None:
            ref = weakref.WeakMethod(tick)
            self.thread = threading.Thread(target=_ticks, args=(ref, self._stopping, interval), name="tempodb-writer")
            self.thread.start()

    def start(self) -> None:
        """Nothing to do: the thread started with the timer."""

    def halt(self) -> None:
        """Stop the thread and wait for it (a tick in progress ends first), unless called on it."""
        self._stopping.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join()

    def stop(self, lock: threading.RLock | None) -> None:
        """``halt()``: joining the thread already lets a tick in progress end, with or without ``lock``."""
        self.halt()


def _ticks(ref: weakref.WeakMethod[Callable[[], bool]], stopping: threading.Event, interval: float) -> None:
    # Holds the owner only during a tick, so an abandoned writer can still be collected (and warn).
    main = threading.main_thread()
    while not stopping.wait(interval) and main.is_alive():
        tick = ref()
        if tick is None:
            return
        try:
            going = tick()
        except Exception:  # delivery errors are kept by the core; anything else is a bug to see
            log.exception("tempodb: background flush failed")
            going = True
        del tick
        if not going:
            return


class Prefetcher:
    """Runs calls ahead on one helper thread (the transport must then be thread-safe, as httpx and
    the embedded engine are); ``halt()`` ends it, and so does the prefetcher's collection."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tempodb-prefetch")

    def check_ready(self) -> None:
        """Nothing to check: the thread needs no ``with`` block."""

    def start(self) -> None:
        """Nothing to do: the thread starts with the first call."""

    def spawn(self, call: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(call, *args)

    def halt(self) -> None:
        """A call in flight completes, the others are dropped, and the thread ends."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def stop(self) -> None:
        self.halt()


class Deadline(DeadlineState):
    """The wall-clock limit of one call (``seconds``, or None for none).  A thread cannot be cancelled,
    so each send gets the time left: a transport with ``send_within(request, seconds)`` (httpx, h11)
    stops by then, any other is checked once it returns; a wait past the end fails at once.  Either
    way the call raises ``DeadlineExceededError``."""

    @contextmanager
    def within(self) -> Iterator[None]:
        if self.seconds is not None:
            self._end = time.monotonic() + self.seconds
        yield

    def send(self, transport: Any, request: Request) -> Response:
        self._request = request
        if self.seconds is None:
            response: Response = transport.send(request)
            return response
        left = self._end - time.monotonic()
        if left <= 0:
            raise self._expired(request)
        send_within = getattr(transport, "send_within", None)
        try:
            response = send_within(request, left) if send_within is not None else transport.send(request)
        except TransportError as exc:
            if time.monotonic() >= self._end:
                raise self._expired(request) from exc
            raise
        if time.monotonic() > self._end:
            raise self._expired(request)
        return response

    def sleep(self, seconds: float) -> None:
        """Wait before a retry; a wait that would end past the deadline fails now instead."""
        if time.monotonic() + seconds >= self._end:
            raise self._expired()
        time.sleep(seconds)
