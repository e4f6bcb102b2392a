"""The server's JSON: request bodies in, answers out, with the two shapes that carry millions of
points (write bodies and data sets) on fast paths of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from typing import Any, TypeVar

import msgspec

from tempodb._wire.columns import DataColumns
from tempodb._wire.errors import InvalidInputError
from tempodb._wire.http import Response
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC
from tempodb._wire.values import INT64_MAX, INT64_MIN
from tempodb.server._timefmt import format_pieces, parse_many, time_runs
from tempodb.server.edge import JSON_TYPE, close_blocks, fail
from tempodb.server.storage import Point, SeriesRecord, Value

__all__ = [
    "MISSING",
    "closing_iter",
    "PointOut",
    "RollupEcho",
    "SingleValue",
    "SummaryOnly",
    "DataSetListSource",
    "DataSetSource",
    "dataset_blocks",
    "dataset_json",
    "decode_json",
    "describe",
    "encoded_json_response",
    "json_response",
    "multistatus_response",
    "offset_runs",
    "PlainMulti",
    "plain_points",
    "plain_series_points",
]

_T = TypeVar("_T")

#: What :func:`decode_json` returns for an empty body, and what ``dict.get`` gives for an absent key.
MISSING: Any = object()


def decode_json(body: bytes) -> Any:
    if not body.strip():
        return MISSING
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        fail(400, f"the request body is not valid UTF-8 JSON ({exc})")
    except RecursionError:  # msgspec's depth guard: arrays or objects nested thousands deep
        fail(400, "the request body nests arrays or objects too deeply: a TempoDB body is at most 3 levels deep")


def describe(raw: object) -> str:
    """A short JSON rendering of what a client sent, for error messages."""
    return "missing" if raw is MISSING else f"{msgspec.json.encode(raw).decode()[:60]}"


def json_response(value: object) -> Response:
    return encoded_json_response(msgspec.json.encode(value))


def encoded_json_response(body: bytes) -> Response:
    return Response(200, {"Content-Type": JSON_TYPE}, body)


def multistatus_response(statuses: list[list[str]]) -> Response:
    """The 207 of a multi write: per item, its messages (none: it was written)."""
    entries = [{"status": "422" if m else "200", "messages": m} for m in statuses]
    return Response(207, {"Content-Type": JSON_TYPE}, msgspec.json.encode({"multistatus": entries}))


# -- answers ----------------------------------------------------------------------------------


class PointOut(msgspec.Struct, gc=False):
    t: str
    v: Value


class RollupEcho(msgspec.Struct):
    interval: str
    function: str
    tz: str


class SingleValue(msgspec.Struct):
    series: SeriesRecord
    data: PointOut | None
    tz: str  # the zone data.t is written in (the 2014 Java client reads it)


class SummaryOnly(msgspec.Struct):
    # Field order as the 2014 server wrote it (recorded-2014/get_summary.json).
    series: SeriesRecord
    tz: str
    end: str
    start: str
    summary: dict[str, Value]


@contextmanager
def closing_iter(items: Iterable[_T]) -> Iterator[Iterator[_T]]:
    """Iterate ``items``, closing it (a generator) however the iteration ends."""
    iterator = iter(items)
    try:
        yield iterator
    finally:
        close_blocks(iterator)


# -- the data set of a read, in pieces ----------------------------------------------------------

_DATA_LEAD = '},{"t":"'
_DATA_TRAIL = '","v":'
_BLOCK = 65_536  # points rendered at a time: bounds the per-point temporaries (pieces, value texts)


def dataset_json(
    series: SeriesRecord, start: str, end: str, stamps: list[int], values: list[Value], echo: RollupEcho | None,
    summary: dict[str, Value], zone: tzinfo,
) -> list[bytes]:
    """A data set's JSON, in blocks whose join is exactly what msgspec writes for
    ``{"series", "start", "end", "data": [{"t", "v"}, ...], "rollup", "summary"}`` (the 2014 field order).
    """
    return list(dataset_blocks(series, start, end, [(stamps, values)], lambda: (echo, summary), zone))


def dataset_blocks(
    series: SeriesRecord, start: str, end: str, chunks: Iterable[tuple[list[int], list[Value]]],
    tail: Callable[[], tuple[RollupEcho | None, dict[str, Value]]], zone: tzinfo,
) -> DataSetSource:
    """:func:`dataset_json` over the data in ``chunks`` (stamps, values), asking ``tail`` for the
    rollup echo and the summary once they are all out: iterated, the points of a read go out as
    they are read, and are never all held as JSON; or collected whole for an in-process reader
    (:meth:`DataSetSource.columns`), never rendered at all.
    """
    return DataSetSource(series, start, end, chunks, tail, zone)


class DataSetSource(Iterator[bytes]):
    """A data set about to be sent: its JSON blocks when iterated, or :meth:`columns`.

    The in-process transport asks for the columns (``tempodb._wire.columns``): over HTTP the points
    are rendered here and parsed again by the client, which in one process is work for nothing.
    """

    def __init__(
        self, series: SeriesRecord, start: str, end: str, chunks: Iterable[tuple[list[int], list[Value]]],
        tail: Callable[[], tuple[RollupEcho | None, dict[str, Value]]], zone: tzinfo,
    ) -> None:
        self._parts = (series, start, end, zone)
        self._chunks = chunks
        self._tail = tail
        self._blocks: Iterator[bytes] | None = None

    def __next__(self) -> bytes:
        if self._blocks is None:
            series, start, end, zone = self._parts
            self._blocks = _render(series, start, end, self._chunks, self._tail, zone)
        return next(self._blocks)

    def close(self) -> None:
        """Stop early: release what produces the points (a read snapshot)."""
        close_blocks(self._blocks if self._blocks is not None else iter(self._chunks))

    def columns(self) -> tuple[DataColumns, Callable[[], bytes]]:
        """Every point read (in the chunks they were read in), with the JSON around them, and a
        function rendering the body iterating would have produced (for callers that want bytes).

        Each chunk is kept as it came: a reader may build its values chunk by chunk and empty
        each one as it goes (so a read never holds a second full copy of its points); the body
        cannot be rendered after that, and the function refuses to.
        """
        series, start, end, zone = self._parts
        stamps: list[list[int]] = []
        values: list[list[Value]] = []
        with closing_iter(self._chunks) as chunks:
            for chunk_t, chunk_v in chunks:
                if chunk_t:
                    stamps.append(chunk_t)
                    values.append(chunk_v)
        echo, summary = self._tail()
        count = sum(map(len, stamps))
        head = b"".join(_render(series, start, end, (), lambda: (echo, summary), zone))
        data = DataColumns(head, stamps, values, offset_runs(stamps, zone))

        def render() -> bytes:
            if sum(map(len, stamps)) != count:
                raise RuntimeError("these columns were consumed by a reader: their body can no longer be rendered")
            joined = ([t for c in stamps for t in c], [v for c in values for v in c])
            return b"".join(_render(series, start, end, [joined], lambda: (echo, summary), zone))

        return data, render


class DataSetListSource(Iterator[bytes]):
    """The data sets of a many-series read (a JSON list), each made by ``make`` only when its turn
    comes: iterated, its blocks; or :meth:`columns`, as :class:`DataSetSource` offers them."""

    def __init__(self, found: Iterable[SeriesRecord], make: Callable[[SeriesRecord], DataSetSource]) -> None:
        self._found = found
        self._make = make
        self._blocks: Iterator[bytes] | None = None

    def __next__(self) -> bytes:
        if self._blocks is None:
            self._blocks = self._render()
        return next(self._blocks)

    def close(self) -> None:
        if self._blocks is not None:
            close_blocks(self._blocks)

    def _render(self) -> Iterator[bytes]:
        yield b"["
        for index, series in enumerate(self._found):
            if index:
                yield b","
            with closing_iter(self._make(series)) as blocks:
                yield from blocks
        yield b"]"

    def columns(self) -> tuple[list[DataColumns], Callable[[], bytes]]:
        made = [self._make(series).columns() for series in self._found]
        renders = [render for _, render in made]
        return [data for data, _ in made], lambda: b"[" + b",".join(render() for render in renders) + b"]"


def offset_runs(chunks: Sequence[Sequence[int]], zone: tzinfo) -> list[tuple[int, int]]:
    """``(index of the first point, seconds east of UTC)`` of each run of points that ``zone`` puts
    at one UTC offset, indexes counted across ``chunks`` (the offsets the JSON would show)."""
    if zone is UTC:
        return [(0, 0)]
    runs: list[tuple[int, int]] = []
    base = 0
    for chunk in chunks:
        for run in time_runs(chunk, zone):
            if not runs or runs[-1][1] != run.offset:
                runs.append((base + run.start, run.offset))
        base += len(chunk)
    return runs or [(0, 0)]


def _render(
    series: SeriesRecord, start: str, end: str, chunks: Iterable[tuple[list[int], list[Value]]],
    tail: Callable[[], tuple[RollupEcho | None, dict[str, Value]]], zone: tzinfo,
) -> Iterator[bytes]:
    """The blocks of :func:`dataset_json`.

    Reads return millions of points: rather than a struct and a timestamp string per point, a
    point is four pieces joined in C: ``},{"t":"`` + date, ``HH:MM:SS`` and ``.mmmZ","v":`` (shared
    table entries) and the value, from one msgspec call over all values split at the commas
    (numbers never contain one).
    """
    encode = msgspec.json.encode
    yield b'{"series":%b,"start":%b,"end":%b,"data":[' % (encode(series), encode(start), encode(end))
    first = True
    with closing_iter(chunks) as each_chunk:
        for stamps, values in each_chunk:
            for low in range(0, len(stamps), _BLOCK):
                high = min(low + _BLOCK, len(stamps))
                pieces = [""] * (4 * (high - low))
                format_pieces(stamps[low:high], zone, pieces, 4, lead=_DATA_LEAD, trail=_DATA_TRAIL)
                pieces[3::4] = encode(values[low:high]).decode()[1:-1].split(",")
                if first:
                    pieces[0] = pieces[0][2:]  # the first point has no "}," before it
                    first = False
                yield "".join(pieces).encode()
    echo, summary = tail()
    yield b'%s],"rollup":%b,"summary":%b}' % (b"" if first else b"}", encode(echo), encode(summary))


# -- the points of a write, in bulk (single-series and multi) ----------------------------------


class _PlainPoint(msgspec.Struct, gc=False):
    """A point as clients send it: a string "t" and a JSON number "v" (other keys are ignored, as
    they are by the general path)."""

    v: int | float
    t: str


_PLAIN_POINTS = msgspec.json.Decoder(list[_PlainPoint])


def _typed(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T | None:
    """``body`` decoded into the fast path's types, or None when it is not in that shape."""
    try:
        return decoder.decode(body)
    except msgspec.DecodeError:  # also msgspec.ValidationError: not the plain shape
        return None
    except RecursionError:  # an ignored field nested thousands deep: the general path says so
        return None


def plain_points(body: bytes, naive_zone: tzinfo) -> list[Point] | None:
    """The points of a write body in the common shape, or None to take the general path.

    Writes carry millions of points: a typed decode (no dict per point) and one comprehension per
    column replace the per-point checks of the general path.  Anything this does not accept as it
    is (a missing or null "t", a numeric string "v", an int beyond 64 bits, an unparseable time...)
    returns None, and the general path answers exactly as it always has, errors and their point
    index included.
    """
    plain = _typed(_PLAIN_POINTS, body)
    if plain is None:
        return None
    return _columns(plain, naive_zone)


def _columns(plain: Sequence[_PlainPoint] | Sequence[_SeriesPoint], naive_zone: tzinfo) -> list[Point] | None:
    """The (stamp, value) points of typed items, or None when one is not plainly valid."""
    values = _values(plain)
    if values is None:
        return None
    try:
        stamps = parse_many([point.t for point in plain], naive_zone)
    except ValueError:  # InvalidInputError, or the ValueError of an offset of 24 h or more
        return None
    return list(zip(stamps, values, strict=True))


def _values(plain: Sequence[_PlainPoint] | Sequence[_SeriesPoint]) -> list[int | float] | None:
    """The values of typed items, or None when an integer is beyond 64 bits."""
    values = [point.v for point in plain]
    # Typed decoding yields only finite floats (it refuses 1e400); ints may still exceed 64 bits.
    # The C-speed min/max clears the common body; a large value sends it to the exact per-int check.
    if (
        values
        and (min(values) < INT64_MIN or max(values) > INT64_MAX)
        and any(type(v) is int and not INT64_MIN <= v <= INT64_MAX for v in values)
    ):
        return None
    return values


class _SeriesPoint(msgspec.Struct, gc=False):
    """A multi write item as clients send it: a point and its series by string "id" or "key"."""

    v: int | float
    t: str
    id: str | None = None
    key: str | None = None


class _SeriesAmount(_SeriesPoint, gc=False):
    """A multi increment item in the common shape: the amount is an integer (a float would be
    truncated, which the general path does)."""

    v: int


_SERIES_POINTS = msgspec.json.Decoder(list[_SeriesPoint])
_SERIES_AMOUNTS = msgspec.json.Decoder(list[_SeriesAmount])


def _grouped(items: Sequence[_SeriesPoint], points: list[Point]) -> tuple[dict[SeriesRef, list[Point]], dict[tuple[str, str], SeriesRef]] | None:
    """The points grouped by the series their items name, in the order each series first appears
    (the order the general path writes them in), and each (by, name)'s ref; None when an item
    names no usable series.

    A 100-series body names each series a hundred times: each distinct name is checked once, and
    points are grouped under the name strings as sent (a string caches its hash; a tuple or a
    ``SeriesRef`` would be hashed afresh for every item).
    """
    by_key: dict[str | None, list[Point]] = {}
    by_id: dict[str, list[Point]] = {}
    order: list[tuple[str, str | None]] = []  # (by, name) of each group as it first appears
    for item, point in zip(items, points, strict=True):
        series_id = item.id  # the id wins over the key whenever it is given (SeriesRef.choose)
        if series_id is None:
            group = by_key.get(item.key)
            if group is None:
                group = by_key[item.key] = []
                order.append(("key", item.key))
        else:
            group = by_id.get(series_id)
            if group is None:
                group = by_id[series_id] = []
                order.append(("id", series_id))
        group.append(point)
    refs: dict[tuple[str, str], SeriesRef] = {}
    grouped: dict[SeriesRef, list[Point]] = {}
    for by, name in order:
        if name is None:  # neither an id nor a key
            return None
        try:
            ref = refs[by, name] = SeriesRef.named(by, name)
        except InvalidInputError:
            return None
        grouped[ref] = by_id[name] if by == "id" else by_key[name]
    return grouped, refs


class PlainMulti:
    """A multi write body read by the fast path: its points grouped by series, in the order each
    series first appears (the order the general path writes them in)."""

    __slots__ = ("_items", "_refs", "grouped")

    def __init__(self, items: Sequence[_SeriesPoint], refs: dict[tuple[str, str], SeriesRef], grouped: dict[SeriesRef, list[Point]]) -> None:
        self._items = items
        self._refs = refs
        self.grouped = grouped

    def __len__(self) -> int:
        return len(self._items)

    def item_refs(self) -> list[SeriesRef]:
        """Each item's series: only wanted when the store refuses a series, so not built before."""
        refs = self._refs
        return [refs["key", item.key] if item.id is None else refs["id", item.id] for item in self._items]  # type: ignore[index]


def plain_series_points(body: bytes, naive_zone: tzinfo, *, increment: bool) -> PlainMulti | None:
    """A multi write body in the common shape, read at C speed where possible and grouped by series
    (as :func:`_grouped`); None to take the general path (the item by item one, which names every
    problem): any item it would refuse or read differently (no usable series, a missing "t", a
    float amount to truncate...).
    """
    items: Sequence[_SeriesPoint] | None = _typed(_SERIES_AMOUNTS, body) if increment else _typed(_SERIES_POINTS, body)
    if items is None:
        return None
    points = _columns(items, naive_zone)
    found = None if points is None else _grouped(items, points)
    if found is None:
        return None
    grouped, refs = found
    return PlainMulti(items, refs, grouped)
