"""Every failure the client raises, in one hierarchy.

    TempoDBError
    ├── InvalidInputError (also ValueError)  bad input, refused before anything is sent (tempodb._wire.errors)
    ├── TransportError                       no usable HTTP response
    │   ├── ConnectError                     the request provably never reached the server
    │   ├── RequestTimeoutError              no answer in time; the request may have landed
    │   │   └── DeadlineExceededError        the whole call (retries included) outlived its deadline
    │   ├── ProtocolError                    a broken or truncated response; may have landed
    │   └── ResponseTooLargeError            the decompressed answer passed max_response_bytes
    ├── ResponseError                        a 200 whose body is not what the API promises
    ├── HTTPError                            the server answered with a non-2xx status
    │   ├── BadRequestError        400
    │   ├── UnauthorizedError      401
    │   ├── ForbiddenError         403 (TempoDB's answer for wrong credentials AND unknown series)
    │   ├── NotFoundError          404
    │   ├── ConflictError          409 (series key already exists; idempotency key still in flight)
    │   ├── PayloadTooLargeError   413
    │   ├── RateLimitedError       429
    │   └── ServerError            5xx
    ├── MultiStatusError                     a multi write/increment where some points failed (207)
    ├── PartialWriteError                    a chunked write stopped part way: says what landed
    ├── BufferFullError                      a batching writer's buffer is full (on_full="raise")
    └── UndeliveredError                     a batching writer closed with points it could not deliver

No exception text ever contains the API secret: requests are shown through their redacting repr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tempodb._wire.errors import InvalidInputError, TempoDBError

if TYPE_CHECKING:
    from tempodb._core.models import PointStatus
    from tempodb._core.writer import BufferedPoint, RefusedPoint
    from tempodb._wire.http import Request, Response

__all__ = [
    "BadRequestError",
    "BufferFullError",
    "ConflictError",
    "ConnectError",
    "DeadlineExceededError",
    "ForbiddenError",
    "HTTPError",
    "InvalidInputError",
    "MultiStatusError",
    "NotFoundError",
    "PartialWriteError",
    "PayloadTooLargeError",
    "ProtocolError",
    "RateLimitedError",
    "ResponseError",
    "ResponseTooLargeError",
    "ServerError",
    "TempoDBError",
    "RequestTimeoutError",
    "TransportError",
    "UnauthorizedError",
    "UndeliveredError",
    "error_for_response",
]


class TransportError(TempoDBError):
    """The transport could not deliver the request or read a complete response."""

    #: True only when the request provably never reached the server (safe to resend anything).
    not_sent: bool = False
    #: False when trying again cannot help (a certificate that fails verification).
    transient: bool = True

    def __init__(self, message: str, request: Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class ConnectError(TransportError):
    """The connection could not be made; no byte of the request was sent."""

    not_sent = True


class RequestTimeoutError(TransportError):
    """No complete answer arrived in time; the request may or may not have been applied."""


class ProtocolError(TransportError):
    """The connection broke or the response was malformed; the request may have been applied."""


class DeadlineExceededError(RequestTimeoutError):
    """The whole call, retries and waits included, ran past the client's ``deadline``; the request
    may have been applied.  Never retried: the time is up."""

    transient = False

    def __init__(self, deadline: float, request: Request | None = None) -> None:
        super().__init__(
            f"the call did not finish within the client's deadline of {deadline:g}s (retries and waits "
            "included), so it was abandoned; the request may have been applied. Give the client a longer "
            "deadline (Client(..., deadline=SECONDS), or None for no limit), or read long ranges with "
            "client.stream_key(...), which makes one bounded call per window",
            request,
        )
        self.deadline = deadline


class ResponseTooLargeError(TransportError):
    """The response, decompressed, is larger than the client's ``max_response_bytes``.  Not retried:
    the same request gets the same answer."""

    transient = False

    def __init__(self, limit: int, request: Request | None = None) -> None:
        super().__init__(
            f"the response is larger than max_response_bytes={limit} bytes decompressed, so reading stopped; "
            "read a long range window by window with client.stream_key(...) (or client.stream(...)), "
            "or raise Client(..., max_response_bytes=N)",
            request,
        )
        self.limit = limit


class ResponseError(TempoDBError):
    """The server said 200 but its body does not match the TempoDB v1 format."""


class HTTPError(TempoDBError):
    """The server answered with an error status."""

    def __init__(self, status_code: int, message: str, request: Request | None = None) -> None:
        self.status_code = status_code
        self.message = message
        self.request = request
        where = f" on {request.method} {request.target}" if request is not None else ""
        detail = f": {message}" if message else ""
        super().__init__(f"HTTP {status_code}{where}{detail}{self._hint}")

    _hint = ""


class BadRequestError(HTTPError):
    """400: the server refused the parameters or body."""


class UnauthorizedError(HTTPError):
    """401: no credentials reached the server."""

    _hint = " (pass your API key and secret to Client)"


class ForbiddenError(HTTPError):
    """403: wrong key/secret, or the series id/key does not exist in this database."""

    _hint = " (check the API key and secret, and that the series exists)"


class NotFoundError(HTTPError):
    """404: the path is unknown to the server (is host/port a TempoDB v1 server?)."""


class ConflictError(HTTPError):
    """409: a series with this key already exists (or, past the retries, the same idempotency key is
    still being processed by the server)."""


class PayloadTooLargeError(HTTPError):
    """413: the body is over the server's limit; send fewer points per request."""


