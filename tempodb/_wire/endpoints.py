"""Every call of the API, described once (docs/protocol.md §4).

An ``Endpoint`` says what a call is on the wire: method, path template, how the series is named,
which query parameters it reads, what its body and its answer are, and whether it may be resent.
The client builds its requests and picks its parsers and its retry rule from these entries; the
server routes with ``route`` and answers 405 with ``allowed_methods``.  Adding a call is one entry
here, a handler in the server and a method in the client.
"""

from __future__ import annotations

import enum
from urllib.parse import unquote

import msgspec

from tempodb._wire.errors import InvalidInputError
from tempodb._wire.keys import SeriesRef

__all__ = [
    "ENDPOINTS",
    "Answer",
    "Body",
    "Endpoint",
    "Resend",
    "Route",
    "allowed_methods",
    "find",
    "route",
]

SERIES = "{series}"  # the place of ``id/<id>`` or ``key/<key>`` in a path template


class Resend(enum.Enum):
    """When a call may be sent again after a failure that leaves its fate unknown."""

    #: Reads, replacing writes, updates, range deletes: applying twice is applying once.
    ALWAYS = "always"
    #: Creating a series, increments: only when the transport proves nothing was sent, or when the
    #: server honours the ``Idempotency-Key`` each such request carries (docs/protocol.md §10.3).
    IF_UNSENT = "if-unsent"


class Body(enum.Enum):
    """The request body a call carries (docs/protocol.md §2, §6)."""

    NONE = "none"
    SERIES_FIELDS = "series fields"  # {"key"?, "name"?, "tags"?, "attributes"?}
    SERIES = "series"  # a whole Series object
    POINTS = "points"  # [{"t", "v"}, ...]
    BULK = "bulk"  # {"t", "data": [{"id" | "key", "v"}, ...]}
    MULTI = "multi"  # [{"t", "id" | "key", "v"}, ...]


class Answer(enum.Enum):
    """The body of a 2xx answer (docs/protocol.md §2)."""

    SERIES = "series"
    SERIES_LIST = "series list"
    DATASET = "data set"
    DATASETS = "data set list"
    SUMMARY = "summary"
    SINGLE = "single value"
    SINGLES = "single value list"
    DELETED = "delete summary"
    EMPTY = "empty"  # 200 with no body
    MULTISTATUS = "empty or multistatus"  # 200, or 207 with per-item statuses


RANGE = ("start", "end")
ROLLUP = ("interval", "function", "tz")
FILTER = ("id", "key", "tag", "attr[]")
SINGLE = ("ts", "direction", "tz")


class Endpoint(msgspec.Struct, frozen=True):
    """One call: ``path`` is under ``/v1`` and holds ``{series}`` when a series is named in it."""

    name: str
    method: str
    path: str
    query: tuple[str, ...]
    body: Body
    answer: Answer
    resend: Resend = Resend.ALWAYS
    #: How the series in the path may be named (``update_series`` needs the id).
    by: tuple[str, ...] = ("id", "key")

    @property
    def repeatable(self) -> bool:
        """Whether the call may be sent again after a failure that leaves its fate unknown."""
        return self.resend is Resend.ALWAYS

    @property
    def names_series(self) -> bool:
        return SERIES in self.path

    def path_for(self, series: SeriesRef | None = None) -> str:
        """The path of a request, with ``series`` (required exactly when the template names one)."""
        if series is None:
            if self.names_series:
                raise ValueError(f"{self.name} names a series")
            return self.path
        if series.by not in self.by:
            raise ValueError(f"{self.name} names its series by {' or '.join(self.by)}")
        return self.path.replace(SERIES, series.segment)


