"""What the sync and async clients share: the 2013 constructor, its members, and the session.

Only the transport differs (``httpx.Client`` vs ``httpx.AsyncClient``), so each front end says
how to make its default one and everything else is written here once.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Generic, TypeVar

from tempodb._core.retry import RetryPolicy
from tempodb._core.session import DEFAULT_CHUNK_SIZE, DEFAULT_GZIP_THRESHOLD, base_url, make_session
from tempodb.transports._httpx import DEFAULT_TIMEOUT, Timeout, Verify

__all__ = ["BaseClient"]

TransportT = TypeVar("TransportT")


class BaseClient(Generic[TransportT]):
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
        gzip_threshold: int | None = DEFAULT_GZIP_THRESHOLD,
    ) -> None:
        self.key = key
        self.secret = secret
        self.host = host
        self.port = port
        self.secure = secure
        self.pool_connections = pool_connections
        self.pool_maxsize = pool_maxsize
        self._session = make_session(
            key, secret, base_url(host, port, secure),
            retry=retry, chunk_size=chunk_size, gzip_threshold=gzip_threshold, clock=time.time,
        )  # fmt: skip
        self._transport: TransportT = transport or self._default_transport(
            timeout=timeout, verify=verify, pool_connections=pool_connections, pool_maxsize=pool_maxsize
        )
        # Open batching writers, closed with the client (weak: an abandoned writer can still warn).
        self._writers: weakref.WeakSet[Any] = weakref.WeakSet()

    def _default_transport(
        self, *, timeout: Timeout | float | None, verify: Verify, pool_connections: int, pool_maxsize: int
    ) -> TransportT:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__module__.split('._')[0]}.Client(key={self.key!r}, url={self._session.prefix!r})"
