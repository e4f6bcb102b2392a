"""pandas DataFrames in and out, many series at a time: what ``client.write_frame`` and
``client.read_frame`` do, with no I/O of their own (both clients run the same plan and operations).

A frame has a column per series on a ``DatetimeIndex``.  Reading decodes every series' points
straight into numpy columns (``tempodb.columnar``), with no Python object per point, and builds a
*wide* frame (a column per series, outer-joined on time) or a *long* one (``key, ts, value`` rows).
Writing walks the frame in blocks of rows, so only a block is ever turned into Python objects,
and hands the points to the batching writer.

NaN means "missing", as in pandas: missing values are not written (``dropna=True``), or refused
before anything is sent (``dropna=False``).  Integer columns are written as integers and come back
as int64 when the column has a value on every row of the frame read (else float64 with NaN, as
pandas itself does when it aligns an integer column).

Needs numpy and pandas: ``pip install 'tempodb-revived[columnar]'``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import msgspec

from tempodb._core import ops
from tempodb._core.effects import Operation
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import Series
from tempodb._core.protocol import build_read
from tempodb._core.query import Filter
from tempodb._core.session import Session, call
from tempodb._core.stream import WindowPlan
from tempodb._wire.endpoints import find
from tempodb._wire.intervals import parse_function, parse_interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC, Moment, epoch_ms, from_epoch_ms, get_zone, to_datetime
from tempodb.columnar import (
    Columns,
    need_numpy,
    need_pandas,
    pandas_zone,
    parse_columns_list,
    utc_index,
    value_arrays,
)

__all__ = ["FrameWrite", "Shape", "read_frame_columns", "to_frame"]

Shape = Literal["wide", "long"]
#: Rows turned into Python objects at a time when writing: bounds the memory a frame of any size costs.
ROWS_PER_BLOCK = 4096
# Integers a float64 holds exactly: an integral column within this range goes back to int64 losslessly.
_EXACT_INT = 2**53


# --- reading -------------------------------------------------------------------------------------


def read_frame_columns(
    session: Session, start: Moment, end: Moment, selection: Filter,
    interval: ops.IntervalArg = None, function: ops.FunctionArg = None, tz: str | None = None,
    window: timedelta | int | None = None,
) -> Operation[list[Columns]]:  # fmt: skip
    """The columns of every series matching ``selection``: in one read, or with ``window`` read window
    by window (as ``client.stream`` plans them: raw points unless ``interval``) and joined, so the
    memory is the result's 16 bytes a point plus one window's response."""
    if window is None:
        request = build_read(session, start, end, selection, interval, function, tz)
        response = yield from call(session, request, repeatable=find("read").repeatable)
        return parse_columns_list(response.body, tz)
    every = parse_interval(interval)
    if parse_function(function) is not None and every is None:
        raise InvalidInputError("a rollup function needs an interval (a windowed read is raw without one)")
    begin, finish = to_datetime(start, "start"), to_datetime(end, "end")
    if finish < begin:
        raise InvalidInputError(f"end ({finish.isoformat()}) is before start ({begin.isoformat()})")
    zone = get_zone(tz) if tz else UTC
    plan = WindowPlan(epoch_ms(begin), epoch_ms(finish), window, every, zone)
    parts: dict[str, list[Columns]] = {}  # by series id, in the order first seen
    while (span := plan.next()) is not None:
        low, high = from_epoch_ms(span[0], zone), from_epoch_ms(span[1], zone)
        request = build_read(session, low, high, selection, every if every is not None else "raw", function, tz)
        response = yield from call(session, request, repeatable=find("read").repeatable)
        found = parse_columns_list(response.body, tz)
        for columns in found:
            parts.setdefault(columns.series.id, []).append(columns)
        plan.observe(span, max((len(c) for c in found), default=0))
    return [_joined(pieces) for pieces in parts.values()]


def _joined(pieces: list[Columns]) -> Columns:
    """One series' windows as one ``Columns`` (windows are contiguous and in order)."""
    np = need_numpy()
    first = pieces[0]
    if len(pieces) == 1:
        return first
    ts = np.concatenate([p.ts for p in pieces])
    values = np.concatenate([p.values for p in pieces])
    return Columns(first.series, ts, values, first.tz, first.rollup, all(p.integral for p in pieces))


