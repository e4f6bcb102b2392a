"""Every TempoDB call as an operation: a generator that yields ``Send``/``Sleep`` and returns a model.

Retrying, splitting large writes into chunks and turning a 207 into per-point errors are written
here once; the sync and async clients only drive these generators.  Whether a call may be resent,
and which parser reads its answer, come from its entry in the endpoint table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from tempodb._core.effects import Operation
from tempodb._core.errors import MultiStatusError, PartialWriteError, TempoDBError, TransportError
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
    Items,
    MultiItem,
    build,
    build_create_series,
    build_delete_one_series,
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
    parse_answer,
    parse_multistatus,
)
from tempodb._core.query import Filter
from tempodb._core.session import Session, call
from tempodb._wire.endpoints import Answer, Endpoint, find
from tempodb._wire.http import Request
from tempodb._wire.intervals import Function, Interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import Moment

IntervalArg = str | timedelta | Interval | None
FunctionArg = str | Function | None

_OK = PointStatus(200)


def _perform(session: Session, name: str, request: Request) -> Operation[Any]:
    """Send the request of the endpoint ``name``, resent as its table entry allows; its parsed answer."""
    endpoint = find(name)
    response = yield from call(session, request, repeatable=endpoint.repeatable)
    return parse_answer(endpoint.answer, response)


# --- series ------------------------------------------------------------------------------------


def create_series(session: Session, key: str | None = None) -> Operation[Series]:
    # Not resent: a retried create whose first try landed would answer 409 for our own series.
    return (yield from _perform(session, "create_series", build_create_series(session, key)))  # type: ignore[no-any-return]


def get_series(session: Session, selection: Filter) -> Operation[list[Series]]:
    return (yield from _perform(session, "list_series", build_get_series(session, selection)))  # type: ignore[no-any-return]


def get_series_one(session: Session, series: SeriesRef) -> Operation[Series]:
    return (yield from _perform(session, "get_series", build_get_series_one(session, series)))  # type: ignore[no-any-return]


def update_series(session: Session, series: Series) -> Operation[Series]:
    return (yield from _perform(session, "update_series", build_update_series(session, series)))  # type: ignore[no-any-return]


def delete_series(session: Session, selection: Filter, allow_truncation: bool = False) -> Operation[DeleteSummary]:
    request = build_delete_series(session, selection, allow_truncation)
    return (yield from _perform(session, "delete_series", request))  # type: ignore[no-any-return]


def delete_one_series(session: Session, series: SeriesRef) -> Operation[DeleteSummary]:
    request = build_delete_one_series(session, series)
    return (yield from _perform(session, "delete_one_series", request))  # type: ignore[no-any-return]


# --- reads -------------------------------------------------------------------------------------


def read_one(
    session: Session, series: SeriesRef, start: Moment, end: Moment,
    interval: IntervalArg = None, function: FunctionArg = None, tz: str | None = None,
) -> Operation[DataSet]:
    request = build_read_one(session, series, start, end, interval, function, tz)
    return (yield from _perform(session, "read_one", request))  # type: ignore[no-any-return]


def read(
    session: Session, start: Moment, end: Moment, selection: Filter,
    interval: IntervalArg = None, function: FunctionArg = None, tz: str | None = None,
) -> Operation[list[DataSet]]:
    request = build_read(session, start, end, selection, interval, function, tz)
    return (yield from _perform(session, "read", request))  # type: ignore[no-any-return]


def summary_one(
    session: Session, series: SeriesRef, start: Moment, end: Moment, tz: str | None = None
) -> Operation[SeriesSummary]:
    return (yield from _perform(session, "summary_one", build_summary(session, series, start, end, tz)))  # type: ignore[no-any-return]


def single_value_one(
    session: Session, series: SeriesRef, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Operation[SingleValue]:
    request = build_single_value_one(session, series, ts, direction, tz)
    return (yield from _perform(session, "single_one", request))  # type: ignore[no-any-return]


def single_value(
    session: Session, selection: Filter, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
) -> Operation[list[SingleValue]]:
    request = build_single_value(session, selection, ts, direction, tz)
    return (yield from _perform(session, "single", request))  # type: ignore[no-any-return]


def delete_range(session: Session, series: SeriesRef, start: Moment, end: Moment) -> Operation[None]:
    yield from _perform(session, "delete_range", build_delete_range(session, series, start, end))


# --- writes and increments ---------------------------------------------------------------------


def _chunked(
    session: Session,
    items: Sequence[Any],
    endpoint: Endpoint,
    make: Callable[[Sequence[Any]], Request],
) -> Operation[None]:
    """Send ``items`` in requests of at most ``session.chunk_size``; account for every index.

    A failure after some chunks were acknowledged (or with a chunk of unknown fate) raises
    ``PartialWriteError`` naming exactly which indices landed; a failure before anything could
    have landed raises the original error.  207 statuses are gathered across chunks.
    """
    size = session.chunk_size
    repeatable = endpoint.repeatable
    multistatus = endpoint.answer is Answer.MULTISTATUS
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
                    # Misaligned statuses would pin every later point's fate on the wrong index:
                    # stop here, and hand over every status as sent rather than guess.
                    raise MultiStatusError(statuses, unmatched=chunk_statuses, unmatched_points=len(chunk))
                # A 207 listing only successes refused nothing: no error for it.
                refused = refused or any(not s.ok for s in chunk_statuses)
            else:
                chunk_statuses = [_OK] * len(chunk)
            statuses.extend(chunk_statuses)
    if refused:
        raise MultiStatusError(statuses)


def _points(
    session: Session, name: str, series: SeriesRef, data: Iterable[DataPoint], merge_same_millisecond: bool = True
) -> Operation[None]:
    endpoint = find(name)
    points = check_points(data, merge_same_millisecond=merge_same_millisecond)
    yield from _chunked(session, points, endpoint, lambda chunk: build(session, endpoint, series, body=chunk))


def write_points(
    session: Session, series: SeriesRef, data: Iterable[DataPoint], merge_same_millisecond: bool = False
) -> Operation[None]:
    """Write points; distinct times in one millisecond (the API's resolution) are refused unless
    ``merge_same_millisecond`` (then the last of each millisecond is kept).  Increments add up
    either way, so they are not checked."""
    yield from _points(session, "write_one", series, data, merge_same_millisecond)


def increment_points(session: Session, series: SeriesRef, data: Iterable[DataPoint]) -> Operation[None]:
    yield from _points(session, "increment_one", series, data)


def _bulk(session: Session, name: str, ts: Moment, data: Items) -> Operation[None]:
    endpoint = find(name)
    items = check_bulk(data)
    yield from _chunked(
        session, items, endpoint, lambda chunk: build(session, endpoint, body=bulk_body(ts, chunk))
    )


def write_bulk(session: Session, ts: Moment, data: Items) -> Operation[None]:
    yield from _bulk(session, "write_bulk", ts, data)


def increment_bulk(session: Session, ts: Moment, data: Items) -> Operation[None]:
    yield from _bulk(session, "increment_bulk", ts, data)


def _multi(session: Session, name: str, data: Items, merge_same_millisecond: bool = True) -> Operation[None]:
    yield from multi_checked(session, name, check_multi(data, merge_same_millisecond=merge_same_millisecond))


def multi_checked(session: Session, name: str, items: Sequence[MultiItem]) -> Operation[None]:
    """``write_multi`` or ``increment_multi`` (``name``) of items ``check_multi`` (or the batching
    writer, point by point) has already checked: checking each point once is half a writer's cost."""
    endpoint = find(name)
    yield from _chunked(session, items, endpoint, lambda chunk: build(session, endpoint, body=chunk))


def write_multi(session: Session, data: Items, merge_same_millisecond: bool = False) -> Operation[None]:
    yield from _multi(session, "write_multi", data, merge_same_millisecond)


def increment_multi(session: Session, data: Items) -> Operation[None]:
    yield from _multi(session, "increment_multi", data)
