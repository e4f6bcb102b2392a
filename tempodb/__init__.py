"""TempoDB v1 client (sync, asyncio, trio) and a TempoDB-compatible server.

``from tempodb import Client, DataPoint`` gives the 2013 client's API; ``tempodb.aio.Client`` the
same calls awaited; ``Client.local(path)`` an embedded server with no setup.
"""

from tempodb._core.errors import (
    BadRequestError,
    BufferFullError,
    ConflictError,
    ConnectError,
    DeadlineExceededError,
    ForbiddenError,
    HTTPError,
    InvalidInputError,
    MultiStatusError,
    NotFoundError,
    PartialWriteError,
    PayloadTooLargeError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ResponseError,
    ResponseTooLargeError,
    ServerError,
    TempoDBError,
    TransportError,
    UnauthorizedError,
    UndeliveredError,
)
from tempodb._core.models import (
    DataPoint,
    DataSet,
    DeleteSummary,
    PointStatus,
    Rollup,
    Series,
    SeriesSummary,
    SingleValue,
    Summary,
)
from tempodb._core.retry import RetryPolicy
from tempodb._version import __version__
from tempodb._wire.http import Request, Response
from tempodb._wire.intervals import Function, Interval, Unit
from tempodb.sync import Client
from tempodb.transports import AsyncHTTPXTransport, HTTPXTransport, Timeout

__all__ = [
    "AsyncHTTPXTransport",
    "BadRequestError",
    "BufferFullError",
    "Client",
    "ConflictError",
    "ConnectError",
    "DataPoint",
    "DataSet",
    "DeadlineExceededError",
    "DeleteSummary",
    "ForbiddenError",
    "Function",
    "HTTPError",
    "HTTPXTransport",
    "Interval",
    "InvalidInputError",
    "MultiStatusError",
    "NotFoundError",
    "PartialWriteError",
    "PayloadTooLargeError",
    "PointStatus",
    "ProtocolError",
    "RateLimitedError",
    "Request",
    "RequestTimeoutError",
    "Response",
    "ResponseError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "Rollup",
    "Series",
    "SeriesSummary",
    "ServerError",
    "SingleValue",
    "Summary",
    "TempoDBError",
    "Timeout",
    "TransportError",
    "UnauthorizedError",
    "UndeliveredError",
    "Unit",
    "__version__",
]