class RateLimitedError(HTTPError):
    """429: the server asks the client to slow down."""


class ServerError(HTTPError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: RateLimitedError,
}


def error_for_response(response: Response, request: Request | None = None) -> HTTPError:
    """The typed error for a non-2xx response."""
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else HTTPError
    message = response.body.decode("utf-8", "replace").strip()
    if len(message) > 500:
        message = message[:500] + "..."
    return cls(response.status_code, message, request)


class MultiStatusError(TempoDBError):
    """A multi write or increment was answered 207: some points were applied, some refused.

    ``statuses`` has one entry per submitted point, in input order.  When a 207 listed a different
    number of statuses than the request had points, they cannot be matched to points: ``statuses``
    then covers only the points before that request, and ``unmatched`` holds every status the
    server sent for the ``unmatched_points`` points from index ``len(statuses)`` on, as it sent them.
    """

    def __init__(
        self,
        statuses: Sequence[PointStatus],
        request: Request | None = None,
        *,
        unmatched: Sequence[PointStatus] = (),
        unmatched_points: int = 0,
    ) -> None:
        self.statuses = list(statuses)
        self.request = request
        self.unmatched = list(unmatched)
        self.unmatched_points = unmatched_points
        failed = self.failed
        lines = [f"{len(failed)} of {len(self.statuses)} points were refused:"]
        for index in failed[:10]:
            status = self.statuses[index]
            lines.append(f"  point {index}: {status.status} {'; '.join(status.messages)}")
        if len(failed) > 10:
            lines.append(f"  ... and {len(failed) - 10} more (see .statuses)")
        if unmatched_points:
            first = len(self.statuses)
            lines.append(
                f"the server's 207 for points {first} to {first + unmatched_points - 1} listed {len(self.unmatched)} "
                f"statuses for {unmatched_points} points, so they cannot be matched to points; read those series back "
                "to see what was applied (writes may simply be resent). The statuses as sent:"
            )
            for status in self.unmatched[:10]:
                lines.append(f"  {status.status} {'; '.join(status.messages)}")
            if len(self.unmatched) > 10:
                lines.append(f"  ... and {len(self.unmatched) - 10} more (see .unmatched)")
        super().__init__("\n".join(lines))

    @property
    def failed(self) -> list[int]:
        """Indices of the refused points."""
        return [i for i, s in enumerate(self.statuses) if not s.ok]

    @property
    def succeeded(self) -> list[int]:
        """Indices of the applied points."""
        return [i for i, s in enumerate(self.statuses) if s.ok]


class PartialWriteError(TempoDBError):
    """A write split into several requests stopped part way.

    ``acknowledged`` holds the indices (into the points you passed) the server confirmed;
    ``unacknowledged`` those it did not (never sent, refused, or of unknown fate — see ``cause``).
    Re-sending exactly the unacknowledged points completes a write; for increments, points in
    ``uncertain`` may already have been applied and must be checked before re-sending.
    """

    def __init__(
        self,
        acknowledged: Sequence[int],
        unacknowledged: Sequence[int],
        uncertain: Sequence[int],
        cause: BaseException,
    ) -> None:
        self.acknowledged = list(acknowledged)
        self.unacknowledged = list(unacknowledged)
        self.uncertain = list(uncertain)
        self.cause = cause
        total = len(self.acknowledged) + len(self.unacknowledged)
        message = (
            f"{len(self.acknowledged)} of {total} points were acknowledged; "
            f"{len(self.unacknowledged)} were not (indices in .unacknowledged)"
        )
        if self.uncertain:
            message += f", of which {len(self.uncertain)} may have been applied (.uncertain)"
        super().__init__(f"{message}: {cause}")


class BufferFullError(TempoDBError):
    """A batching writer's buffer holds ``max_buffer`` points and could not make room.

    Raised at once with ``on_full="raise"``, or with ``on_full="block"`` when the flush that should
    have made room failed (``__cause__`` says why).  The point was not added; the buffer is intact.
    """


class UndeliveredError(TempoDBError):
    """A batching writer was closed with points the server did not acknowledge.

    ``points`` were never applied and are safe to send again (``writer.resend(points)`` or
    ``write_multi``/``increment_multi`` with ``p.item``); ``uncertain`` are increments whose request
    may have landed (check before re-sending: they are never resent automatically); ``refused``
    pairs each point the server refused (207) with its status.  ``cause`` is the last delivery error.
    """

    def __init__(
        self,
        points: Sequence[BufferedPoint],
        uncertain: Sequence[BufferedPoint] = (),
        refused: Sequence[RefusedPoint] = (),
        cause: BaseException | None = None,
    ) -> None:
        self.points = list(points)
        self.uncertain = list(uncertain)
        self.refused = list(refused)
        self.cause = cause
        parts = [f"{len(self.points)} points were not delivered (.points, safe to re-send)"]
        if self.uncertain:
            parts.append(f"{len(self.uncertain)} increments may or may not have been applied (.uncertain)")
        if self.refused:
            parts.append(f"{len(self.refused)} points were refused by the server (.refused)")
        detail = f": {cause}" if cause is not None else ""
        super().__init__("; ".join(parts) + detail)
