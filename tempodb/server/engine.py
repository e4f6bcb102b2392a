"""The TempoDB v1 server as a pure function of a request: ``Engine.handle(Request) -> Response``.

No sockets here: the ASGI front, the in-process transport and the tests all hand requests to the
same engine, which checks credentials, routes, validates and talks to a :class:`Store`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import math
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import tzinfo
from operator import itemgetter
from typing import Any, NoReturn

import msgspec

from tempodb._core._http import Request, Response, header
from tempodb._core.errors import InvalidInputError
from tempodb._core.rollup import Function, Interval, auto_interval, parse_function
from tempodb._core.timestamps import UTC, from_epoch_ms, get_zone
from tempodb.server import _gzip
from tempodb.server._routes import ALLOWED_METHODS, Query, Route, route
from tempodb.server._timefmt import format_ms, format_pieces, parse_many, parse_ms
from tempodb.server.rollups import rollup, summarize
from tempodb.server.storage import (
    Direction,
    Point,
    PointBatch,
    SeriesExistsError,
    SeriesNotFoundError,
    SeriesRecord,
    Store,
    Value,
)

__all__ = ["Engine"]

log = logging.getLogger("tempodb.server")

_JSON = {"Content-Type": "application/json"}
_TEXT = "text/plain; charset=utf-8"
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="TempoDB"'}
_GZIP_OVER = 1024
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUMERIC = "Must provide a numeric value"
_NO_SERIES = "Must provide a series ID or key"
_DIRECTIONS: tuple[Direction, ...] = ("exact", "before", "after", "nearest")
_MISSING = object()
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


class _DataPoint(msgspec.Struct, gc=False):
    t: str
    v: Value


class _Rollup(msgspec.Struct):
    interval: str
    function: str
    tz: str


class _SingleValue(msgspec.Struct):
    series: SeriesRecord
    data: _DataPoint | None


class _SummaryOnly(msgspec.Struct):
    # Field order as the 2014 server wrote it (recorded-2014/get_summary.json).
    series: SeriesRecord
    tz: str
    end: str
    start: str
    summary: dict[str, Value]


# -- the data set of a read, in pieces ----------------------------------------------------------

_DATA_LEAD = '},{"t":"'
_DATA_TRAIL = '","v":'
_BLOCK = 65_536  # points rendered at a time: bounds the per-point temporaries (pieces, value texts)


def _dataset_json(
    series: SeriesRecord, start: str, end: str, stamps: list[int], values: list[Value], echo: _Rollup | None,
    summary: dict[str, Value], zone: tzinfo,
) -> list[bytes]:
    """A data set's JSON, in blocks whose join is exactly what msgspec writes for
    ``{"series", "start", "end", "data": [{"t", "v"}, ...], "rollup", "summary"}`` (the 2014 field order).

    Reads return millions of points: rather than a struct and a timestamp string per point, a
    point is four pieces joined in C: ``},{"t":"`` + date, ``HH:MM:SS`` and ``.mmmZ","v":`` (shared
    table entries) and the value, from one msgspec call over all values split at the commas
    (numbers never contain one).
    """
    encode = msgspec.json.encode
    blocks = [b'{"series":%b,"start":%b,"end":%b,"data":[' % (encode(series), encode(start), encode(end))]
    for low in range(0, len(stamps), _BLOCK):
        high = min(low + _BLOCK, len(stamps))
        pieces = [""] * (4 * (high - low))
        format_pieces(stamps[low:high], zone, pieces, 4, lead=_DATA_LEAD, trail=_DATA_TRAIL)
        pieces[3::4] = encode(values[low:high]).decode()[1:-1].split(",")
        if low == 0:
            pieces[0] = pieces[0][2:]  # the first point has no "}," before it
        blocks.append("".join(pieces).encode())
    blocks.append(b'%s],"rollup":%b,"summary":%b}' % (b"}" if stamps else b"", encode(echo), encode(summary)))
    return blocks


# -- the points of a write, in bulk -------------------------------------------------------------


class _PlainPoint(msgspec.Struct, gc=False):
    """A point as clients send it: a string "t" and a JSON number "v" (other keys are ignored, as
    they are by the general path)."""

    v: int | float
    t: str


_PLAIN_POINTS = msgspec.json.Decoder(list[_PlainPoint])


def _plain_points(body: bytes, naive_zone: tzinfo) -> list[Point] | None:
    """The points of a write body in the common shape, or None to take the general path.

    Writes carry millions of points: a typed decode (no dict per point) and one comprehension per
    column replace the per-point checks of ``Engine._checked_points``.  Anything this does not
    accept as it is (a missing or null "t", a numeric string "v", an int beyond 64 bits, an
    unparseable time...) returns None, and the general path answers exactly as it always has,
    errors and their point index included.
    """
    try:
        plain = _PLAIN_POINTS.decode(body)
    except msgspec.DecodeError:  # also msgspec.ValidationError: not the plain shape
        return None
    values = [point.v for point in plain]
    # Typed decoding yields only finite floats (it refuses 1e400); ints may still exceed 64 bits.
    if values and (min(values) < _INT_MIN or max(values) > _INT_MAX):
        return None
    try:
        stamps = parse_many([point.t for point in plain], naive_zone)
    except ValueError:  # InvalidInputError, or the ValueError of an offset of 24 h or more
        return None
    return list(zip(stamps, values, strict=True))


class _Failure(Exception):
    """Stops a handler with a finished error response."""

    def __init__(self, status: int, message: str = "", headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = _text(status, message, headers)


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if message:
        out["Content-Type"] = _TEXT
    return Response(status, out, message.encode("utf-8"))


def _fail(status: int, message: str = "", headers: Mapping[str, str] | None = None) -> NoReturn:
    raise _Failure(status, message, headers)


def _value(raw: object) -> Value | None:
    """A stored value from JSON: ints in the 64-bit range, finite floats, numeric strings; else None."""
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None  # type: ignore[arg-type,return-value]
    if kind is int:
        return raw if _INT_MIN <= raw <= _INT_MAX else None  # type: ignore[operator,return-value]
    if kind is str:
        # The toy bash client sends numbers as strings; anything int() or float() reads is accepted.
        text = raw.strip()  # type: ignore[attr-defined]
        try:
            return _value(int(text))
        except ValueError:
            pass
        try:
            return _value(float(text)) if text.lower().lstrip("+-") not in ("nan", "inf", "infinity") else None
        except ValueError:
            return None
    return None


def _increment_amount(value: Value) -> int | None:
    # Increments work on longs: a float amount is truncated toward zero.
    amount = int(value)
    return amount if _INT_MIN <= amount <= _INT_MAX else None


def _valid_key(raw: object) -> bool:
    return isinstance(raw, str) and bool(raw) and _CONTROL.search(raw) is None


def _describe(raw: object) -> str:
    return "missing" if raw is _MISSING else f"{msgspec.json.encode(raw).decode()[:60]}"


class _Context:
    """What every handler needs: the request, its database and decoded query."""

    def __init__(self, request: Request, database: str, query: Query, found: Route) -> None:
        self.request = request
        self.database = database
        self.query = query
        self.route = found
        tz = query.get("tz")
        self.tz_name = tz or "UTC"
        self.zone: tzinfo = get_zone(tz) if tz else UTC
        # Naive timestamps are read in the request's zone only when it names one (§3.1).
        self.naive_zone: tzinfo = self.zone if tz else UTC


class Engine:
    """A TempoDB v1 server without I/O.  Thread-safe: call :meth:`handle` from any thread."""

    def __init__(
        self,
        store: Store,
        credentials: Mapping[str, str] | None = None,
        *,
        max_body_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
        owns_store: bool = True,
    ) -> None:
        self.store = store
        self._credentials = dict(credentials) if credentials is not None else None
        self._max_body = max_body_bytes
        self._clock = clock
        self._owns_store = owns_store
        self._secrets: dict[str, str] = {}  # open mode: secrets already confirmed by the store
        self._secrets_lock = threading.Lock()
        self._handlers: dict[tuple[str, str], Callable[[_Context], Response]] = {
            ("series", "GET"): self._list_series,
            ("series", "POST"): self._create_series,
            ("series", "DELETE"): self._delete_series,
            ("series_item", "GET"): self._get_series,
            ("series_item", "PUT"): self._update_series,
            ("series_data", "GET"): self._read_one,
            ("series_data", "POST"): lambda ctx: self._write_one(ctx, increment=False),
            ("series_data", "DELETE"): self._delete_range,
            ("series_increment", "POST"): lambda ctx: self._write_one(ctx, increment=True),
            ("series_single", "GET"): self._single_one,
            ("series_summary", "GET"): self._summary_one,
            ("data", "GET"): self._read_many,
            ("data", "POST"): lambda ctx: self._write_bulk(ctx, increment=False),
            ("increment", "POST"): lambda ctx: self._write_bulk(ctx, increment=True),
            ("multi", "POST"): lambda ctx: self._write_multi(ctx, increment=False),
            ("multi_increment", "POST"): lambda ctx: self._write_multi(ctx, increment=True),
            ("single", "GET"): self._single_many,
        }

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # -- the edge ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request; never raises."""
        try:
            response = self._dispatch(request)
        except _Failure as failure:
            return failure.response
        except InvalidInputError as exc:
            return _text(400, str(exc))
        except Exception:
            log.exception("unexpected failure on %s %s", request.method, request.target.split("?", 1)[0])
            return _text(500, "internal server error")
        return self._maybe_gzip(request, response)

    def _dispatch(self, request: Request) -> Response:
        path, _, query_text = request.target.partition("?")
        path = path.split("#", 1)[0]
        try:
            found = route(path)
        except UnicodeDecodeError:
            _fail(400, "the series key in the path is not valid percent-encoded UTF-8")
        if found is None:
            _fail(404, f"no such endpoint: {path} (TempoDB v1 paths start with /v1/series/, /v1/data/, /v1/multi/, ...)")
        method = request.method.upper()
        allowed = ALLOWED_METHODS[found.name]
        if method not in allowed:
            _fail(405, f"method {method} is not allowed on {path}; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)})
        database = self._authenticate(request)
        if len(request.body) > self._max_body:
            _fail(413, f"request body is over the {self._max_body} byte limit; send fewer points per request")
        return self._handlers[found.name, method](_Context(request, database, Query(query_text), found))

    def _authenticate(self, request: Request) -> str:
        scheme, _, encoded = header(request.headers, "Authorization").strip().partition(" ")
        try:
            if scheme.lower() != "basic":
                raise ValueError
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            _fail(401, "", _CHALLENGE)
        key, colon, secret = decoded.partition(":")
        if not colon or not key:
            _fail(401, "", _CHALLENGE)
        if self._credentials is not None:
            expected = self._credentials.get(key)
        else:
            expected = self._secrets.get(key)
            if expected is None:
                # Open mode: the first secret seen for a key becomes that database's secret.
                expected = self.store.register_secret(key, secret)
                with self._secrets_lock:
                    self._secrets[key] = expected
        if expected is None or not hmac.compare_digest(expected.encode("utf-8"), secret.encode("utf-8")):
            _fail(403)
        return key

    def _body_json(self, ctx: _Context) -> Any:
        return self._decode_json(self._body_bytes(ctx))

    def _body_bytes(self, ctx: _Context) -> bytes:
        body = ctx.request.body
        encoding = header(ctx.request.headers, "Content-Encoding").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(wbits=31)
            try:
                body = inflater.decompress(body, self._max_body + 1)
            except zlib.error:
                _fail(400, "the body says Content-Encoding: gzip but is not valid gzip data")
            if len(body) > self._max_body or inflater.unconsumed_tail:
                _fail(413, f"decompressed request body is over the {self._max_body} byte limit; send fewer points per request")
        elif encoding not in ("", "identity"):
            _fail(415, f"unsupported Content-Encoding {encoding!r}: send the body plain or gzip-compressed")
        return body

    @staticmethod
    def _decode_json(body: bytes) -> Any:
        if not body.strip():
            return _MISSING
        try:
            return msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            _fail(400, f"the request body is not valid UTF-8 JSON ({exc})")

    def _maybe_gzip(self, request: Request, response: Response) -> Response:
        if len(response.body) <= _GZIP_OVER or response.headers.get("Content-Type") != _JSON["Content-Type"]:
            return response
        accepted = header(request.headers, "Accept-Encoding").lower()
        if "gzip" not in accepted or re.search(r"gzip\s*;\s*q=0(\.0*)?(\s|,|$)", accepted):
            return response
        # Big bodies get the fastest level: a million points compress 5x even at level 1.
        level = 1 if len(response.body) > 1 << 20 else 6
        headers = {**response.headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(response.status_code, headers, _gzip.compress(response.body, level))

    # -- helpers ----------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _series(self, ctx: _Context) -> SeriesRecord:
        if ctx.route.by == "id":
            series = self.store.get_series(ctx.database, id=ctx.route.ref)
        else:
            series = self.store.get_series(ctx.database, key=ctx.route.ref)
        if series is None:
            _fail(403)  # TempoDB answers 403 for an unknown series, not 404
        return series

    def _time(self, ctx: _Context, name: str) -> int:
        text = ctx.query.get(name)
        if not text:
            _fail(400, f"missing query parameter {name!r}: give an ISO-8601 timestamp such as 2012-01-01T00:00:00.000Z")
        try:
            return parse_ms(text, ctx.naive_zone)
        except InvalidInputError as exc:
            _fail(400, f"query parameter {name!r}: {exc}")

    def _range(self, ctx: _Context) -> tuple[int, int]:
        start, end = self._time(ctx, "start"), self._time(ctx, "end")
        if end < start:
            _fail(400, "end must not be before start")
        return start, end

    def _json(self, value: object) -> Response:
        return Response(200, dict(_JSON), msgspec.json.encode(value))

    def _point_time(self, raw: object, ctx: _Context, now: int) -> int:
        if raw is None or raw is _MISSING:
            return now  # a point without "t" is stamped with the receive time (EMB-C relies on it)
        if not isinstance(raw, str):
            raise InvalidInputError(f'"t" must be an ISO-8601 timestamp string, not {_describe(raw)}')
        return parse_ms(raw, ctx.naive_zone)

    # -- series metadata --------------------------------------------------------------------

    def _list_series(self, ctx: _Context) -> Response:
        return self._json(self.store.find_series(ctx.database, ctx.query.series_filter()))

    def _get_series(self, ctx: _Context) -> Response:
        return self._json(self._series(ctx))

    @staticmethod
    def _metadata(body: dict[str, Any], series: SeriesRecord) -> None:
        name = body.get("name")
        if name is not None:
            if not isinstance(name, str):
                _fail(400, f'"name" must be a string, not {_describe(name)}')
            series.name = name
        tags = body.get("tags")
        if tags is not None:
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                _fail(400, f'"tags" must be a list of strings, not {_describe(tags)}')
            series.tags = list(dict.fromkeys(tags))
        attributes = body.get("attributes")
        if attributes is not None:
            if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
                _fail(400, f'"attributes" must be an object of string values, not {_describe(attributes)}')
            series.attributes = dict(attributes)

    def _create_series(self, ctx: _Context) -> Response:
        body = self._body_json(ctx)
        if body is _MISSING:
            body = {}
        if not isinstance(body, dict):
            _fail(400, 'the body must be a JSON object such as {"key": "my-series"} (or {} for a generated key)')
        key = body.get("key")
        series_id = uuid.uuid4().hex
        if key is None or key == "":
            key = series_id  # observed: a generated key equals the id
        elif not _valid_key(key):
            _fail(400, f'"key" must be a non-empty string without control characters, not {_describe(key)}')
        series = SeriesRecord(id=series_id, key=key)
        self._metadata(body, series)
        try:
            self.store.create_series(ctx.database, series)
        except SeriesExistsError as exc:
            _fail(409, str(exc))
        return self._json(series)

    def _update_series(self, ctx: _Context) -> Response:
        body = self._body_json(ctx)
        if not isinstance(body, dict):
            _fail(400, "the body must be a JSON object with the series fields (name, tags, attributes) to replace")
        series = self._series(ctx)
        self._metadata(body, series)
        if not self.store.update_series(ctx.database, series):
            _fail(403)
        return self._json(series)

    def _delete_series(self, ctx: _Context) -> Response:
        selection = ctx.query.series_filter()
        flag = ctx.query.get("allow_truncation").lower()
        if flag not in ("", "true", "false", "1", "0"):
            _fail(400, f"allow_truncation must be true or false, not {flag!r}")
        if selection.empty and flag not in ("true", "1"):
            _fail(400, "refusing to delete every series: give a filter (id, key, tag, attr[name]) or allow_truncation=true")
        return self._json({"deleted": self.store.delete_series(ctx.database, selection)})

    # -- reads ------------------------------------------------------------------------------

    def _rollup_params(self, ctx: _Context, start: int, end: int) -> tuple[Interval | None, Function]:
        text = ctx.query.get("interval")
        function = parse_function(ctx.query.get("function")) or Function.MEAN
        if text.lower() == "raw":
            return None, function
        if text:
            return Interval.parse(text), function
        return auto_interval(from_epoch_ms(start), from_epoch_ms(end)), function

    def _dataset(
        self, ctx: _Context, series: SeriesRecord, start: int, end: int, interval: Interval | None, function: Function
    ) -> list[bytes]:
        rows = self.store.read_points(ctx.database, series.id, start, end)
        stamps, values = list(map(_FIRST, rows)), list(map(_SECOND, rows))
        del rows  # the row tuples are the bulk of a read's memory: gone before the JSON is built
        summary = summarize(values)
        echo = None
        if interval is not None:
            stamps, values = rollup(stamps, values, interval, function, ctx.zone)
            echo = _Rollup(interval.iso, function.value, ctx.tz_name)
        zone = ctx.zone
        return _dataset_json(series, format_ms(start, zone), format_ms(end, zone), stamps, values, echo, summary, zone)

    def _read_one(self, ctx: _Context) -> Response:
        start, end = self._range(ctx)
        interval, function = self._rollup_params(ctx, start, end)
        pieces = self._dataset(ctx, self._series(ctx), start, end, interval, function)
        return Response(200, dict(_JSON), b"".join(pieces))

    def _read_many(self, ctx: _Context) -> Response:
        start, end = self._range(ctx)
        interval, function = self._rollup_params(ctx, start, end)
        found = self.store.find_series(ctx.database, ctx.query.series_filter())
        pieces = [b"["]
        for index, series in enumerate(found):
            if index:
                pieces.append(b",")
            pieces += self._dataset(ctx, series, start, end, interval, function)
        pieces.append(b"]")
        return Response(200, dict(_JSON), b"".join(pieces))

    def _summary_one(self, ctx: _Context) -> Response:
        start, end = self._range(ctx)
        series = self._series(ctx)
        values = list(map(_SECOND, self.store.read_points(ctx.database, series.id, start, end)))
        zone = ctx.zone
        return self._json(_SummaryOnly(series, ctx.tz_name, format_ms(end, zone), format_ms(start, zone), summarize(values)))

    def _single_params(self, ctx: _Context) -> tuple[int, Direction]:
        ts = self._time(ctx, "ts") if ctx.query.has("ts") else self._now_ms()
        direction = ctx.query.get("direction").lower() or "exact"
        if direction not in _DIRECTIONS:
            _fail(400, f"direction must be one of {', '.join(_DIRECTIONS)}, not {direction!r}")
        return ts, direction

    def _single(self, ctx: _Context, series: SeriesRecord, ts: int, direction: Direction) -> _SingleValue:
        point = self.store.single_point(ctx.database, series.id, ts, direction)
        data = None if point is None else _DataPoint(format_ms(point[0], ctx.zone), point[1])
        return _SingleValue(series, data)

    def _single_one(self, ctx: _Context) -> Response:
        ts, direction = self._single_params(ctx)
        return self._json(self._single(ctx, self._series(ctx), ts, direction))

    def _single_many(self, ctx: _Context) -> Response:
        ts, direction = self._single_params(ctx)
        found = self.store.find_series(ctx.database, ctx.query.series_filter())
        return self._json([self._single(ctx, series, ts, direction) for series in found])

    # -- writes -----------------------------------------------------------------------------

    def _apply(self, ctx: _Context, batches: list[PointBatch], *, increment: bool) -> None:
        try:
            self.store.write_points(ctx.database, batches, increment=increment)
        except SeriesNotFoundError:
            _fail(403)
        except SeriesExistsError as exc:
            _fail(409, str(exc))

    def _write_one(self, ctx: _Context, *, increment: bool) -> Response:
        if ctx.route.by == "key" and not _valid_key(ctx.route.ref):
            _fail(400, "the series key must not contain control characters")
        body = self._body_bytes(ctx)
        points = None if increment else _plain_points(body, ctx.naive_zone)
        if points is None:
            points = self._checked_points(ctx, self._decode_json(body), increment=increment)
        if not points:
            return Response(200)
        by_id = ctx.route.by == "id"
        batch = PointBatch(
            points, id=ctx.route.ref if by_id else None, key=None if by_id else ctx.route.ref, create=not by_id
        )
        self._apply(ctx, [batch], increment=increment)
        return Response(200)

    def _checked_points(self, ctx: _Context, body: Any, *, increment: bool) -> list[Point]:
        """The points of any write body, point by point, failing on the first bad one with its index."""
        if not isinstance(body, list):
            _fail(400, 'the body must be a JSON array of points such as [{"t": "2012-01-01T00:00:00.000Z", "v": 1.5}]')
        now = self._now_ms()
        points: list[Point] = []
        append = points.append
        zone, isfinite = ctx.naive_zone, math.isfinite
        for index, item in enumerate(body):
            if type(item) is not dict:
                _fail(400, f'point {index}: each point must be a JSON object with "t" and "v", not {_describe(item)}')
            raw = item.get("v", _MISSING)
            # Finite floats (the bulk of real writes) skip the general coercion.
            value = raw if type(raw) is float and isfinite(raw) and not increment else _value(raw)
            if value is None:
                _fail(400, f'point {index}: "v" must be a finite number, not {_describe(raw)}')
            if increment:
                value = _increment_amount(value)
                if value is None:
                    _fail(400, f"point {index}: increment amount {raw} does not fit in a 64-bit integer")
            t = item.get("t")
            try:
                append((parse_ms(t, zone) if type(t) is str else self._point_time(t, ctx, now), value))
            except InvalidInputError as exc:
                _fail(400, f"point {index}: {exc}")
        return points

    def _write_bulk(self, ctx: _Context, *, increment: bool) -> Response:
        body = self._body_json(ctx)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            _fail(400, 'the body must be a JSON object such as {"t": "2012-01-01T00:00:00.000Z", "data": [{"key": "k", "v": 1}]}')
        try:
            ts = self._point_time(body.get("t"), ctx, self._now_ms())
        except InvalidInputError as exc:
            _fail(400, str(exc))
        batches: dict[tuple[str, str], list[Point]] = {}
        for index, item in enumerate(body["data"]):
            if type(item) is not dict:
                _fail(400, f'data[{index}] must be a JSON object with "id" or "key" and "v", not {_describe(item)}')
            raw = item.get("v", _MISSING)
            value = _value(raw)
            if value is not None and increment:
                value = _increment_amount(value)
            if value is None:
                _fail(400, f'data[{index}]: "v" must be a finite number, not {_describe(raw)}')
            ref = self._series_ref(item)
            if ref is None:
                _fail(400, f'data[{index}]: give the series as a non-empty "id" or "key" string')
            batches.setdefault(ref, []).append((ts, value))
        self._apply(ctx, self._batches(batches), increment=increment)
        return Response(200)

    @staticmethod
    def _series_ref(item: dict[str, Any]) -> tuple[str, str] | None:
        series_id, key = item.get("id"), item.get("key")
        if isinstance(series_id, str) and _valid_key(series_id):
            return "id", series_id  # with both, id wins
        if isinstance(key, str) and _valid_key(key):
            return "key", key
        return None

    @staticmethod
    def _batches(grouped: dict[tuple[str, str], list[Point]]) -> list[PointBatch]:
        return [
            PointBatch(points, id=ref if by == "id" else None, key=ref if by == "key" else None, create=True)
            for (by, ref), points in grouped.items()
        ]

    def _write_multi(self, ctx: _Context, *, increment: bool) -> Response:
        body = self._body_json(ctx)
        if not isinstance(body, list):
            _fail(400, 'the body must be a JSON array such as [{"t": "2012-01-01T00:00:00.000Z", "key": "k", "v": 1}]')
        now = self._now_ms()
        statuses: list[list[str]] = []
        grouped: dict[tuple[str, str], list[Point]] = {}
        for item in body:
            messages: list[str] = []
            if type(item) is not dict:
                statuses.append([_NUMERIC, _NO_SERIES])
                continue
            value = _value(item.get("v", _MISSING))
            if value is not None and increment:
                value = _increment_amount(value)
            if value is None:
                messages.append(_NUMERIC)
            ref = self._series_ref(item)
            if ref is None:
                messages.append(_NO_SERIES)
            ts = now
            try:
                ts = self._point_time(item.get("t"), ctx, now)
            except InvalidInputError as exc:
                messages.append(f"Must provide a valid timestamp: {exc}")
            if not messages and ref is not None and value is not None:
                grouped.setdefault(ref, []).append((ts, value))
            statuses.append(messages)
        if grouped:
            self._apply(ctx, self._batches(grouped), increment=increment)
        if not any(statuses):
            return Response(200)
        entries = [{"status": "422" if m else "200", "messages": m} for m in statuses]
        return Response(207, dict(_JSON), msgspec.json.encode({"multistatus": entries}))

    def _delete_range(self, ctx: _Context) -> Response:
        start, end = self._range(ctx)
        if start == end:
            end = start + 1  # start == end deletes exactly the point at start (§6.14)
        series = self._series(ctx)
        if not self.store.delete_points(ctx.database, series.id, start, end):
            _fail(403)
        return Response(200)

