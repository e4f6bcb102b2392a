"""What a handler is given: one authenticated request with its route, query and database, the
store, and the readers of what every endpoint takes (the body, the series in the path, times)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from tempodb._wire.endpoints import Route
from tempodb._wire.errors import InvalidInputError
from tempodb._wire.http import Request, Response
from tempodb._wire.query import Query
from tempodb._wire.timestamps import UTC, get_zone
from tempodb.server import codec
from tempodb.server._timefmt import parse_ms
from tempodb.server.edge import check_inflation, fail, inflate
from tempodb.server.storage import IdempotentAnswer, SeriesRecord, Store

if TYPE_CHECKING:
    from tempodb.server.idempotency import Pending

__all__ = ["Context", "Handler"]


class Context:
    """One request as the handlers see it."""

    def __init__(
        self, request: Request, database: str, query: Query, found: Route, *,
        store: Store, clock: Callable[[], float], max_body: int, pending: Pending | None = None,
    ) -> None:
        self.request = request
        self.database = database
        self.query = query
        self.route = found
        self.store = store
        self._clock = clock
        self._max_body = max_body
        self._pending = pending
        tz = query.get("tz")
        self.tz_name = tz or "UTC"
        self.zone: tzinfo = get_zone(tz) if tz else UTC
        # Naive timestamps are read in the request's zone only when it names one (docs/protocol.md §3.2).
        self.naive_zone: tzinfo = self.zone if tz else UTC

    def remember(self, response: Response) -> IdempotentAnswer | None:
        """What the store keeps with this request's effect so a retry of it gets ``response`` again
        (None unless the request carries an honoured ``Idempotency-Key``)."""
        return None if self._pending is None else self._pending.answer(response)

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def body_bytes(self) -> bytes:
        body = inflate(self.request, self._max_body)
        if body is not self.request.body:  # it was compressed: a bomb stops here, before decoding
            check_inflation(len(self.request.body), len(body))
        return body

    def body_json(self) -> Any:
        """The decoded body, or :data:`codec.MISSING` when it is empty."""
        return codec.decode_json(self.body_bytes())

    def series(self) -> SeriesRecord:
        """The series the path names; fails 403 when there is none (as TempoDB did, not 404)."""
        assert self.route.series is not None, "only endpoints that name a series ask for it"
        series = self.store.get_series(self.database, self.route.series)
        if series is None:
            fail(403)
        return series

    def time(self, name: str) -> int:
        """The query parameter ``name`` as epoch milliseconds; fails 400 when absent or unreadable."""
        text = self.query.get(name)
        if not text:
            fail(400, f"missing query parameter {name!r}: give an ISO-8601 timestamp such as 2012-01-01T00:00:00.000Z")
        try:
            return parse_ms(text, self.naive_zone)
        except InvalidInputError as exc:
            fail(400, f"query parameter {name!r}: {exc}")

    def range(self) -> tuple[int, int]:
        """``start`` and ``end`` from the query, in order."""
        start, end = self.time("start"), self.time("end")
        if end < start:
            fail(400, "end must not be before start")
        return start, end


#: An endpoint's implementation for one method.
Handler = Callable[[Context], Response]
