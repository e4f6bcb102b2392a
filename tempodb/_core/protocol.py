"""The TempoDB v1 protocol on the client's side, with no I/O: build a request, parse a response.

``build_*`` validate their arguments (raising ``InvalidInputError`` before anything is sent) and
return a ``Request`` for an entry of the endpoint table (``tempodb._wire.endpoints``); ``parse_*``
turn a 2xx body into models, and ``PARSERS`` says which parser reads which answer.  People
embedding the core in a transport of their own can use these directly; ``ops`` composes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import msgspec

from tempodb._core.column_points import column_points
from tempodb._core.errors import InvalidInputError, ResponseError
from tempodb._core.models import (
    AwareDatetime,
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
from tempodb._core.query import Filter
from tempodb._core.session import Session
from tempodb._wire.columns import ColumnsResponse
from tempodb._wire.endpoints import Answer, Endpoint, find
from tempodb._wire.http import ChunkedResponse, Request, Response
from tempodb._wire.intervals import Function, Interval, parse_function, parse_interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import Pairs, check_direction, encode_query
from tempodb._wire.timestamps import (
    UTC,
    Moment,
    check_instant,
    epoch_ms,
    format_timestamp,
    get_zone,
    parse_timestamp,
    to_datetime,
)
from tempodb._wire.values import check_number

__all__ = [
    "PARSERS",
    "Items",
    "MultiItem",
    "build",
    "build_create_series",
    "build_delete_one_series",
    "build_delete_range",
    "build_delete_series",
    "build_get_series",
    "build_get_series_one",
    "build_read",
    "build_read_one",
    "build_single_value",
    "build_single_value_one",
    "build_summary",
    "build_update_series",
    "check_bulk",
    "check_multi",
    "check_points",
    "parse_answer",
    "parse_dataset",
    "parse_dataset_pieces",
    "parse_datasets",
    "parse_delete_summary",
    "parse_multistatus",
    "parse_series",
    "parse_series_list",
    "parse_single_value",
    "parse_single_values",
    "parse_summary",
]



def build(
    session: Session, endpoint: Endpoint, series: SeriesRef | None = None, query: Pairs | None = None, body: Any = None
) -> Request:
    """The request for ``endpoint`` (naming ``series`` in its path), with ``query`` and a JSON ``body``.

    A call that must not apply twice gets a fresh ``Idempotency-Key``: every retry of this request
    resends the same one, so a server that honours keys applies it once."""
    if series is not None:
        series = SeriesRef.named(series.by, series.value)  # refs are plain values: checked here, once
    key = None if endpoint.repeatable else session.new_key()
    return session.request(endpoint.method, endpoint.path_for(series), encode_query(query or ()), body, idempotency_key=key)


# --- points ------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> int | float:
    try:
        return check_number(value)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None


def _aware(ts: object, where: str, zone: tzinfo = UTC) -> datetime:
    """``ts`` as an aware datetime in the calendar; naive times and dates are read in ``zone``."""
    if type(ts) is datetime and (ts.tzinfo is UTC or (ts.tzinfo is not None and 1 < ts.year < 9999)):
        return ts  # the common case, checked cheaply: a UTC time is always in the calendar
    if not isinstance(ts, (datetime, date)):
        raise InvalidInputError(f"{where}: timestamp must be a datetime or date, not {type(ts).__name__} ({ts!r})")
    try:
        return check_instant(to_datetime(ts, zone=zone))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None


def _all_plain(points: list[DataPoint]) -> bool:
    """Whether every point is the common case that needs no change and no message: an exact
    DataPoint, a UTC datetime in whole milliseconds, an int or a finite float.

    One expression per point and no index: a write's client-side cost is mostly this loop, and
    this form is a fifth faster than the general one in ``check_points`` (benchmarks/codec.py)."""
    point_type, stamp_type, utc, real, whole = DataPoint, datetime, UTC, float, int
    for point in points:
        if type(point) is not point_type:
            return False
        ts, value = point.ts, point.value
        if not (
            type(ts) is stamp_type
            and ts.tzinfo is utc
            and not ts.microsecond % 1000
            # v - v is 0.0 for a finite float and NaN (true) for NaN and the infinities
            and ((type(value) is real and not value - value) or type(value) is whole)
        ):
            return False
    return True


def check_points(data: Iterable[DataPoint], *, merge_same_millisecond: bool = True) -> list[DataPoint]:
    """Validated points, naive timestamps made UTC (copies; the caller's objects are untouched).

    Values are checked as ``check_number`` does; an integer's range (64 bits, and an increment's
    amount) is the server's to refuse (docs/protocol.md §8.1).  Without ``merge_same_millisecond``,
    distinct points that the server's millisecond resolution would make one are refused.
    """
    points = data if isinstance(data, list) else list(data)
    return points if _all_plain(points) else _check_each(points, merge_same_millisecond)


def _check_each(points: list[DataPoint], merge_same_millisecond: bool) -> list[DataPoint]:
    """``check_points`` point by point: what needs a change gets one, what is wrong a message."""
    out: list[DataPoint] | None = None
    sub_ms = False
    isfinite = math.isfinite
    utc = UTC
    for index, point in enumerate(points):
        # A point that needs no change (any zone, away from the calendar's ends) passes without a
        # call or a message; the rest are converted or refused below.
        if type(point) is DataPoint:
            ts = point.ts
            value = point.value
            if (
                type(ts) is datetime
                # a UTC time is always in the calendar; others are checked below near its ends
                and (ts.tzinfo is utc or (ts.tzinfo is not None and 1 < ts.year < 9999))
                and (type(value) is int or (type(value) is float and isfinite(value)))
                and not ts.microsecond % 1000  # sub-millisecond times go the slow way, to be checked
            ):
                if out is not None:
                    out.append(point)
                continue
        if type(point) is not DataPoint and not isinstance(point, DataPoint):
            raise InvalidInputError(
                f"point {index}: expected a DataPoint(ts, value), not {type(point).__name__} ({point!r})"
            )
        ts = point.ts
        value = point.value
        sub_ms = sub_ms or (isinstance(ts, datetime) and ts.microsecond % 1000 != 0)
        checked_ts = _aware(ts, f"point {index}")
        checked_value = _number(value, f"point {index}")
        if checked_ts is not ts or checked_value is not value:
            if out is None:
                out = list(points[:index])
            out.append(DataPoint(checked_ts, checked_value))
        elif out is not None:
            out.append(point)
    checked = points if out is None else out
    if sub_ms and not merge_same_millisecond:
        refuse_same_millisecond([(i, p.ts) for i, p in enumerate(checked)], "point", "merge_same_millisecond=True")
    return checked


def refuse_same_millisecond(stamps: Sequence[tuple[Any, datetime]], what: str, option: str) -> None:
    """Refuse distinct times the server's millisecond resolution would make one (the later would
    silently replace the earlier); ``stamps`` are (label, aware time), grouped by series already."""
    first_at: dict[int, tuple[Any, datetime]] = {}
    clashes: list[str] = []
    for label, ts in stamps:
        ms = epoch_ms(ts)
        seen = first_at.setdefault(ms, (label, ts))
        if seen[1] != ts:
            clashes.append(f"{what} {seen[0]} ({seen[1].isoformat()}) and {what} {label} ({ts.isoformat()})")
    if clashes:
        more = f" (and {len(clashes) - 3} more)" if len(clashes) > 3 else ""
        raise InvalidInputError(
            f"{'; '.join(clashes[:3])}{more} fall in the same millisecond, the finest time the API stores, so "
            f"one would silently replace the other: round the times to milliseconds yourself, or pass {option} "
            "to keep the last of each millisecond"
        )


class MultiItem(msgspec.Struct, omit_defaults=True, gc=False):
    """One point of a bulk or multi write, as sent: ``t`` (multi only), ``id`` or ``key``, ``v``."""

    # Not tracked by the garbage collector (a time, a number and two strings cannot form a cycle):
    # a writer's buffer holds many thousands, and each collection would walk them all.

    v: int | float
    t: datetime | None = None
    id: str | None = None
    key: str | None = None


#: Bulk or multi items as callers give them: dicts (``{"t", "id" | "key", "v"}``) or ``MultiItem``s.
Items = Iterable[Mapping[str, Any] | MultiItem]


def plain_item(ts: object, value: object, key: object, series_id: object) -> bool:
    """Whether a multi item is the common one that needs no change and no message: a non-empty
    printable key (no id), a finite int or float (not a bool), an aware datetime whose instant
    cannot leave the calendar.  The rules of ``_item`` below without a call or a message per item,
    for ``check_multi`` and the batching writer, which check every point (hypothesis laws in
    tests/core/test_fast_path_items.py and tests/bigdata/test_writer_fast_path.py hold both to them)."""
    return (
        series_id is None
        and type(key) is str
        and key.isprintable()
        and key != ""
        and (type(value) is int or (type(value) is float and math.isfinite(value)))
        and type(ts) is datetime
        and (ts.tzinfo is UTC or (ts.tzinfo is not None and 1 < ts.year < 9999))
    )


def _item(raw: Mapping[str, Any] | MultiItem, index: int, ts_required: bool) -> MultiItem:
    if type(raw) is dict and ts_required:
        key, at = raw.get("key"), raw.get("t")
        value: Any = raw.get("v")
        if plain_item(at, value, key, raw.get("id")):
            return MultiItem(v=value, t=at, key=key)
    if isinstance(raw, MultiItem):
        raw = {"t": raw.t, "id": raw.id, "key": raw.key, "v": raw.v}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"item {index}: expected a dict with 'id' or 'key' and 'v', not {raw!r}")
    where = f"item {index}"
    try:
        series = SeriesRef.from_item(raw)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None
    if series is None:
        raise InvalidInputError(f"{where}: give the series 'id' or 'key'")
    if "v" not in raw:
        raise InvalidInputError(f"{where}: give the value 'v'")
    value = _number(raw["v"], where)
    ts: datetime | None = None
    if ts_required:
        if raw.get("t") is None:
            raise InvalidInputError(f"{where}: give the timestamp 't'")
        ts = _aware(raw["t"], where)
    if series.by == "id":
        return MultiItem(v=value, t=ts, id=series.value)
    return MultiItem(v=value, t=ts, key=series.value)


def check_multi(data: Items, *, merge_same_millisecond: bool = True) -> list[MultiItem]:
    """Validated multi-write items (``{'t', 'id' | 'key', 'v'}``); the id wins over the key.

    Without ``merge_same_millisecond``, distinct times of one series in one millisecond are refused."""
    items = [_item(raw, i, ts_required=True) for i, raw in enumerate(data)]
    # Only a time with sub-millisecond digits can meet another in the same millisecond.
    if not merge_same_millisecond and any(item.t is not None and item.t.microsecond % 1000 for item in items):
        by_series: dict[tuple[str | None, str | None], list[tuple[Any, datetime]]] = {}
        for index, item in enumerate(items):
            if item.t is not None:
                by_series.setdefault((item.id, item.key), []).append((index, item.t))
        for group in by_series.values():
            refuse_same_millisecond(group, "item", "merge_same_millisecond=True")
    return items


def check_bulk(data: Items) -> list[MultiItem]:
    """Validated bulk-write items (``{'id' | 'key', 'v'}``)."""
    return [_item(raw, i, ts_required=False) for i, raw in enumerate(data)]


def bulk_body(ts: Moment, items: Sequence[MultiItem]) -> dict[str, Any]:
    return {"t": _aware(ts, "ts"), "data": items}


# --- series ------------------------------------------------------------------------------------


def build_create_series(session: Session, key: str | None = None) -> Request:
    body = {} if key is None else {"key": SeriesRef.of_key(key).value}
    return build(session, find("create_series"), body=body)


def build_get_series(session: Session, selection: Filter) -> Request:
    return build(session, find("list_series"), query=selection.pairs())


def build_get_series_one(session: Session, series: SeriesRef) -> Request:
    return build(session, find("get_series"), series)


def build_update_series(session: Session, series: Series) -> Request:
    if not isinstance(series, Series):
        raise InvalidInputError(f"update_series takes a Series, not {type(series).__name__}")
    Filter(tags=series.tags, attributes=series.attributes)  # validates the element types
    return build(session, find("update_series"), SeriesRef("id", series.id), body=series)


def build_delete_series(session: Session, selection: Filter, allow_truncation: bool) -> Request:
    if not selection and not allow_truncation:
        raise InvalidInputError(
            "delete_series with no filter would delete every series: pass allow_truncation=True to mean it"
        )
    pairs = [*selection.pairs(), ("allow_truncation", "true" if allow_truncation else "false")]
    return build(session, find("delete_series"), query=pairs)


def build_delete_one_series(session: Session, series: SeriesRef) -> Request:
    return build(session, find("delete_one_series"), series)


# --- reads -------------------------------------------------------------------------------------


def _zone(tz: str | None) -> tzinfo:
    """The zone naive times of a call are read in: ``tz`` when the call names one, else UTC."""
    return get_zone(tz) if tz else UTC


def _range(start: Moment, end: Moment, tz: str | None = None) -> Pairs:
    zone = _zone(tz)
    begin, finish = _aware(start, "start", zone), _aware(end, "end", zone)
    if finish < begin:
        raise InvalidInputError(f"end ({finish.isoformat()}) is before start ({begin.isoformat()})")
    return [("start", format_timestamp(begin)), ("end", format_timestamp(finish))]


def rollup_pairs(
    interval: str | timedelta | Interval | None, function: str | Function | None, tz: str | None
) -> Pairs:
    """Validated rollup parameters as query pairs (empty ones are left out: the server decides)."""
    pairs: Pairs = []
    if isinstance(interval, str) and interval.strip().lower() == "raw":
        pairs.append(("interval", "raw"))
    else:
        parsed = parse_interval(interval)
        if parsed is not None:
            pairs.append(("interval", str(parsed)))
    fold = parse_function(function)
    if fold is not None:
        pairs.append(("function", fold.value))
    if tz:
        get_zone(tz)  # refuses an unknown zone before sending
        pairs.append(("tz", tz))
    return pairs


def build_read_one(
    session: Session,
    series: SeriesRef,
    start: Moment,
    end: Moment,
    interval: str | timedelta | Interval | None = None,
    function: str | Function | None = None,
    tz: str | None = None,
) -> Request:
    return build(session, find("read_one"), series, _range(start, end, tz) + rollup_pairs(interval, function, tz))


def build_read(
    session: Session,
    start: Moment,
    end: Moment,
    selection: Filter,
    interval: str | timedelta | Interval | None = None,
    function: str | Function | None = None,
    tz: str | None = None,
) -> Request:
    query = _range(start, end, tz) + selection.pairs() + rollup_pairs(interval, function, tz)
    return build(session, find("read"), query=query)


def build_summary(session: Session, series: SeriesRef, start: Moment, end: Moment, tz: str | None = None) -> Request:
    return build(session, find("summary_one"), series, _range(start, end, tz) + rollup_pairs(None, None, tz))


def _single_pairs(ts: Moment | None, direction: str, tz: str | None) -> Pairs:
    checked = check_direction(str(direction))
    pairs = [] if ts is None else [("ts", format_timestamp(_aware(ts, "ts", _zone(tz))))]
    return [*pairs, ("direction", checked), *rollup_pairs(None, None, tz)]


def build_single_value_one(
    session: Session, series: SeriesRef, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Request:
    return build(session, find("single_one"), series, _single_pairs(ts, direction, tz))


def build_single_value(
    session: Session, selection: Filter, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Request:
    return build(session, find("single"), query=selection.pairs() + _single_pairs(ts, direction, tz))


def build_delete_range(session: Session, series: SeriesRef, start: Moment, end: Moment) -> Request:
    return build(session, find("delete_range"), series, _range(start, end))


# --- parsers -----------------------------------------------------------------------------------

class _FastDataSet(msgspec.Struct):
    series: Series
    start: AwareDatetime
    end: AwareDatetime
    data: list[DataPoint] = []
    summary: dict[str, Any] | None = None
    rollup: Rollup | None = None


class _LooseDataSet(msgspec.Struct):
    """Any timestamp form (naive, date-only, ``+0000``): parsed by our lenient parser."""

    series: Series
    start: str
    end: str
    data: list[dict[str, Any]] = []
    summary: dict[str, Any] | None = None
    rollup: Rollup | None = None


class _FastSeriesSummary(msgspec.Struct):
    """The summary as a dict: ``Summary.from_wire`` keeps unknown fields and reads ``null`` as NaN."""

    series: Series
    start: AwareDatetime
    end: AwareDatetime
    summary: dict[str, Any] = {}
    tz: str = "UTC"


class _LooseSeriesSummary(msgspec.Struct):
    series: Series
    start: str
    end: str
    summary: dict[str, Any] = {}
    tz: str = "UTC"


class _LooseSingleValue(msgspec.Struct):
    series: Series
    data: dict[str, Any] | None = None
    tz: str = "UTC"


def _loose_time(value: str) -> datetime:
    # A bad timestamp in a 200 body is the server's fault: ResponseError, not the caller's InvalidInputError.
    try:
        return parse_timestamp(value)
    except InvalidInputError as exc:
        raise ResponseError(f"the server sent an unreadable timestamp: {exc}") from None


def _loose_point(raw: dict[str, Any]) -> DataPoint:
    try:
        value = raw["v"]
        # ``null``: a rollup value past the float range (a sum of huge values); NaN, not a failed read.
        return DataPoint(parse_timestamp(raw["t"]), math.nan if value is None else check_number(value))
    except (KeyError, TypeError, AttributeError, InvalidInputError) as exc:
        raise ResponseError(f"the server sent a malformed point {raw!r}: {exc}") from None


def _dataset(raw: _FastDataSet | _LooseDataSet) -> DataSet:
    summary = None if raw.summary is None else Summary.from_wire(raw.summary)
    if isinstance(raw, _FastDataSet):
        return DataSet(raw.series, raw.start, raw.end, raw.data, summary, raw.rollup)
    data = [_loose_point(p) for p in raw.data]
    return DataSet(raw.series, _loose_time(raw.start), _loose_time(raw.end), data, summary, raw.rollup)


def _decode(body: bytes, fast: msgspec.json.Decoder[Any], loose: msgspec.json.Decoder[Any], what: str) -> Any:
    """Decode with the typed fast path; fall back to the lenient one for unusual timestamp forms."""
    try:
        return fast.decode(body)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:  # not JSON at all (truncated body, a proxy's HTML page)
        raise ResponseError(f"the server's {what} response could not be read: {exc}") from None
    try:
        return loose.decode(body)
    except (msgspec.DecodeError, InvalidInputError) as exc:
        raise ResponseError(f"the server's {what} response could not be read: {exc}") from None


def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=False)


_FAST_SET, _LOOSE_SET = _decoder(_FastDataSet), _decoder(_LooseDataSet)
_FAST_SETS, _LOOSE_SETS = _decoder(list[_FastDataSet]), _decoder(list[_LooseDataSet])
_FAST_SUMMARY, _LOOSE_SUMMARY = _decoder(_FastSeriesSummary), _decoder(_LooseSeriesSummary)
_FAST_SINGLE, _LOOSE_SINGLE = _decoder(SingleValue), _decoder(_LooseSingleValue)
_FAST_SINGLES, _LOOSE_SINGLES = _decoder(list[SingleValue]), _decoder(list[_LooseSingleValue])
_SERIES = _decoder(Series)
_SERIES_LIST = _decoder(list[Series])
_DELETED = _decoder(DeleteSummary)
_MULTISTATUS = _decoder(dict[str, list[PointStatus]])


def _strict(body: bytes, decoder: msgspec.json.Decoder[Any], what: str) -> Any:
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ResponseError(f"the server's {what} response could not be read: {exc}") from None


def parse_dataset(body: bytes) -> DataSet:
    return _dataset(_decode(body, _FAST_SET, _LOOSE_SET, "data set"))


def parse_datasets(body: bytes) -> list[DataSet]:
    return [_dataset(raw) for raw in _decode(body, _FAST_SETS, _LOOSE_SETS, "data set list")]


def _series_summary(raw: _FastSeriesSummary | _LooseSeriesSummary) -> SeriesSummary:
    summary = Summary.from_wire(raw.summary)
    if isinstance(raw, _FastSeriesSummary):
        return SeriesSummary(raw.series, raw.start, raw.end, summary, raw.tz)
    return SeriesSummary(raw.series, _loose_time(raw.start), _loose_time(raw.end), summary, raw.tz)


def parse_summary(body: bytes) -> SeriesSummary:
    return _series_summary(_decode(body, _FAST_SUMMARY, _LOOSE_SUMMARY, "summary"))


def _single(raw: SingleValue | _LooseSingleValue) -> SingleValue:
    if isinstance(raw, SingleValue):
        return raw
    return SingleValue(raw.series, None if raw.data is None else _loose_point(raw.data), raw.tz)


def parse_single_value(body: bytes) -> SingleValue:
    return _single(_decode(body, _FAST_SINGLE, _LOOSE_SINGLE, "single value"))


def parse_single_values(body: bytes) -> list[SingleValue]:
    return [_single(raw) for raw in _decode(body, _FAST_SINGLES, _LOOSE_SINGLES, "single value list")]


def parse_series(body: bytes) -> Series:
    return _strict(body, _SERIES, "series")  # type: ignore[no-any-return]


def parse_series_list(body: bytes) -> list[Series]:
    return _strict(body, _SERIES_LIST, "series list")  # type: ignore[no-any-return]


def parse_delete_summary(body: bytes) -> DeleteSummary:
    return _strict(body, _DELETED, "delete summary")  # type: ignore[no-any-return]


def parse_multistatus(body: bytes) -> list[PointStatus]:
    """The per-point statuses of a 207 body ``{"multistatus": [...]}`` (statuses as strings or ints)."""
    raw = _strict(body, _MULTISTATUS, "multistatus")
    if "multistatus" not in raw:
        raise ResponseError("the server's 207 response has no 'multistatus' list")
    return raw["multistatus"]  # type: ignore[no-any-return]


def _empty(body: bytes) -> None:
    return None


def _columns_answer(answer: Answer, response: ColumnsResponse) -> DataSet | list[DataSet]:
    """Data sets from an in-process answer's columns: each one's head parsed as its JSON would be,
    its points made from the columns (``column_points``), no JSON rendered or parsed for them."""
    if response.many != (answer is Answer.DATASETS):
        raise ResponseError(f"the in-process transport answered {'a list of data sets' if response.many else 'one data set'} to a {answer.value} read")
    sets = []
    for data in response.datasets:
        found = parse_dataset(data.head)
        found.data = column_points(data)
        sets.append(found)
    return sets if response.many else sets[0]


_DATA_OPEN = b'"data":['
_POINT_GAP = b"},{"
_HEAD_PIECES = 4  # pieces that may pass before the data array opens and a point ends: else read whole
_FAST_POINTS, _LOOSE_POINTS = _decoder(list[DataPoint]), _decoder(list[dict[str, Any]])


def _piece_points(*parts: bytes | memoryview) -> list[DataPoint]:
    """The points of the joined ``parts``, whole point objects separated by commas, read as
    ``parse_dataset`` reads them (the typed fast path, else the lenient one)."""
    array = b"".join((b"[", *parts, b"]"))  # the one copy of the piece's bytes
    try:
        return _FAST_POINTS.decode(array)  # type: ignore[no-any-return]
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise ResponseError(f"the server's data set response could not be read: {exc}") from None
    return [_loose_point(raw) for raw in _strict(array, _LOOSE_POINTS, "data set")]


def parse_dataset_pieces(pieces: list[bytes]) -> DataSet:
    """:func:`parse_dataset` of the body ``b"".join(pieces)``, emptying ``pieces`` as it goes: the
    points are read a piece at a time, so the body is never held whole next to its models.

    The data array is cut after the last whole point of each piece (at ``},{``; what follows is
    carried into the next piece); the rest of the data set (series, start, end, rollup, summary)
    is the body with an empty data array, read by :func:`parse_dataset`.  A body of another layout
    (the first few pieces neither open the data array and end a point in it, nor close it) is read
    whole by :func:`parse_dataset`.
    """
    first, following, opening = b"", 0, -1
    while following < min(len(pieces), _HEAD_PIECES):
        first += pieces[following]  # the head may come alone (a server sends it as soon as it has it)
        pieces[following] = b""
        following += 1
        opening = first.find(_DATA_OPEN)
        if opening >= 0 and (first.find(_POINT_GAP, opening) >= 0 or first.find(b"]", opening) >= 0):
            break
    else:
        body = first + b"".join(pieces[following:])
        pieces.clear()
        return parse_dataset(body)
    head, piece = first[: opening + len(_DATA_OPEN)], first[opening + len(_DATA_OPEN) :]
    del first
    points: list[DataPoint] = []
    carry = b""  # the start of a point cut by the end of the previous piece
    while (closing := piece.find(b"]")) < 0:
        gap = piece.rfind(_POINT_GAP)
        if gap >= 0:
            points += _piece_points(carry, memoryview(piece)[: gap + 1])
            carry = piece[gap + 2 :]
        else:
            carry += piece
        if following == len(pieces):
            raise ResponseError("the server's data set response could not be read: it ends inside its data array")
        piece = pieces[following]
        pieces[following] = b""  # parsed pieces are freed as the points are made
        following += 1
    if carry or piece[:closing].strip():
        points += _piece_points(carry, memoryview(piece)[:closing])
    rest = b"".join(pieces[following:])
    pieces.clear()
    found = parse_dataset(head + piece[closing:] + rest)
    found.data = points
    return found


def parse_answer(answer: Answer, response: Response) -> Any:
    """The model a 2xx ``response`` carries for an endpoint that answers ``answer``: from its
    columns when an in-process transport sent them (``tempodb._wire.columns``), piece by piece
    when a transport kept its body in pieces (``ChunkedResponse``), else from its body."""
    if isinstance(response, ColumnsResponse) and answer in (Answer.DATASET, Answer.DATASETS):
        return _columns_answer(answer, response)
    if isinstance(response, ChunkedResponse) and answer is Answer.DATASET:
        return parse_dataset_pieces(response.take())
    return PARSERS[answer](response.body)


#: The parser of each answer of the endpoint table (a 207's statuses are read by the write loop).
PARSERS: dict[Answer, Callable[[bytes], Any]] = {
    Answer.SERIES: parse_series,
    Answer.SERIES_LIST: parse_series_list,
    Answer.DATASET: parse_dataset,
    Answer.DATASETS: parse_datasets,
    Answer.SUMMARY: parse_summary,
    Answer.SINGLE: parse_single_value,
    Answer.SINGLES: parse_single_values,
    Answer.DELETED: parse_delete_summary,
    Answer.EMPTY: _empty,
    Answer.MULTISTATUS: _empty,
}
