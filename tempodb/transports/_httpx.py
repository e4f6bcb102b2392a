"""The default transports, on httpx: pooled connections, TLS verification on, errors mapped to the
core's transport errors so retries can tell "never sent" from "may have landed"."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tempodb._core.errors import ConnectError, ProtocolError, RequestTimeoutError, ResponseTooLargeError
from tempodb._core.session import DEFAULT_MAX_RESPONSE_BYTES
from tempodb._wire.http import ChunkedResponse, Request, Response

__all__ = ["DEFAULT_TIMEOUT", "AsyncHTTPXTransport", "HTTPXTransport", "Timeout", "Verify"]

Timeout = httpx.Timeout
Verify = bool | str | ssl.SSLContext

#: No call waits forever: 10 s to connect, 60 s between bytes of a response (a 1M-point read takes a
#: few seconds to render), 60 s to send a body, 10 s for a free pooled connection.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)


def _ssl(verify: Verify) -> bool | ssl.SSLContext:
    """httpx wants a bool or an SSLContext; a string is a CA bundle path."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


def _reason(exc: BaseException, default: str) -> str:
    """The first non-empty message down the cause chain: on trio, httpx's own error is often blank
    (e.g. a failed certificate check arrives as an empty ConnectError caused by the SSL error)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if str(link):
            return str(link)
        link = link.__cause__ or link.__context__
    return default


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    link: BaseException | None = exc
    for _ in range(10):  # cause chains are short; the bound guards against cycles
        if link is None:
            return False
        if isinstance(link, kind):
            return True
        link = link.__cause__ or link.__context__
    return False


@contextmanager
def _mapped(request: Request) -> Iterator[None]:
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Raised before any byte of the request went out: safe to resend even an increment.
        reason = _reason(exc, type(exc).__name__)
        error = ConnectError(f"could not connect to {request.url.split('?')[0]}: {reason}", request)
        # A certificate that fails verification fails the same way next time: don't retry it.
        error.transient = not _caused_by(exc, ssl.SSLCertVerificationError)
        raise error from exc
    except httpx.TimeoutException as exc:
        raise RequestTimeoutError(f"no answer in time ({type(exc).__name__}): the request may have been applied", request) from exc
    except httpx.HTTPError as exc:
        raise ProtocolError(f"{type(exc).__name__}: {_reason(exc, 'connection broken')}", request) from exc


def _options(
    timeout: httpx.Timeout | float | None, verify: Verify, pool_connections: int, pool_maxsize: int
) -> dict[str, Any]:
    """httpx client settings from the 2013 pool parameters (maxsize bounds all connections)."""
    limits = httpx.Limits(max_connections=pool_maxsize, max_keepalive_connections=pool_connections)
    return {"timeout": timeout, "verify": _ssl(verify), "limits": limits}


class _Body:
    """A response body read chunk by chunk (decompressed), refused once it outgrows ``limit``."""

    def __init__(self, limit: int, request: Request) -> None:
        self.limit, self.request = limit, request
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise ResponseTooLargeError(self.limit, self.request)
        self.chunks.append(chunk)

    def response(self, response: httpx.Response) -> Response:
        headers = dict(response.headers.items())
        if len(self.chunks) > 1 and response.status_code < 300:
            # Kept in pieces: the core parses a big read piece by piece, freeing each as it goes.
            return ChunkedResponse(response.status_code, headers, chunks=self.chunks, size=self.size)
        return Response(response.status_code, headers, b"".join(self.chunks))


def _shrunk(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    """``timeout`` with no phase longer than ``seconds`` (the time left before a call's deadline)."""

    def cap(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool))


class HTTPXTransport:
    """Sync transport over ``httpx.Client``."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        verify: Verify = True,
        pool_connections: int = 10,
        pool_maxsize: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._owned = client is None
        self.client = client or httpx.Client(**_options(timeout, verify, pool_connections, pool_maxsize))
        self.max_response_bytes = max_response_bytes

    def send(self, request: Request) -> Response:
        return self._send(request, None)

    def send_within(self, request: Request, seconds: float) -> Response:
        """``send``, given up after ``seconds`` in all (a thread cannot be cancelled: every timeout is
        shrunk to the time left, and a body that trickles in is checked against the clock)."""
        return self._send(request, seconds)

    def _send(self, request: Request, seconds: float | None) -> Response:
        end = None if seconds is None else time.monotonic() + seconds
        timeout = self.client.timeout if seconds is None else _shrunk(self.client.timeout, seconds)
        body = _Body(self.max_response_bytes, request)
        with _mapped(request), self.client.stream(
            request.method, request.url, headers=request.headers, content=request.body, timeout=timeout
        ) as response:
            for chunk in response.iter_bytes():
                body.add(chunk)
                if end is not None and time.monotonic() > end:
                    raise RequestTimeoutError(f"no complete answer within {seconds:g}s: the request may have been applied", request)
        return body.response(response)

    def close(self) -> None:
        if self._owned:
            self.client.close()


class AsyncHTTPXTransport:
    """Async transport over ``httpx.AsyncClient`` (asyncio and trio).  The client's deadline needs no
    help here: the driver cancels a send that outlives it."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        verify: Verify = True,
        pool_connections: int = 10,
        pool_maxsize: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._owned = client is None
        self.client = client or httpx.AsyncClient(**_options(timeout, verify, pool_connections, pool_maxsize))
        self.max_response_bytes = max_response_bytes

    async def send(self, request: Request) -> Response:
        body = _Body(self.max_response_bytes, request)
        with _mapped(request):
            async with self.client.stream(
                request.method, request.url, headers=request.headers, content=request.body
            ) as response:
                async for chunk in response.aiter_bytes():
                    body.add(chunk)
        return body.response(response)

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()
