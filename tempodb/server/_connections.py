"""Connection limits that uvicorn does not have: a deadline for request heads, a cap on open
connections, and one log line (not one traceback per accept) when the process runs out of files.

uvicorn arms its keep-alive timer only after a response, so a connection that sends nothing, or half
a request head, is kept forever; enough of them use up the file descriptors and every new client
waits.  :func:`protocol_class` returns uvicorn's h11 protocol with a timer that closes a connection
whose head does not complete within ``header_timeout`` seconds of the connection (or, between
keep-alive requests, of its first byte), and that turns away connections past ``max_connections``
with a 503 before reading anything.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Mapping

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_HEADER_TIMEOUT", "OnceInAWhile", "default_max_connections", "protocol_class", "quiet_accept_errors"]

#: Seconds a client has to send a complete request head (request line and headers).
DEFAULT_HEADER_TIMEOUT = 10.0
_MAX_CONNECTIONS = 1024
_SPARE_FILES = 64  # descriptors kept free for the database, logs, the listening socket and turned-away connections

log = logging.getLogger("tempodb.server")

_FULL_TEXT = b"the server has as many connections open as it may; retry in a moment"


def _full_answer(headers: Mapping[str, str]) -> bytes:
    """The whole 503 a connection past the cap gets, written before anything is read from it."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("latin-1")
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\n"
        + lines
        + b"Connection: close\r\nContent-Length: " + str(len(_FULL_TEXT)).encode() + b"\r\n\r\n" + _FULL_TEXT
    )


def default_max_connections() -> int:
    """1024, or fewer when the open-file limit (``ulimit -n``) would not leave room for them."""
    try:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):  # pragma: no cover - every POSIX system has it
        return _MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return _MAX_CONNECTIONS
    return max(1, min(_MAX_CONNECTIONS, soft - _SPARE_FILES))


class OnceInAWhile:
    """Lets one record of a kind through per ``period`` seconds, then says how many it held back."""

    def __init__(self, period: float = 60.0) -> None:
        self.period = period
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def allow(self, kind: str) -> tuple[bool, int]:
        """Whether to log ``kind`` now, and how many of it were held back since the last one."""
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.period:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False, 0
        self._last[kind] = now
        return True, self._held.pop(kind, 0)


class _AcceptErrors(logging.Filter):
    """asyncio logs a traceback for every accept() that fails for want of descriptors (up to the
    listen backlog of them each second while it lasts), and at shutdown one more for each accept
    retry it had scheduled on the closed socket: keep one short line a minute instead."""

    def __init__(self) -> None:
        super().__init__()
        self.limiter = OnceInAWhile()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        retry = message.startswith("Exception in callback") and "_start_serving" in message
        if not retry and "out of system resource" not in message:
            return True
        allowed, held = self.limiter.allow("accept")
        if allowed:
            exc = record.exc_info[1] if record.exc_info else None
            more = f" ({held} more since the last report)" if held else ""
            record.msg = f"cannot accept connections: {exc or 'out of system resources'}{more}; raise ulimit -n or lower --max-connections"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return allowed


_accept_filter = _AcceptErrors()


def quiet_accept_errors() -> None:
    """Install the filter that reports running out of descriptors once a minute (idempotent)."""
    logger = logging.getLogger("asyncio")
    if _accept_filter not in logger.filters:
        logger.addFilter(_accept_filter)


_full = OnceInAWhile()


def protocol_class(
    *, header_timeout: float, max_connections: int, headers: Mapping[str, str] | None = None
) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a deadline on request heads and a cap on open connections;
    ``headers`` go on the 503 that turns a connection away (what every answer of the server says)."""
    if not header_timeout > 0:
        raise ValueError("header_timeout must be > 0")
    if max_connections < 1:
        raise ValueError("max_connections must be >= 1")
    full = _full_answer(headers or {})

    class Guarded(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                allowed, held = _full.allow("full")
                if allowed:
                    more = f" ({held} more since the last report)" if held else ""
                    log.warning("%d connections open: turning new ones away with 503%s", max_connections, more)
                transport.write(full)
                transport.close()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:
                if self._head_timer is None:  # the first bytes of a head: its deadline starts now
                    self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            # Still no complete request head: nothing has started, so closing loses nothing.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return Guarded
