"""Every TempoDB call as an operation: a generator that yields ``Send``/``Sleep`` and returns a model.

Retrying, splitting large writes into chunks and turning a 207 into per-point errors are written
here once; the sync and async clients only drive these generators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from tempodb._core._http import Request
from tempodb._core.effects import Operation
from tempodb._core.errors import MultiStatusError, PartialWriteError, ResponseError, TempoDBError, TransportError
from tempodb._core.models import (
    DataPoint,
    DataSet,
    DeleteSummary,
    PointStatus,
    Series,
    SeriesSummary,
    SingleValue,
)
from tempodb._core.protocol import (
    MultiItem,
    build_create_series,
    build_delete_range,
    build_delete_series,
    build_get_series,
    build_get_series_one,
    build_read,
    build_read_one,
    build_single_value,
    build_single_value_one,
    build_summary,
    build_update_series,
    bulk_body,
    check_bulk,
    check_multi,
    check_points,
    parse_dataset,
    parse_datasets,
    parse_delete_summary,
    parse_multistatus,
    parse_series,
    parse_series_list,
    parse_single_value,
    parse_single_values,
    parse_summary,
    series_path,
)
from tempodb._core.query import Filter
from tempodb._core.rollup import Function, Interval
from tempodb._core.session import Session, call

T = TypeVar("T")
Moment = datetime | date
IntervalArg = str | timedelta | Interval | None
FunctionArg = str | Function | None
Items = Iterable[Mapping[str, Any] | MultiItem]

_OK = PointStatus(200)


def _fetch(session: Session, request: Request, parse: Callable[[bytes], T]) -> Operation[T]:
    response = yield from call(session, request, repeatable=True)
    return parse(response.body)


# --- series ------------------------------------------------------------------------------------


def create_series(session: Session, key: str | None = None) -> Operation[Series]:
    # Not repeatable: a retried create whose first try landed would answer 409 for our own series.
    response = yield from call(session, build_create_series(session, key), repeatable=False)
    return parse_series(response.body)


def get_series(session: Session, selection: Filter) -> Operation[list[Series]]:
    return (yield from _fetch(session, build_get_series(session, selection), parse_series_list))


def get_series_one(session: Session, by: str, value: str) -> Operation[Series]:
    return (yield from _fetch(session, build_get_series_one(session, by, value), parse_series))


def update_series(session: Session, series: Series) -> Operation[Series]:
    return (yield from _fetch(session, build_update_series(session, series), parse_series))


def delete_series(session: Session, selection: Filter, allow_truncation: bool = False) -> Operation[DeleteSummary]:
    request = build_delete_series(session, selection, allow_truncation)
    return (yield from _fetch(session, request, parse_delete_summary))


# --- reads -------------------------------------------------------------------------------------


def read_one(
    session: Session, by: str, value: str, start: Moment, end: Moment,
    interval: IntervalArg = None, function: FunctionArg = None, tz: str | None = None,
) -> Operation[DataSet]:
    request = build_read_one(session, by, value, start, end, interval, function, tz)
    return (yield from _fetch(session, request, parse_dataset))


def read(
    session: Session, start: Moment, end: Moment, selection: Filter,
    interval: IntervalArg = None, function: FunctionArg = None, tz: str | None = None,
) -> Operation[list[DataSet]]:
    request = build_read(session, start, end, selection, interval, function, tz)
    return (yield from _fetch(session, request, parse_datasets))


def summary_one(
    session: Session, by: str, value: str, start: Moment, end: Moment, tz: str | None = None
) -> Operation[SeriesSummary]:
    return (yield from _fetch(session, build_summary(session, by, value, start, end, tz), parse_summary))


def single_value_one(
    session: Session, by: str, value: str, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Operation[SingleValue]:
    request = build_single_value_one(session, by, value, ts, direction, tz)
    return (yield from _fetch(session, request, parse_single_value))


def single_value(
    session: Session, selection: Filter, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Operation[list[SingleValue]]:
    request = build_single_value(session, selection, ts, direction, tz)
    return (yield from _fetch(session, request, parse_single_values))


def delete_range(session: Session, by: str, value: str, start: Moment, end: Moment) -> Operation[None]:
    yield from call(session, build_delete_range(session, by, value, start, end), repeatable=True)


# --- writes and increments ---------------------------------------------------------------------


def _chunked(
    session: Session,
    items: Sequence[Any],
    make: Callable[[Sequence[Any]], Request],
    *,
    repeatable: bool,
    multistatus: bool,
) -> Operation[None]:
    """Send ``items`` in requests of at most ``session.chunk_size``; account for every index.

    A failure after some chunks were acknowledged (or with a chunk of unknown fate) raises
    ``PartialWriteError`` naming exactly which indices landed; a failure before anything could
    have landed raises the original error.  207 statuses are gathered across chunks.
    """
    size = session.chunk_size
    statuses: list[PointStatus] = []
    refused = False
    for begin in range(0, len(items), size) or (0,):
        chunk = items[begin : begin + size]
        try:
            response = yield from call(session, make(chunk), repeatable=repeatable)
        except TempoDBError as exc:
            uncertain = not repeatable and isinstance(exc, TransportError) and not exc.not_sent
            if begin == 0 and not uncertain:
                raise
            landed = [i for i, s in enumerate(statuses) if s.ok] if multistatus else list(range(begin))
            chunk_range = range(begin, begin + len(chunk))
            pending = [i for i, s in enumerate(statuses) if not s.ok]
            raise PartialWriteError(
                landed, [*pending, *range(begin, len(items))], list(chunk_range) if uncertain else [], exc
            ) from exc
        if multistatus:
            if response.status_code == 207:
                chunk_statuses = parse_multistatus(response.body)
                if len(chunk_statuses) != len(chunk):
                    # Misaligned statuses would pin every later point's fate on the wrong index.
                    raise ResponseError(
                        f"the server's 207 lists {len(chunk_statuses)} statuses for {len(chunk)} points"
                    )
                # A 207 listing only successes refused nothing: no error for it.
                refused = refused or any(not s.ok for s in chunk_statuses)
            else:
                chunk_statuses = [_OK] * len(chunk)
            statuses.extend(chunk_statuses)
    if refused:
        raise MultiStatusError(statuses)


def write_points(session: Session, by: str, value: str, data: Iterable[DataPoint]) -> Operation[None]:
    points = check_points(data)
    path = series_path(by, value, "data")
    yield from _chunked(
        session, points, lambda chunk: session.request("POST", path, body=chunk), repeatable=True, multistatus=False
    )


def increment_points(session: Session, by: str, value: str, data: Iterable[DataPoint]) -> Operation[None]:
    points = check_points(data)
    path = series_path(by, value, "increment")
    yield from _chunked(
        session, points, lambda chunk: session.request("POST", path, body=chunk), repeatable=False, multistatus=False
    )


def _bulk(session: Session, path: str, ts: Moment, data: Items, repeatable: bool) -> Operation[None]:
    items = check_bulk(data)
    yield from _chunked(
        session, items, lambda chunk: session.request("POST", path, body=bulk_body(ts, chunk)),
        repeatable=repeatable, multistatus=False,
    )


def write_bulk(session: Session, ts: Moment, data: Items) -> Operation[None]:
    yield from _bulk(session, "/data/", ts, data, repeatable=True)


def increment_bulk(session: Session, ts: Moment, data: Items) -> Operation[None]:
    yield from _bulk(session, "/increment/", ts, data, repeatable=False)


def _multi(session: Session, path: str, data: Items, repeatable: bool) -> Operation[None]:
    items = check_multi(data)
    yield from _chunked(
        session, items, lambda chunk: session.request("POST", path, body=chunk),
        repeatable=repeatable, multistatus=True,
    )


def write_multi(session: Session, data: Items) -> Operation[None]:
    yield from _multi(session, "/multi/", data, repeatable=True)


def increment_multi(session: Session, data: Items) -> Operation[None]:
    yield from _multi(session, "/multi/increment/", data, repeatable=False)
