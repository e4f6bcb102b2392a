"""Everything about the TempoDB v1 wire protocol, with no I/O: build a request, parse a response.

``build_*`` validate their arguments (raising ``InvalidInputError`` before anything is sent) and
return a ``Request``; ``parse_*`` turn a 200 body into models.  People embedding the core in a
transport of their own can use these directly; the operations in ``ops`` compose them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import msgspec

from tempodb._core._http import Request
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
from tempodb._core.query import Filter, encode_query, quote_segment, validate_id, validate_key
from tempodb._core.rollup import Function, Interval, parse_function, parse_interval
from tempodb._core.session import Session
from tempodb._core.timestamps import format_timestamp, get_zone, parse_timestamp, to_datetime

__all__ = [
    "Direction",
    "MultiItem",
    "build_create_series",
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
    "parse_dataset",
    "parse_datasets",
    "parse_delete_summary",
    "parse_multistatus",
    "parse_series",
    "parse_series_list",
    "parse_single_value",
    "parse_single_values",
    "parse_summary",
    "series_path",
]

T = TypeVar("T")
Moment = datetime | date
Direction = str
DIRECTIONS = ("exact", "before", "after", "nearest")


# --- paths -------------------------------------------------------------------------------------


def series_path(by: str, value: str, suffix: str = "") -> str:
    """``/series/id/<id>/<suffix>`` or ``/series/key/<escaped key>/<suffix>``."""
    if by == "id":
        segment = quote_segment(validate_id(value))
    elif by == "key":
        segment = quote_segment(validate_key(value))
    else:
        raise InvalidInputError(f"series must be addressed by 'id' or 'key', not {by!r}")
    return f"/series/{by}/{segment}/{suffix + '/' if suffix else ''}"


# --- points ------------------------------------------------------------------------------------


def _check_value(value: Any, where: str) -> int | float:
    """A finite int or float; numpy-style numbers are converted, bools and strings refused."""
    if type(value) is int:
        return value
    if type(value) is not float:
        if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
            raise InvalidInputError(f"{where}: value must be an int or float, not {type(value).__name__} ({value!r})")
        value = int(value) if isinstance(value, numbers.Integral) else float(value)
        if type(value) is int:
            return value
    if not math.isfinite(value):
        raise InvalidInputError(f"{where}: value {value!r} is not finite; TempoDB stores finite numbers only")
    return value  # type: ignore[no-any-return]


def _aware(ts: object, where: str) -> datetime:
    if type(ts) is datetime and ts.tzinfo is not None:  # the common case, checked cheaply
        return ts
    if not isinstance(ts, (datetime, date)):
        raise InvalidInputError(f"{where}: timestamp must be a datetime or date, not {type(ts).__name__} ({ts!r})")
    return to_datetime(ts)


def check_points(data: Iterable[DataPoint]) -> list[DataPoint]:
    """Validated points, naive timestamps made UTC (copies; the caller's objects are untouched)."""
    points = data if isinstance(data, list) else list(data)
    out: list[DataPoint] | None = None
    isfinite = math.isfinite
    for index, point in enumerate(points):
        # Fast path for the common case (an exact DataPoint, aware datetime, finite int or float):
        # no calls and no error-message formatting per point, which was most of a large write's
        # client-side cost (benchmarks/codec.py).
        if type(point) is DataPoint:
            ts = point.ts
            value = point.value
            if (
                type(ts) is datetime
                and ts.tzinfo is not None
                and (type(value) is int or (type(value) is float and isfinite(value)))
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
        checked_ts = _aware(ts, f"point {index}")
        checked_value = _check_value(value, f"point {index}")
        if checked_ts is not ts or checked_value is not value:
            if out is None:
                out = list(points[:index])
            out.append(DataPoint(checked_ts, checked_value))
        elif out is not None:
            out.append(point)
    return points if out is None else out


class MultiItem(msgspec.Struct, omit_defaults=True):
    """One point of a bulk or multi write, as sent: ``t`` (multi only), ``id`` or ``key``, ``v``."""

    v: int | float
    t: datetime | None = None
    id: str | None = None
    key: str | None = None


def _item(raw: Mapping[str, Any] | MultiItem, index: int, ts_required: bool) -> MultiItem:
    if isinstance(raw, MultiItem):
        raw = {"t": raw.t, "id": raw.id, "key": raw.key, "v": raw.v}
    if not isinstance(raw, Mapping):
        raise InvalidInputError(f"item {index}: expected a dict with 'id' or 'key' and 'v', not {raw!r}")
    where = f"item {index}"
    series_id, key = raw.get("id"), raw.get("key")
    if series_id is None and key is None:
        raise InvalidInputError(f"{where}: give the series 'id' or 'key'")
    if "v" not in raw:
        raise InvalidInputError(f"{where}: give the value 'v'")
    value = _check_value(raw["v"], where)
    ts: datetime | None = None
    if ts_required:
        if raw.get("t") is None:
            raise InvalidInputError(f"{where}: give the timestamp 't'")
        ts = _aware(raw["t"], where)
    return MultiItem(
        v=value,
        t=ts,
        id=validate_id(series_id) if series_id is not None else None,
        key=validate_key(key) if key is not None and series_id is None else None,
    )


def check_multi(data: Iterable[Mapping[str, Any] | MultiItem]) -> list[MultiItem]:
    """Validated multi-write items (``{'t', 'id' | 'key', 'v'}``); id wins over key, as on the server."""
    return [_item(raw, i, ts_required=True) for i, raw in enumerate(data)]


def check_bulk(data: Iterable[Mapping[str, Any] | MultiItem]) -> list[MultiItem]:
    """Validated bulk-write items (``{'id' | 'key', 'v'}``)."""
    return [_item(raw, i, ts_required=False) for i, raw in enumerate(data)]


def bulk_body(ts: Moment, items: Sequence[MultiItem]) -> dict[str, Any]:
    return {"t": _aware(ts, "ts"), "data": items}


# --- series ------------------------------------------------------------------------------------


def build_create_series(session: Session, key: str | None = None) -> Request:
    body = {} if key is None else {"key": validate_key(key)}
    return session.request("POST", "/series/", body=body)


def build_get_series(session: Session, selection: Filter) -> Request:
    return session.request("GET", "/series/", encode_query(selection.pairs()))


def build_get_series_one(session: Session, by: str, value: str) -> Request:
    return session.request("GET", series_path(by, value))


def build_update_series(session: Session, series: Series) -> Request:
    if not isinstance(series, Series):
        raise InvalidInputError(f"update_series takes a Series, not {type(series).__name__}")
    Filter(tags=series.tags, attributes=series.attributes)  # validates the element types
    return session.request("PUT", series_path("id", series.id), body=series)


def build_delete_series(session: Session, selection: Filter, allow_truncation: bool) -> Request:
    if not selection and not allow_truncation:
        raise InvalidInputError(
            "delete_series with no filter would delete every series: pass allow_truncation=True to mean it"
        )
    pairs = [*selection.pairs(), ("allow_truncation", "true" if allow_truncation else "false")]
    return session.request("DELETE", "/series/", encode_query(pairs))


# --- reads -------------------------------------------------------------------------------------


def _range(start: Moment, end: Moment) -> list[tuple[str, str]]:
    begin, finish = _aware(start, "start"), _aware(end, "end")
    if finish < begin:
        raise InvalidInputError(f"end ({finish.isoformat()}) is before start ({begin.isoformat()})")
    return [("start", format_timestamp(begin)), ("end", format_timestamp(finish))]


def rollup_pairs(
    interval: str | timedelta | Interval | None, function: str | Function | None, tz: str | None
) -> list[tuple[str, str]]:
    """Validated rollup parameters as query pairs (empty ones are left out: the server decides)."""
    pairs: list[tuple[str, str]] = []
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
    by: str,
    value: str,
    start: Moment,
    end: Moment,
    interval: str | timedelta | Interval | None = None,
    function: str | Function | None = None,
    tz: str | None = None,
) -> Request:
    query = encode_query(_range(start, end) + rollup_pairs(interval, function, tz))
    return session.request("GET", series_path(by, value, "data"), query)


def build_read(
    session: Session,
    start: Moment,
    end: Moment,
    selection: Filter,
    interval: str | timedelta | Interval | None = None,
    function: str | Function | None = None,
    tz: str | None = None,
) -> Request:
    query = encode_query(_range(start, end) + selection.pairs() + rollup_pairs(interval, function, tz))
    return session.request("GET", "/data/", query)


def build_summary(session: Session, by: str, value: str, start: Moment, end: Moment, tz: str | None = None) -> Request:
    query = encode_query(_range(start, end) + rollup_pairs(None, None, tz))
    return session.request("GET", series_path(by, value, "summary"), query)


def _single_pairs(ts: Moment | None, direction: str, tz: str | None) -> list[tuple[str, str]]:
    if direction not in DIRECTIONS:
        raise InvalidInputError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    pairs = [] if ts is None else [("ts", format_timestamp(_aware(ts, "ts")))]
    return [*pairs, ("direction", direction), *rollup_pairs(None, None, tz)]


def build_single_value_one(
    session: Session, by: str, value: str, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Request:
    return session.request("GET", series_path(by, value, "single"), encode_query(_single_pairs(ts, direction, tz)))


def build_single_value(
    session: Session, selection: Filter, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Request:
    query = encode_query(selection.pairs() + _single_pairs(ts, direction, tz))
    return session.request("GET", "/single/", query)


def build_delete_range(session: Session, by: str, value: str, start: Moment, end: Moment) -> Request:
    return session.request("DELETE", series_path(by, value, "data"), encode_query(_range(start, end)))


# --- parsers -----------------------------------------------------------------------------------

_series = msgspec.json.Decoder(Series)
_series_list = msgspec.json.Decoder(list[Series])
_delete = msgspec.json.Decoder(DeleteSummary)


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


class _LooseSeriesSummary(msgspec.Struct):
    series: Series
    start: str
    end: str
    summary: dict[str, Any] = {}
    tz: str = "UTC"


class _LooseSingleValue(msgspec.Struct):
    series: Series
    data: dict[str, Any] | None = None


def _loose_time(value: str) -> datetime:
    # A bad timestamp in a 200 body is the server's fault: ResponseError, not the caller's InvalidInputError.
    try:
        return parse_timestamp(value)
    except InvalidInputError as exc:
        raise ResponseError(f"the server sent an unreadable timestamp: {exc}") from None


def _loose_point(raw: dict[str, Any]) -> DataPoint:
    try:
        return DataPoint(parse_timestamp(raw["t"]), _check_value(raw["v"], "response point"))
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
_FAST_SUMMARY, _LOOSE_SUMMARY = _decoder(SeriesSummary), _decoder(_LooseSeriesSummary)
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


def _series_summary(raw: SeriesSummary | _LooseSeriesSummary) -> SeriesSummary:
    if isinstance(raw, SeriesSummary):
        return raw
    summary = Summary.from_wire(raw.summary)
    return SeriesSummary(raw.series, _loose_time(raw.start), _loose_time(raw.end), summary, raw.tz)


def parse_summary(body: bytes) -> SeriesSummary:
    return _series_summary(_decode(body, _FAST_SUMMARY, _LOOSE_SUMMARY, "summary"))


def _single(raw: SingleValue | _LooseSingleValue) -> SingleValue:
    if isinstance(raw, SingleValue):
        return raw
    return SingleValue(raw.series, None if raw.data is None else _loose_point(raw.data))


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
