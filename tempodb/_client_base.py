"""What the sync and async clients share: the 2013 constructor, its members, and the session.

Only the transport differs (``httpx.Client`` vs ``httpx.AsyncClient``), so each front end says
how to make its default one and everything else is written here once.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tempodb._core.errors import InvalidInputError
from tempodb._core.retry import RetryPolicy
from tempodb._core.session import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    GzipThreshold,
    base_url,
    make_session,
)
from tempodb.transports._httpx import DEFAULT_TIMEOUT, Timeout, Verify

__all__ = ["BaseClient"]

TransportT = TypeVar("TransportT")


class BaseClient(Generic[TransportT]):
    #: The transport made when none is given: the httpx one of the client's flavour, built from the
    #: constructor's ``timeout``, ``verify``, ``pool_connections``, ``pool_maxsize``, ``max_response_bytes``.
    _default_transport: Callable[..., TransportT]

    def __init__(
        self,
        key: str,
        secret: str,
        host: str = "api.tempo-db.com",
        port: int = 443,
        secure: bool = True,
        pool_connections: int = 10,
        pool_maxsize: int = 10,
        *,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | bool = True,
        verify: Verify = True,
        transport: TransportT | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        gzip_threshold: GzipThreshold = "auto",
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        """``deadline``: seconds one call may take in all, retries and their waits included, before it
        raises ``DeadlineExceededError`` (None: no limit; ``timeout`` still bounds each wait for a byte).
        ``max_response_bytes``: the largest response the default transport reads, decompressed, before
        it raises ``ResponseTooLargeError`` (read long ranges with ``stream_key``/``stream``)."""
        self.key = key
        self.secret = secret
        self.host = host
        self.port = port
        self.secure = secure
        self.pool_connections = pool_connections
        self.pool_maxsize = pool_maxsize
        self._session = make_session(
            key, secret, base_url(host, port, secure),
            retry=retry, chunk_size=chunk_size, gzip_threshold=gzip_threshold, clock=time.time, deadline=deadline,
        )  # fmt: skip
        if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int) or max_response_bytes < 1:
            raise InvalidInputError(f"max_response_bytes must be a positive integer, not {max_response_bytes!r}")
        self._transport: TransportT = transport or self._default_transport(
            timeout=timeout, verify=verify, pool_connections=pool_connections, pool_maxsize=pool_maxsize,
            max_response_bytes=max_response_bytes,
        )  # fmt: skip
        # Open batching writers, closed with the client (weak: an abandoned writer can still warn).
        self._writers: weakref.WeakSet[Any] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"{type(self).__module__.split('._')[0]}.Client(key={self.key!r}, url={self._session.prefix!r})"
