"""The ASGI adapter: turns HTTP requests from any ASGI server (uvicorn for ``tempodb serve``) into
calls of the sans-IO engine, run in worker threads because the engine blocks on SQLite."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import anyio
import anyio.to_thread

from tempodb._wire.http import Request, Response, StreamedResponse
from tempodb.server.console import Console
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES, INTERNAL_ERROR, close_blocks, text_response, too_large_message

if TYPE_CHECKING:
    from tempodb.server.engine import Engine

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_MAX_INFLIGHT_BODY_BYTES",
    "DEFAULT_MAX_THREADS",
    "TempoDBApp",
    "create_app",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# SQLite serialises writers and WAL readers are cheap, so a handful of threads keeps the store busy;
# more would only queue inside SQLite while holding a request body each in memory.
DEFAULT_MAX_THREADS = 8
#: Seconds a request body may take to arrive, from the end of its headers; slower ones get 408.
DEFAULT_BODY_TIMEOUT = 60.0
#: Bytes all request bodies being received or handled may hold together; past it new ones get 503
#: (at least ``max_body_bytes`` when that is larger).
DEFAULT_MAX_INFLIGHT_BODY_BYTES = 256 * 1024 * 1024

# What a Host header may be: host[:port] (RFC 9110 §7.2), a reg-name or IP literal and digits.
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(:[0-9]{0,5})?")

logger = logging.getLogger("tempodb.server")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _OverBudget(Exception):
    pass


class _Budget:
    """The bytes of request body the app holds at once, all requests together.  Used only from the
    event loop's thread, so plain arithmetic is enough."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> None:
        if self.used + size > self.limit:
            raise _OverBudget
        self.used += size

    def give(self, size: int) -> None:
        self.used -= size


class _Held:
    """The budget one request holds; given back whole when the request is done."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.size = 0

    def grow_to(self, size: int) -> None:
        if size > self.size:
            self.budget.take(size - self.size)
            self.size = size

    def release(self) -> None:
        self.budget.give(self.size)
        self.size = 0


class _Respond(Protocol):
    """How ``_serve`` answers: ``advertised`` for the engine's answers, which carry its headers already."""

    def __call__(self, response: Response, *, advertised: bool = False) -> Awaitable[None]: ...