_S = f"/series/{SERIES}/"
ENDPOINTS: tuple[Endpoint, ...] = (
    # series metadata (docs/protocol.md §6.1-6.5, 6.19)
    Endpoint("list_series", "GET", "/series/", FILTER, Body.NONE, Answer.SERIES_LIST),
    Endpoint("create_series", "POST", "/series/", (), Body.SERIES_FIELDS, Answer.SERIES, Resend.IF_UNSENT),
    Endpoint("delete_series", "DELETE", "/series/", (*FILTER, "allow_truncation"), Body.NONE, Answer.DELETED),
    Endpoint("get_series", "GET", _S, (), Body.NONE, Answer.SERIES),
    Endpoint("update_series", "PUT", _S, (), Body.SERIES, Answer.SERIES, by=("id",)),
    Endpoint("delete_one_series", "DELETE", _S, (), Body.NONE, Answer.DELETED),
    # one series' data (docs/protocol.md §6.6, 6.8, 6.11, 6.14, 6.15, 6.17)
    Endpoint("read_one", "GET", _S + "data/", (*RANGE, *ROLLUP), Body.NONE, Answer.DATASET),
    Endpoint("write_one", "POST", _S + "data/", (), Body.POINTS, Answer.EMPTY),
    Endpoint("delete_range", "DELETE", _S + "data/", RANGE, Body.NONE, Answer.EMPTY),
    Endpoint("increment_one", "POST", _S + "increment/", (), Body.POINTS, Answer.EMPTY, Resend.IF_UNSENT),
    Endpoint("single_one", "GET", _S + "single/", SINGLE, Body.NONE, Answer.SINGLE),
    Endpoint("summary_one", "GET", _S + "summary/", (*RANGE, "tz"), Body.NONE, Answer.SUMMARY),
    # many series (docs/protocol.md §6.7, 6.9, 6.10, 6.12, 6.13, 6.16)
    Endpoint("read", "GET", "/data/", (*RANGE, *FILTER, *ROLLUP), Body.NONE, Answer.DATASETS),
    Endpoint("write_bulk", "POST", "/data/", (), Body.BULK, Answer.EMPTY),
    Endpoint("increment_bulk", "POST", "/increment/", (), Body.BULK, Answer.EMPTY, Resend.IF_UNSENT),
    Endpoint("write_multi", "POST", "/multi/", (), Body.MULTI, Answer.MULTISTATUS),
    Endpoint("increment_multi", "POST", "/multi/increment/", (), Body.MULTI, Answer.MULTISTATUS, Resend.IF_UNSENT),
    Endpoint("single", "GET", "/single/", (*FILTER, *SINGLE), Body.NONE, Answer.SINGLES),
)

_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
_BY_ROUTE = {(endpoint.path, endpoint.method): endpoint for endpoint in ENDPOINTS}
_METHODS: dict[str, tuple[str, ...]] = {}
for _endpoint in ENDPOINTS:
    _METHODS[_endpoint.path] = (*_METHODS.get(_endpoint.path, ()), _endpoint.method)
_FIXED = frozenset(path for path in _METHODS if SERIES not in path)
# The suffixes after ``{series}/``, longest first so ``increment/`` is never read as part of a key.
_SUFFIXES = sorted((path[len(_S) :] for path in _METHODS if path.startswith(_S) and path != _S), key=len, reverse=True)


def find(name: str) -> Endpoint:
    """The endpoint called ``name`` (``KeyError`` for an unknown one: a bug, not input)."""
    return _BY_NAME[name]


class Route(msgspec.Struct, frozen=True):
    """Where a request path leads: a path template of the table and the series it names."""

    path: str
    series: SeriesRef | None = None

    def endpoint(self, method: str) -> Endpoint | None:
        """The call ``method`` makes on this path; None when the path does not take that method."""
        return _BY_ROUTE.get((self.path, method))


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods a path template takes, for a 405's ``Allow``."""
    return _METHODS[path]


def route(raw_path: str) -> Route | None:
    """The route of a raw (still percent-encoded) request path, or None when no endpoint has it.

    Matched before percent-decoding, so an escaped ``/`` (``%2F``) never splits a key.  An
    unescaped ``/`` inside a key is accepted only before a known suffix (``key/a/b/data/``, as old
    Node clients sent), so ``key/k1/segment/`` is no endpoint rather than a series ``k1/segment``.
    Raises ``InvalidInputError`` for a key that is not valid percent-encoded UTF-8 or that the key
    rule refuses.
    """
    if not raw_path.startswith("/v1/"):
        return None
    path = raw_path[3:]
    if not path.endswith("/"):
        path += "/"
    if path in _FIXED:
        return Route(path)
    for by in ("id", "key"):
        prefix = f"/series/{by}/"
        if not path.startswith(prefix):
            continue
        rest, template = path[len(prefix) :], _S
        for suffix in _SUFFIXES:
            if rest.endswith("/" + suffix) and len(rest) > len(suffix) + 1:
                rest, template = rest[: -len(suffix)], _S + suffix
                break
        raw = rest[:-1]
        if not raw or ("/" in raw and (by == "id" or template == _S)):
            return None
        try:
            value = unquote(raw, errors="strict") if "%" in raw else raw
        except UnicodeDecodeError:
            raise InvalidInputError("the series key in the path is not valid percent-encoded UTF-8") from None
        return Route(template, SeriesRef.named(by, value))
    return None
