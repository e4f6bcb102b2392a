"""The TempoDB v1 server as a pure function of a request: ``Engine.handle(Request) -> Response``.

No sockets here: the ASGI front, the in-process transport and the tests all hand requests to the
same engine, which routes each one to its handler over a :class:`Store`.  The edge (``edge.py``)
authenticates and encodes; the handlers (``handlers/``) do the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import msgspec

from tempodb._wire.endpoints import ENDPOINTS, Endpoint, Route, allowed_methods, route
from tempodb._wire.errors import InvalidInputError
from tempodb._wire.http import Request, Response
from tempodb._wire.openapi import OPENAPI_PATH, openapi_document
from tempodb._wire.query import Query
from tempodb.server import codec
from tempodb.server.context import Context, Handler
from tempodb.server.edge import DEFAULT_MAX_BODY_BYTES, Failure, Gate, answer, check_size, fail, text_response
from tempodb.server.handlers import data, increments, multi, series, single
from tempodb.server.idempotency import DEFAULT_RETENTION, Keeper, Pending
from tempodb.server.storage import AnswerStore, Store

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
        idempotency_retention: float | None = DEFAULT_RETENTION,
    ) -> None:
        """``idempotency_retention``: seconds an ``Idempotency-Key``'s answer is kept; None turns keys
        off (as does a store that cannot keep answers): then retries of increments stay the client's risk."""
        self.store = store
        self._keeper = (
            Keeper(store, idempotency_retention, clock)
            if idempotency_retention is not None and isinstance(store, AnswerStore)
            else None
        )
        self._gate = Gate(store, credentials)
        self._max_body = max_body_bytes
        self._clock = clock
        self._owns_store = owns_store
        self._openapi_json: bytes | None = None

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def handle(self, request: Request, *, stream: bool = False, columns: bool = False) -> Response:
        """Answer one request; never raises.

        With ``stream`` a big read may answer with a :class:`~tempodb._wire.http.StreamedResponse`,
        whose blocks are produced as they are iterated (and may then raise: the caller aborts the
        response); otherwise every body is whole.  With ``columns`` (for in-process callers) a
        read answers with a :class:`~tempodb._wire.columns.ColumnsResponse`: its points unrendered.
        """
        return self.advertise(answer(request, self._dispatch, stream=stream, columns=columns))

    def advertise(self, response: Response) -> Response:
        """``response`` carrying the ``Idempotency-Key`` support header when keys are honoured: every
        answer says so, the ASGI front's own refusals (413, 408, 503) included."""
        return response if self._keeper is None else self._keeper.advertise(response)

    @property
    def advertised_headers(self) -> dict[str, str]:
        """The headers :meth:`advertise` adds (none when keys are off), for answers made below HTTP
        handling, such as the 503 to a connection past ``--max-connections``."""
        return {} if self._keeper is None else dict(self._keeper.headers)

    def admit(self, request: Request) -> Response | None:
        """The refusal of a request on its head alone (404, 405, 401, 403), or None when it may go on.

        The ASGI front asks this before reading a body, so a stranger cannot make the server hold
        one; :meth:`handle` checks the same again (the in-process path never calls this)."""
        if _is_openapi(request):
            return None
        try:
            self._admitted(request)
        except Failure as failure:
            refusal = failure.response
        except InvalidInputError as exc:  # a series key in the path that the key rule refuses
            refusal = text_response(400, str(exc))
        else:
            return None
        return self.advertise(refusal)

    def _admitted(self, request: Request) -> tuple[Route, Endpoint, str, str]:
        """The route, endpoint, database and query text of a request, or the Failure that refuses it."""
        path, _, query_text = request.target.partition("?")
        path = path.split("#", 1)[0]
        found = route(path)  # a key the rules refuse: InvalidInputError, answered 400
        if found is None:
            fail(404, f"no such endpoint: {path} (TempoDB v1 paths start with /v1/series/, /v1/data/, /v1/multi/, ...)")
        method = request.method.upper()
        endpoint = found.endpoint(method)
        if endpoint is None:
            allowed = allowed_methods(found.path)
            fail(405, f"method {method} is not allowed on {path}; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)})
        return found, endpoint, self._gate.database(request), query_text

    def _openapi(self, method: str) -> Response:
        """The OpenAPI document of the table (``tempodb._wire.openapi``): public, like a 404's text."""
        if method != "GET":
            fail(405, f"method {method} is not allowed on {OPENAPI_PATH}; use GET", {"Allow": "GET"})
        if self._openapi_json is None:
            self._openapi_json = msgspec.json.encode(openapi_document())
        return codec.encoded_json_response(self._openapi_json)

    def _dispatch(self, request: Request) -> Response:
        if _is_openapi(request):
            return self._openapi(request.method.upper())
        found, endpoint, database, query_text = self._admitted(request)
        check_size(request.body, self._max_body)
        handler = self.HANDLERS[endpoint.name]

        def respond(pending: Pending | None = None) -> Response:
            context = Context(
                request, database, Query(query_text), found,
                store=self.store, clock=self._clock, max_body=self._max_body, pending=pending,
            )
            return handler(context)

        if self._keeper is not None and not endpoint.repeatable:
            return self._keeper.handle(request, database, respond)
        return respond()


def _is_openapi(request: Request) -> bool:
    """A request for the OpenAPI document: answered before any check, like a 404's text."""
    return request.target.partition("?")[0].split("#", 1)[0].rstrip("/") == OPENAPI_PATH
