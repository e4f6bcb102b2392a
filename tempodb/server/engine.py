"""The TempoDB v1 server as a pure function of a request: ``Engine.handle(Request) -> Response``.

No sockets here: the ASGI front, the in-process transport and the tests all hand requests to the
same engine, which routes each one to its handler over a :class:`Store`.  The edge (``edge.py``)
authenticates and encodes; the handlers (``handlers/``) do the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from tempodb._wire.http import Request, Response
from tempodb.server._routes import ALLOWED_METHODS, Query, route
from tempodb.server.context import Context, Handler
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES, Gate, answer, check_size, fail
from tempodb.server.handlers import data, increments, multi, series, single
from tempodb.server.storage import Store

__all__ = ["Engine"]


class Engine:
    """A TempoDB v1 server without I/O.  Thread-safe: call :meth:`handle` from any thread."""

    #: The handler of every (route name, method) pair the routes allow.
    HANDLERS: Mapping[tuple[str, str], Handler] = {
        ("series", "GET"): series.list_series,
        ("series", "POST"): series.create_series,
        ("series", "DELETE"): series.delete_series,
        ("series_item", "GET"): series.get_series,
        ("series_item", "PUT"): series.update_series,
        ("series_data", "GET"): data.read_series,
        ("series_data", "POST"): data.write_series,
        ("series_data", "DELETE"): data.delete_range,
        ("series_increment", "POST"): increments.increment_series,
        ("series_single", "GET"): single.single_series,
        ("series_summary", "GET"): data.summary,
        ("data", "GET"): data.read_many,
        ("data", "POST"): data.write_bulk,
        ("increment", "POST"): increments.increment_bulk,
        ("multi", "POST"): multi.write_multi,
        ("multi_increment", "POST"): increments.increment_multi,
        ("single", "GET"): single.single_many,
    }

    def __init__(
        self,
        store: Store,
        credentials: Mapping[str, str] | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
        owns_store: bool = True,
    ) -> None:
        self.store = store
        self._gate = Gate(store, credentials)
        self._max_body = max_body_bytes
        self._clock = clock
        self._owns_store = owns_store

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def handle(self, request: Request) -> Response:
        """Answer one request; never raises."""
        return answer(request, self._dispatch)

    def _dispatch(self, request: Request) -> Response:
        path, _, query_text = request.target.partition("?")
        path = path.split("#", 1)[0]
        try:
            found = route(path)
        except UnicodeDecodeError:
            fail(400, "the series key in the path is not valid percent-encoded UTF-8")
        if found is None:
            fail(404, f"no such endpoint: {path} (TempoDB v1 paths start with /v1/series/, /v1/data/, /v1/multi/, ...)")
        method = request.method.upper()
        allowed = ALLOWED_METHODS[found.name]
        if method not in allowed:
            fail(405, f"method {method} is not allowed on {path}; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)})
        database = self._gate.database(request)
        check_size(request.body, self._max_body)
        context = Context(
            request, database, Query(query_text), found, store=self.store, clock=self._clock, max_body=self._max_body
        )
        return self.HANDLERS[found.name, method](context)
