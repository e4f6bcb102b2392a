"""Embedded transports: hand each request straight to an in-process engine (no socket, no thread).

``AsyncLocalTransport.send`` calls the engine directly too, so it blocks the event loop for the
length of one SQLite call. That is the point of "embedded": no worker thread, no hidden task, the
same behaviour on asyncio and trio. Run ``tempodb serve`` and use the httpx transport instead when
other tasks must keep running during large reads or writes.

A read is answered with a :class:`~tempodb._wire.columns.ColumnsResponse`: its points as the
engine read them, which the client core turns into models without the JSON round trip (the
larger half of an embedded read's time).  Its ``body`` is still the HTTP path's bytes, rendered
when asked for, so code that reads bodies works unchanged; ``columns=False`` answers with plain
bodies from the start.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from tempodb._wire.http import Request, Response

if TYPE_CHECKING:
    from typing_extensions import Self

    from tempodb.server.engine import Engine

__all__ = ["AsyncLocalTransport", "LocalTransport"]


class _Base:
    def __init__(self, engine: Engine, *, owns_engine: bool = False, columns: bool = True) -> None:
        self.engine = engine
        self._owns_engine = owns_engine
        self._columns = columns
        self._closed = False

    @classmethod
    def open(cls, path: str = ":memory:", credentials: Mapping[str, str] | None = None, *, columns: bool = True) -> Self:
        """Open an engine on ``path``, a SQLite file or a ``postgresql://`` URL (None credentials = open
        mode), that ``close`` will close."""
        from tempodb.server.factory import open_engine

        return cls(open_engine(path, credentials), owns_engine=True, columns=columns)

    def _close(self) -> None:
        # A borrowed engine stays open: whoever opened it may share it with other transports.
        if self._closed:
            return
        self._closed = True
        if self._owns_engine:
            self.engine.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine!r})"

    def _handle(self, request: Request) -> Response:
        # In process there is no wire to save: drop Accept-Encoding so the engine never spends
        # time gzipping a body we would only decompress again (responses reach the client plain).
        headers = {k: v for k, v in request.headers.items() if k.lower() != "accept-encoding"}
        return self.engine.handle(Request(request.method, request.url, headers, request.body), columns=self._columns)


class LocalTransport(_Base):
    """Sync transport: ``send`` runs the engine in the calling thread."""

    def send(self, request: Request) -> Response:
        # Engine errors are bugs, not transport failures: they propagate with their traceback.
        return self._handle(request)

    def close(self) -> None:
        """Close the engine if this transport opened it (``LocalTransport.open``)."""
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncLocalTransport(_Base):
    """Async transport for asyncio and trio: ``send`` runs the engine inline, blocking the loop briefly."""

    async def send(self, request: Request) -> Response:
        return self._handle(request)

    async def aclose(self) -> None:
        """Close the engine if this transport opened it (``AsyncLocalTransport.open``)."""
        self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
