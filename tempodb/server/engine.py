"""The TempoDB v1 server as a pure function of a request: ``Engine.handle(Request) -> Response``.

No sockets here: the ASGI front, the in-process transport and the tests all hand requests to the
same engine, which routes each one to its handler over a :class:`Store`.  The edge (``edge.py``)
authenticates and encodes; the handlers (``handlers/``) do the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import msgspec

from tempodb._wire.endpoints import ENDPOINTS, allowed_methods, route
from tempodb._wire.http import Request, Response
from tempodb._wire.openapi import OPENAPI_PATH, openapi_document
from tempodb._wire.query import Query
from tempodb.server import codec
from tempodb.server.context import Context, Handler
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES, Gate, answer, check_size, fail
from tempodb.server.handlers import data, increments, multi, series, single
from tempodb.server.storage import Store

__all__ = ["Engine"]


class Engine:
    """A TempoDB v1 server without I/O.  Thread-safe: call :meth:`handle` from any thread."""

    #: The handler of every endpoint of the table (``tempodb._wire.endpoints.ENDPOINTS``), by name.
    HANDLERS: Mapping[str, Handler] = {
        "list_series": series.list_series,
        "create_series": series.create_series,
        "delete_series": series.delete_series,
        "get_series": series.get_series,
        "update_series": series.update_series,
        "delete_one_series": series.delete_one_series,
        "read_one": data.read_series,
        "write_one": data.write_series,
        "delete_range": data.delete_range,
        "increment_one": increments.increment_series,
        "single_one": single.single_series,
        "summary_one": data.summary,
        "read": data.read_many,
        "write_bulk": data.write_bulk,
        "increment_bulk": increments.increment_bulk,
        "write_multi": multi.write_multi,
        "increment_multi": increments.increment_multi,
        "single": single.single_many,
    }
    assert set(HANDLERS) == {endpoint.name for endpoint in ENDPOINTS}, "every endpoint has one handler"

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
        self._openapi_json: bytes | None = None

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def handle(self, request: Request) -> Response:
        """Answer one request; never raises."""
        return answer(request, self._dispatch)

    def _openapi(self, method: str) -> Response:
        """The OpenAPI document of the table (``tempodb._wire.openapi``): public, like a 404's text."""
        if method != "GET":
            fail(405, f"method {method} is not allowed on {OPENAPI_PATH}; use GET", {"Allow": "GET"})
        if self._openapi_json is None:
            self._openapi_json = msgspec.json.encode(openapi_document())
        return codec.encoded_json_response(self._openapi_json)

    def _dispatch(self, request: Request) -> Response:
        path, _, query_text = request.target.partition("?")
        path = path.split("#", 1)[0]
        if path.rstrip("/") == OPENAPI_PATH:
            return self._openapi(request.method.upper())
        try:
            found = route(path)
        except UnicodeDecodeError:
            fail(400, "the series key in the path is not valid percent-encoded UTF-8")
        if found is None:
            fail(404, f"no such endpoint: {path} (TempoDB v1 paths start with /v1/series/, /v1/data/, /v1/multi/, ...)")
        method = request.method.upper()
        endpoint = found.endpoint(method)
        if endpoint is None:
            allowed = allowed_methods(found.path)
            fail(405, f"method {method} is not allowed on {path}; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)})
        database = self._gate.database(request)
        check_size(request.body, self._max_body)
        context = Context(
            request, database, Query(query_text), found, store=self.store, clock=self._clock, max_body=self._max_body
        )
        return self.HANDLERS[endpoint.name](context)