def to_frame(columns: list[Columns], shape: Shape = "wide", tz: str | None = None) -> Any:
    """A DataFrame of many series' columns: ``wide`` (a column per series key, its rows the union of
    the timestamps, NaN where a series has no point) or ``long`` (columns ``key``, ``ts``, ``value``,
    series after series).  Timestamps are aware, in ``tz`` (else the zone the data was read in)."""
    if shape not in ("wide", "long"):
        raise InvalidInputError(f"shape must be 'wide' or 'long', not {shape!r}")
    zone = tz or (columns[0].tz if columns else "UTC")
    if shape == "long":
        return _long(columns, zone)
    return _wide(columns, zone)


def _index(ts: Any, zone: str) -> Any:
    """Epoch milliseconds as an aware ``DatetimeIndex`` in ``zone``."""
    pd = need_pandas()
    index = pd.DatetimeIndex(ts.view("datetime64[ms]")).tz_localize("UTC")
    return index if zone in ("UTC", "") else index.tz_convert(pandas_zone(zone))


def _name(series: Series) -> str:
    return series.key or series.id


def _kind(values: Any, integral: bool) -> Any:
    """float64 values as int64 when the server sent them all as integers that a float holds exactly
    (the kind that was written), else as they are."""
    np = need_numpy()
    if integral and (len(values) == 0 or float(np.abs(values).max()) < _EXACT_INT):
        return values.astype(np.int64)
    return values


def _wide(columns: list[Columns], zone: str) -> Any:
    np, pd = need_numpy(), need_pandas()
    if not columns:
        return pd.DataFrame(index=_index(np.empty(0, np.int64), zone))
    ts = np.unique(np.concatenate([c.ts for c in columns]))  # sorted union of every series' timestamps
    data: dict[str, Any] = {}
    for one in columns:
        if len(one) == len(ts):  # a point on every row (its times are unique, so they are all of them)
            data[_name(one.series)] = _kind(one.values, one.integral)
            continue
        full = np.full(len(ts), np.nan)  # missing rows make the column float, as in pandas' own joins
        full[np.searchsorted(ts, one.ts)] = one.values
        data[_name(one.series)] = full
    return pd.DataFrame(data, index=_index(ts, zone), copy=False)


def _long(columns: list[Columns], zone: str) -> Any:
    np, pd = need_numpy(), need_pandas()
    keys = np.repeat(np.array([_name(c.series) for c in columns], dtype=object), [len(c) for c in columns])
    ts = np.concatenate([c.ts for c in columns]) if columns else np.empty(0, np.int64)
    values = np.concatenate([c.values for c in columns]) if columns else np.empty(0)
    value = _kind(values, all(c.integral for c in columns))
    return pd.DataFrame({"key": keys, "ts": _index(ts, zone), "value": value})


# --- writing -------------------------------------------------------------------------------------


