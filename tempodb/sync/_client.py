# Generated from tempodb/aio/_client.py by `python tools/async_to_sync.py`: do not edit by hand.
# Change the async module (or the tool's wording tables) and run the tool again; CI runs it with --check.
"""The client for scripts: drives the core's operations on a blocking transport (httpx by default)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol, TypeVar

from tempodb._client_base import BaseClient
from tempodb._core import ops
from tempodb._core.effects import Operation, Send
from tempodb._core.errors import DeadlineExceededError, TransportError
from tempodb._core.models import DataPoint, DataSet, DeleteSummary, Series, SeriesSummary, SingleValue
from tempodb._core.protocol import Items
from tempodb._core.query import Filter
from tempodb._core.stream import DEFAULT_WINDOW, Stream, points, series_points
from tempodb._core.writer import DEFAULT_GIVE_UP_AFTER, DEFAULT_MAX_BYTES, DEFAULT_MAX_POINTS, OnFull, WriterCore
from tempodb._wire.http import Request, Response
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import Moment
from tempodb.columnar import Columns, read_columns
from tempodb.frames import FrameWrite, Shape, create_series, read_frame_columns, to_frame
from tempodb.sync._concurrency import Deadline
from tempodb.sync._stream import PointStream
from tempodb.sync._writer import Writer, close_writers
from tempodb.transports._httpx import HTTPXTransport

__all__ = ["Client", "SyncTransport"]

T = TypeVar("T")


class SyncTransport(Protocol):
    def send(self, request: Request) -> Response: ...


def run(transport: SyncTransport, op: Operation[T], deadline: float | None = None) -> T:
    """Drive one operation to its result on a blocking transport, within ``deadline`` seconds
    (retries and waits included) or raise ``DeadlineExceededError``."""
    limit = Deadline(deadline)
    try:
        with limit.within():
            effect = next(op)
            while True:
                if isinstance(effect, Send):
                    try:
                        response = limit.send(transport, effect.request)
                    except DeadlineExceededError:
                        raise
                    except TransportError as exc:
                        effect = op.throw(exc)
                        continue
                    effect = op.send(response)
                else:
                    limit.sleep(effect.seconds)
                    effect = op.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        op.close()


class Client(BaseClient[SyncTransport]):
    """A TempoDB client: ``Client(key, secret)`` talks to api.tempo-db.com; give ``host``, ``port``
    and ``secure=False`` for your own server, or use ``Client.local(path)`` for the embedded one.

    Every call raises a ``tempodb.TempoDBError`` subclass on failure.  Use as a context manager,
    or call ``close()``.
    """

    _default_transport = HTTPXTransport

    @classmethod
    def local(cls, path: str = ":memory:", key: str = "local", secret: str = "local", **options: Any) -> Client:
        """A client on the embedded TempoDB server: a SQLite file at ``path`` (or in memory), or a
        ``postgresql://`` URL (with ``tempodb-revived[postgres]``), in this process, with no socket of its own."""
        from tempodb.server.local import LocalTransport

        options.setdefault("gzip_threshold", None)  # in process, compressing a body only costs time
        return cls(key, secret, "localhost", 80, False, transport=LocalTransport.open(path), **options)

    def close(self) -> None:
        try:
            close_writers(self._writers)
        finally:
            close = getattr(self._transport, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, op: Operation[T]) -> T:
        return run(self._transport, op, self._session.deadline)

    # series metadata

    def create_series(self, key: str | None = None) -> Series:
        return self._run(ops.create_series(self._session, key))

    def get_series(
        self,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> list[Series]:
        return self._run(ops.get_series(self._session, Filter(ids, keys, tags, attributes)))

    def get_series_by_id(self, series_id: str) -> Series:
        return self._run(ops.get_series_one(self._session, SeriesRef("id", series_id)))

    def get_series_by_key(self, series_key: str) -> Series:
        return self._run(ops.get_series_one(self._session, SeriesRef("key", series_key)))

    def delete_series_by_id(self, series_id: str) -> DeleteSummary:
        """Delete one series and all its points (``DeleteSummary(deleted=1)``)."""
        return self._run(ops.delete_one_series(self._session, SeriesRef("id", series_id)))

    def delete_series_by_key(self, series_key: str) -> DeleteSummary:
        """Delete one series and all its points (``DeleteSummary(deleted=1)``)."""
        return self._run(ops.delete_one_series(self._session, SeriesRef("key", series_key)))

    def update_series(self, series: Series) -> Series:
        return self._run(ops.update_series(self._session, series))

    def delete_series(
        self,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        allow_truncation: bool = False,
    ) -> DeleteSummary:
        selection = Filter(ids, keys, tags, attributes)
        return self._run(ops.delete_series(self._session, selection, allow_truncation))

    # reads

    def read(
        self,
        start: Moment,
        end: Moment,
        interval: ops.IntervalArg = None,
        function: ops.FunctionArg = None,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        tz: str | None = None,
    ) -> list[DataSet]:
        selection = Filter(ids, keys, tags, attributes)
        return self._run(ops.read(self._session, start, end, selection, interval, function, tz))

    def read_id(
        self, series_id: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
    ) -> DataSet:
        return self._run(ops.read_one(self._session, SeriesRef("id", series_id), start, end, interval, function, tz))

    def read_key(
        self, series_key: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
    ) -> DataSet:
        return self._run(ops.read_one(self._session, SeriesRef("key", series_key), start, end, interval, function, tz))

    def summary_id(self, series_id: str, start: Moment, end: Moment, tz: str | None = None) -> SeriesSummary:
        return self._run(ops.summary_one(self._session, SeriesRef("id", series_id), start, end, tz))

    def summary_key(self, series_key: str, start: Moment, end: Moment, tz: str | None = None) -> SeriesSummary:
        return self._run(ops.summary_one(self._session, SeriesRef("key", series_key), start, end, tz))

    def single_value_id(
        self, series_id: str, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
    ) -> SingleValue:
        return self._run(ops.single_value_one(self._session, SeriesRef("id", series_id), ts, direction, tz))

    def single_value_key(
        self, series_key: str, ts: Moment | None = None, direction: str = "exact", tz: str | None = None
    ) -> SingleValue:
        return self._run(ops.single_value_one(self._session, SeriesRef("key", series_key), ts, direction, tz))

    def single_value(
        self,
        ts: Moment | None = None,
        direction: str = "exact",
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        tz: str | None = None,
    ) -> list[SingleValue]:
        selection = Filter(ids, keys, tags, attributes)
        return self._run(ops.single_value(self._session, selection, ts, direction, tz))

    # writes, increments, deletes

    def write_id(self, series_id: str, data: Iterable[DataPoint], *, merge_same_millisecond: bool = False) -> None:
        return self._run(ops.write_points(self._session, SeriesRef("id", series_id), data, merge_same_millisecond))

    def write_key(self, series_key: str, data: Iterable[DataPoint], *, merge_same_millisecond: bool = False) -> None:
        return self._run(ops.write_points(self._session, SeriesRef("key", series_key), data, merge_same_millisecond))

    def write_bulk(self, ts: Moment, data: Items) -> None:
        return self._run(ops.write_bulk(self._session, ts, data))

    def write_multi(self, data: Items, *, merge_same_millisecond: bool = False) -> None:
        return self._run(ops.write_multi(self._session, data, merge_same_millisecond))

    def increment_id(self, series_id: str, data: Iterable[DataPoint]) -> None:
        return self._run(ops.increment_points(self._session, SeriesRef("id", series_id), data))

    def increment_key(self, series_key: str, data: Iterable[DataPoint]) -> None:
        return self._run(ops.increment_points(self._session, SeriesRef("key", series_key), data))

    def increment_bulk(self, ts: Moment, data: Items) -> None:
        return self._run(ops.increment_bulk(self._session, ts, data))

    def increment_multi(self, data: Items) -> None:
        return self._run(ops.increment_multi(self._session, data))

    def delete_id(self, series_id: str, start: Moment, end: Moment) -> None:
        return self._run(ops.delete_range(self._session, SeriesRef("id", series_id), start, end))

    def delete_key(self, series_key: str, start: Moment, end: Moment) -> None:
        return self._run(ops.delete_range(self._session, SeriesRef("key", series_key), start, end))

    # big data: batching writer, streaming reads, columnar reads

    def writer(
        self,
        max_points: int = DEFAULT_MAX_POINTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        flush_interval: float | None = None,
        on_full: OnFull = "block",
        max_buffer: int | None = None,
        give_up_after: float | None = DEFAULT_GIVE_UP_AFTER,
    ) -> Writer:
        """A batching writer for points of many series; closing the client closes it (see ``Writer``).

        ``give_up_after``: once flushes have done nothing but fail for this many seconds, the writer
        sends no more and closing it raises ``UndeliveredError`` at once (None: keep trying)."""
        core = WriterCore(max_points, max_bytes, flush_interval, on_full, max_buffer, give_up_after)
        return Writer(self._run, self._session, self._writers, core)

    def stream_id(
        self, series_id: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
        window: timedelta | int = DEFAULT_WINDOW, prefetch: bool = False,
    ) -> PointStream[DataPoint]:
        """The points of ``[start, end)`` read window by window (raw unless ``interval``; see ``_core.stream``)."""
        stream = Stream(self._session, start, end, series=SeriesRef("id", series_id),
                        interval=interval, function=function, tz=tz, window=window)  # fmt: skip
        return PointStream(self._run, stream, points, prefetch)

    def stream_key(
        self, series_key: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
        window: timedelta | int = DEFAULT_WINDOW, prefetch: bool = False,
    ) -> PointStream[DataPoint]:
        """The points of ``[start, end)`` read window by window (raw unless ``interval``; see ``_core.stream``)."""
        stream = Stream(self._session, start, end, series=SeriesRef("key", series_key),
                        interval=interval, function=function, tz=tz, window=window)  # fmt: skip
        return PointStream(self._run, stream, points, prefetch)

    def stream(
        self,
        start: Moment,
        end: Moment,
        interval: ops.IntervalArg = None,
        function: ops.FunctionArg = None,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        tz: str | None = None,
        window: timedelta | int = DEFAULT_WINDOW,
        by_series: bool = False,
        prefetch: bool = False,
    ) -> PointStream[tuple[Series, DataPoint]]:
        """``(series, point)`` pairs of every matching series, window by window (or series by series)."""
        stream = Stream(self._session, start, end, selection=Filter(ids, keys, tags, attributes),
                        interval=interval, function=function, tz=tz, window=window, by_series=by_series)  # fmt: skip
        return PointStream(self._run, stream, series_points, prefetch)

    def read_id_columns(
        self, series_id: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
    ) -> Columns:
        """``read_id`` decoded straight into numpy columns (needs numpy; see ``tempodb.columnar``)."""
        return self._run(read_columns(self._session, SeriesRef("id", series_id), start, end, interval, function, tz))

    def read_key_columns(
        self, series_key: str, start: Moment, end: Moment,
        interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
    ) -> Columns:
        """``read_key`` decoded straight into numpy columns (needs numpy; see ``tempodb.columnar``)."""
        return self._run(read_columns(self._session, SeriesRef("key", series_key), start, end, interval, function, tz))

    # pandas frames: a column per series (see ``tempodb.frames``)

    def read_frame(
        self,
        start: Moment,
        end: Moment,
        interval: ops.IntervalArg = None,
        function: ops.FunctionArg = None,
        ids: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        tz: str | None = None,
        shape: Shape = "wide",
        window: timedelta | int | None = None,
    ) -> Any:
        """Every matching series as one pandas DataFrame: ``wide`` (a column per series key, rows the
        union of their timestamps, NaN where a series has no point) or ``long`` (``key, ts, value``).

        Points are decoded into numpy columns, never into a model per point.  With ``window`` (a span
        or a number of points, as for ``stream``) the range is read window by window, raw unless
        ``interval``, so memory is the frame plus one window's response.  Needs pandas.
        """
        selection = Filter(ids, keys, tags, attributes)
        op = read_frame_columns(self._session, start, end, selection, interval, function, tz, window)
        return to_frame(self._run(op), shape, tz)

    def write_frame(
        self,
        frame: Any,
        keys: Mapping[Hashable, str] | None = None,
        ids: Mapping[Hashable, str] | None = None,
        tags: Iterable[str] | Mapping[Hashable, Iterable[str]] | None = None,
        attributes: Mapping[str, str] | Mapping[Hashable, Mapping[str, str]] | None = None,
        tz: str | None = None,
        dropna: bool = True,
        batch_size: int = DEFAULT_MAX_POINTS,
    ) -> int:
        """Write a DataFrame on a DatetimeIndex, a column per series, and return the points written.

        A column goes to the series keyed by its name, or as mapped by ``keys`` (to keys) or ``ids``
        (to ids).  Series the write creates get ``tags`` and ``attributes`` (one value for all, or a
        mapping from column name).  A naive index is read in ``tz`` (UTC by default).  NaN is
        "missing": not written with ``dropna=True`` (the default), refused before anything is sent
        with ``dropna=False``.  Integer columns are written as integers.  Points go through a
        batching writer of ``batch_size`` points, a block of rows at a time: memory stays bounded.
        """
        plan = FrameWrite(frame, keys, ids, tags, attributes, tz, dropna)
        self._run(create_series(self._session, plan.settings()))
        with self.writer(max_points=batch_size) as writer:
            for ts, value, key, series_id in plan.points():
                writer.write(ts, value, key=key, id=series_id)
        return plan.count