class TempoDBApp:
    """An ASGI 3 application serving one engine; it closes the engine at lifespan shutdown."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_threads: int = DEFAULT_MAX_THREADS,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        max_inflight_body_bytes: int | None = None,
        console: bool = False,
    ) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must be >= 0")
        if max_threads < 1:
            raise ValueError("max_threads must be >= 1")
        if not body_timeout > 0:
            raise ValueError("body_timeout must be > 0")
        if max_inflight_body_bytes is None:
            max_inflight_body_bytes = max(DEFAULT_MAX_INFLIGHT_BODY_BYTES, max_body_bytes)
        if max_inflight_body_bytes < max_body_bytes:
            raise ValueError("max_inflight_body_bytes must be >= max_body_bytes, or the largest body could never pass")
        self.engine = engine
        self.max_body_bytes = max_body_bytes
        self.max_threads = max_threads
        self.body_timeout = body_timeout
        self.budget = _Budget(max_inflight_body_bytes)
        # Static files only, answered before the engine sees the request: see tempodb/server/console.
        self.console = Console() if console else None
        # Created on first use: a limiter belongs to the event loop that runs the app.
        self._limiter: anyio.CapacityLimiter | None = None
        self._close_lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Close the engine once, however many times shutdown paths ask for it."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.engine.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await anyio.to_thread.run_sync(self.close)
                except Exception as exc:
                    logger.exception("closing the engine failed")
                    await send({"type": "lifespan.shutdown.failed", "message": type(exc).__name__})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def respond(response: Response, *, advertised: bool = False) -> None:
            """Send ``response``; the front's own answers get the engine's advertising headers here
            (``advertised``: the engine's answers, which carry them already)."""
            nonlocal started
            started = True
            await _send_response(send, response if advertised else self.engine.advertise(response), self._limiter)

        try:
            await self._serve(scope, receive, respond)
        except Exception:
            # The Request repr redacts Authorization, and nothing else here carries the secret.
            logger.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await respond(text_response(500, INTERNAL_ERROR, {"Connection": "close"}))

    async def _serve(self, scope: Scope, receive: Receive, respond: _Respond) -> None:
        headers = _headers(scope)
        host = headers.get("host", "")
        if not _HOST.fullmatch(host):
            await respond(text_response(400, f"the Host header must be host[:port], not {host[:100]!r}", _CLOSE))
            return
        target = _target(scope)
        if target is None:
            await respond(text_response(400, "the request target must be a path such as /v1/series/", _CLOSE))
            return
        path = target.partition("?")[0]
        if self.console is not None and self.console.owns(path):
            await respond(self.console.answer(scope["method"], path, headers.get("if-none-match", "")))
            return
        declared = headers.get("content-length", "").strip()
        expects_body = (declared not in ("", "0")) or "transfer-encoding" in headers
        # Refuse on the declared length before reading anything, so a client that honours
        # early responses (or waits on Expect: 100-continue) never uploads the body at all.
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await respond(_too_large(self.max_body_bytes))
            return
        request = Request(method=scope["method"], url=_url(scope, target), headers=headers)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_threads)
        # Who is asking and for what, before a byte of body is read: a stranger's upload is never held.
        refused = await anyio.to_thread.run_sync(self.engine.admit, request, limiter=self._limiter)
        if refused is not None:
            if expects_body:  # the unread body would otherwise be read and dropped on this connection
                refused = Response(refused.status_code, {**refused.headers, **_CLOSE}, refused.body)
            await respond(refused, advertised=True)
            return
        held = _Held(self.budget)
        try:
            try:
                if declared.isdigit():
                    held.grow_to(int(declared))
                with anyio.fail_after(self.body_timeout):
                    body = await self._read_body(receive, held)
            except _TooLarge:
                await respond(_too_large(self.max_body_bytes))
                return
            except _OverBudget:
                await respond(text_response(503, _BUSY, {"Retry-After": "1", **_CLOSE}))
                return
            except TimeoutError:
                message = f"the request body did not arrive within {self.body_timeout:g} s; send it faster or smaller"
                await respond(text_response(408, message, _CLOSE))
                return
            except _Disconnected:
                # Half a body is not a request: nothing to apply and nobody to answer.
                return
            request = Request(method=request.method, url=request.url, headers=headers, body=body)
            # Not abandoned on cancel: a write that started must finish even if the client went away.
            response = await anyio.to_thread.run_sync(partial(self.engine.handle, request, stream=True), limiter=self._limiter)
        finally:
            held.release()
        await respond(response, advertised=True)

    async def _read_body(self, receive: Receive, held: _Held) -> bytes:
        """The body; ``held`` grows past the declared length as chunks come (a chunked body)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                # Stop reading here: the server drops the rest of the upload with the connection.
                raise _TooLarge
            held.grow_to(size)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def create_app(
    engine: Engine,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_threads: int = DEFAULT_MAX_THREADS,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    max_inflight_body_bytes: int | None = None,
    console: bool = False,
) -> TempoDBApp:
    """Wrap ``engine`` as an ASGI application: requests are admitted (route and credentials) before
    their body is read; bodies over ``max_body_bytes`` get 413 unread, bodies slower than
    ``body_timeout`` seconds 408, and bodies past ``max_inflight_body_bytes`` held at once 503.
    ``console`` also serves the web console's static files at ``/`` (the API stays at ``/v1/``)."""
    return TempoDBApp(
        engine,
        max_body_bytes=max_body_bytes,
        max_threads=max_threads,
        body_timeout=body_timeout,
        max_inflight_body_bytes=max_inflight_body_bytes,
        console=console,
    )


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        # Repeated headers fold into one, as HTTP allows for list-valued fields.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _target(scope: Scope) -> str | None:
    """The path and query the client asked for, or None unless the path is origin-form (``/...``)."""
    raw_path = scope.get("raw_path")
    # raw_path keeps %2F inside series keys; the decoded path would split a key in two.
    path = raw_path.decode("latin-1") if raw_path else quote(scope.get("root_path", "") + scope["path"])
    if not path.startswith("/") or path.startswith("//"):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


def _url(scope: Scope, target: str) -> str:
    # The authority is where the socket listens, never the Host header: the engine routes on the
    # target alone, and a Host holding "/" or "?" must not be able to become part of the path.
    server = scope.get("server")
    if server and server[1] is not None:
        host = f"[{server[0]}]" if ":" in server[0] else server[0]
        authority = f"{host}:{server[1]}"
    else:
        authority = "localhost"
    return f"{scope.get('scheme', 'http')}://{authority}{target}"


_CLOSE = {"Connection": "close"}
_BUSY = "the server is holding as many request bodies as it may; retry in a moment"


def _too_large(limit: int) -> Response:
    # Connection: close tells the client we will not read the rest of what it is sending.
    return text_response(413, too_large_message(limit), _CLOSE)


async def _send_response(send: Send, response: Response, limiter: anyio.CapacityLimiter | None = None) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    if isinstance(response, StreamedResponse):
        # No length up front: the server frames the body itself (chunked on HTTP/1.1).
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await _send_blocks(send, response.blocks, limiter)
        return
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _send_blocks(send: Send, blocks: Iterator[bytes], limiter: anyio.CapacityLimiter | None) -> None:
    """Send a streamed body block by block, each produced in a worker thread (it reads SQLite).

    Memory holds one block at a time.  A failure while producing one leaves the body unfinished:
    the server then drops the connection, so the client sees a broken response, never a short one.
    """
    try:
        while True:
            block = await anyio.to_thread.run_sync(next, blocks, None, limiter=limiter)
            if block is None:
                break
            if block:
                await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        # Release the read (its SQLite snapshot) however this ended, the client gone included.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close_blocks, blocks, limiter=limiter)