class FrameWrite:
    """A frame checked and ready to be written: what ``client.write_frame`` runs.

    Every column is checked here (values numeric, missing ones refused unless ``dropna``, the index
    a ``DatetimeIndex`` readable in ``tz``), so a bad frame raises before anything is sent.
    ``keys``/``ids`` map column names to series keys or ids (a column not named there is written to
    the series keyed by its name); ``tags`` and ``attributes`` are given to the series the write
    creates, either one value for all or a mapping from column name to each one's.
    """

    def __init__(
        self,
        frame: Any,
        keys: Mapping[Hashable, str] | None = None,
        ids: Mapping[Hashable, str] | None = None,
        tags: Iterable[str] | Mapping[Hashable, Iterable[str]] | None = None,
        attributes: Mapping[str, str] | Mapping[Hashable, Mapping[str, str]] | None = None,
        tz: str | None = None,
        dropna: bool = True,
    ) -> None:
        pd = need_pandas()
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError(f"write_frame takes a pandas DataFrame (or Series), not {type(frame).__name__}")
        np = need_numpy()
        self._stamps = utc_index(frame.index, tz)
        self.names: list[Hashable] = list(frame.columns)
        self.targets: list[SeriesRef] = []
        self._values: list[Any] = []
        self._missing: list[Any] = []
        for name in frame.columns:
            self.targets.append(_target(name, keys or {}, ids or {}))
            values, missing = value_arrays(frame[name])
            missing = missing | np.isnat(self._stamps)
            if not dropna and missing.any():
                at = int(np.flatnonzero(missing)[0])
                raise InvalidInputError(
                    f"column {name!r}, row {at} ({frame.index[at]}): the value is missing (NaN or NaT); "
                    "leave such points out with dropna=True (the default) or fill them first (fillna)"
                )
            self._values.append(values)
            self._missing.append(missing)
        self._tags = tags
        self._attributes = attributes
        self.count = int(sum(len(m) - int(np.count_nonzero(m)) for m in self._missing))

    def settings(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        """``{key: (tags, attributes)}`` for every series by key that has tags or attributes to get."""
        wanted: dict[str, tuple[list[str], dict[str, str]]] = {}
        if not self._tags and not self._attributes:
            return wanted
        for index, target in enumerate(self.targets):
            if target.by != "key":
                continue  # a series given by id exists already
            name = self.names[index]
            tags, attributes = _for_column(self._tags, name), _for_column(self._attributes, name)
            if tags or attributes:
                wanted[target.value] = (sorted(set(tags or ())), dict(attributes or {}))
        return wanted

    def points(self) -> Iterator[tuple[datetime, int | float, str | None, str | None]]:
        """``(ts, value, key, id)`` for every value to write, a block of rows at a time."""
        for low in range(0, len(self._stamps), ROWS_PER_BLOCK):
            high = low + ROWS_PER_BLOCK
            stamps: list[Any] = [t and t.replace(tzinfo=timezone.utc) for t in self._stamps[low:high].tolist()]
            for target, values, missing in zip(self.targets, self._values, self._missing, strict=True):
                key, series_id = (target.value, None) if target.by == "key" else (None, target.value)
                for ts, value, skip in zip(stamps, values[low:high].tolist(), missing[low:high].tolist(), strict=True):
                    if not skip:
                        yield ts, value, key, series_id


def _target(name: Hashable, keys: Mapping[Hashable, str], ids: Mapping[Hashable, str]) -> SeriesRef:
    if name in ids:
        return SeriesRef.of_id(ids[name])
    key = keys.get(name, name)
    if not isinstance(key, str):
        raise InvalidInputError(f"column {name!r} needs a series key: name the column, or map it with keys= or ids=")
    try:
        return SeriesRef.of_key(key)
    except InvalidInputError as exc:
        raise InvalidInputError(f"column {name!r}: {exc}; map it to a valid key with keys=") from None


def _for_column(value: Any, name: Hashable) -> Any:
    """``value`` itself when it is for every column, else this column's entry of the mapping (a
    mapping whose values are all collections is per column: attribute values are strings)."""
    if isinstance(value, Mapping) and value and all(isinstance(v, (Mapping, list, tuple, set)) for v in value.values()):
        return value.get(name)
    return value


def create_series(session: Session, wanted: Mapping[str, tuple[list[str], dict[str, str]]]) -> Operation[list[Series]]:
    """Create the series of ``wanted`` that do not exist yet, with their tags and attributes (series
    that exist are left as they are); returns the series created."""
    if not wanted:
        return []
    existing = yield from ops.get_series(session, Filter(keys=list(wanted)))
    made = []
    for key in sorted(set(wanted) - {s.key for s in existing}):
        tags, attributes = wanted[key]
        series = yield from ops.create_series(session, key)
        series = yield from ops.update_series(
            session, msgspec.structs.replace(series, tags=tags, attributes=attributes)
        )
        made.append(series)
    return made
