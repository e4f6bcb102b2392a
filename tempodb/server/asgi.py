"""The ASGI adapter: turns HTTP requests from any ASGI server (uvicorn for ``tempodb serve``) into
calls of the sans-IO engine, run in worker threads because the engine blocks on SQLite."""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import anyio.to_thread

from tempodb._wire.http import Request, Response, StreamedResponse
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES, INTERNAL_ERROR, close_blocks, text_response, too_large_message

if TYPE_CHECKING:
    from tempodb.server.engine import Engine

__all__ = ["DEFAULT_MAX_THREADS", "TempoDBApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# SQLite serialises writers and WAL readers are cheap, so a handful of threads keeps the store busy;
# more would only queue inside SQLite while holding a request body each in memory.
DEFAULT_MAX_THREADS = 8

logger = logging.getLogger("tempodb.server")


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class TempoDBApp:
    """An ASGI 3 application serving one engine; it closes the engine at lifespan shutdown."""

    def __init__(
        self, engine: Engine, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_threads: int = DEFAULT_MAX_THREADS
    ) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must be >= 0")
        if max_threads < 1:
            raise ValueError("max_threads must be >= 1")
        self.engine = engine
        self.max_body_bytes = max_body_bytes
        self.max_threads = max_threads
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

        async def respond(response: Response) -> None:
            nonlocal started
            started = True
            await _send_response(send, response, self._limiter)

        try:
            headers = _headers(scope)
            declared = headers.get("content-length", "")
            # Refuse on the declared length before reading anything, so a client that honours
            # early responses (or waits on Expect: 100-continue) never uploads the body at all.
            if declared.strip().isdigit() and int(declared) > self.max_body_bytes:
                await respond(_too_large(self.max_body_bytes))
                return
            try:
                body = await self._read_body(receive)
            except _TooLarge:
                await respond(_too_large(self.max_body_bytes))
                return
            except _Disconnected:
                # Half a body is not a request: nothing to apply and nobody to answer.
                return
            request = Request(method=scope["method"], url=_url(scope, headers), headers=headers, body=body)
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self.max_threads)
            # Not abandoned on cancel: a write that started must finish even if the client went away.
            response = await anyio.to_thread.run_sync(partial(self.engine.handle, request, stream=True), limiter=self._limiter)
            await respond(response)
        except Exception:
            # The Request repr redacts Authorization, and nothing else here carries the secret.
            logger.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await respond(text_response(500, INTERNAL_ERROR))

    async def _read_body(self, receive: Receive) -> bytes:
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
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def create_app(
    engine: Engine, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_threads: int = DEFAULT_MAX_THREADS
) -> TempoDBApp:
    """Wrap ``engine`` as an ASGI application; bodies over ``max_body_bytes`` get 413 unread."""
    return TempoDBApp(engine, max_body_bytes=max_body_bytes, max_threads=max_threads)


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        # Repeated headers fold into one, as HTTP allows for list-valued fields.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _url(scope: Scope, headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host", "")
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    raw_path = scope.get("raw_path")
    # raw_path keeps %2F inside series keys; the decoded path would split a key in two.
    path = raw_path.decode("latin-1") if raw_path else quote(scope.get("root_path", "") + scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def _too_large(limit: int) -> Response:
    # Connection: close tells the client we will not read the rest of what it is sending.
    return text_response(413, too_large_message(limit), {"Connection": "close"})


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
