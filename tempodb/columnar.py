"""Points as columns for numpy and pandas: reads decoded straight from the response body into an
int64 array of epoch milliseconds and a float64 array of values, with no Python object per point.

numpy (and pandas for ``to_pandas``) are optional: ``pip install tempodb-revived[columnar]``.  They are
imported inside the functions that need them; ``tempodb`` itself never imports them.

The fast decoder reads the server's fixed-width timestamps (``YYYY-MM-DDTHH:MM:SS.mmm`` then ``Z``
or ``±HH:MM``) with vectorised integer arithmetic; any other shape (another server's output)
falls back to the model parser, so the result is the same either way, only slower.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timezone
from typing import Any, NamedTuple

import msgspec

from tempodb._core.effects import Operation
from tempodb._core.errors import InvalidInputError, ResponseError
from tempodb._core.models import DataPoint, DataSet, Rollup, Series
from tempodb._core.protocol import build_read_one, parse_dataset, parse_datasets
from tempodb._core.session import Session, call
from tempodb._wire.endpoints import find
from tempodb._wire.intervals import Function, Interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import Moment, epoch_ms

__all__ = [
    "Columns",
    "columns_from_dataset",
    "parse_columns",
    "parse_columns_list",
    "points_from_numpy",
    "points_from_pandas",
    "read_columns",
    "to_numpy",
    "to_pandas",
]

_UTC = timezone.utc
# Points decoded per block: bounds the decoder's scratch arrays to a few MB whatever the body size.
_CHUNK_BYTES = 1 << 18  # ~5k points of the server's layout per slice


def need_numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("tempodb.columnar needs numpy: pip install 'tempodb-revived[columnar]'") from None
    return numpy


def need_pandas() -> Any:
    try:
        import pandas
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("this needs pandas: pip install 'tempodb-revived[columnar]'") from None
    return pandas


class Columns:
    """One series' points as columns: ``ts`` (int64 epoch ms, UTC) and ``values`` (float64).

    ``tz`` is the zone the data was read in (for ``to_pandas``'s index); ``rollup`` as the server said;
    ``integral`` is True when the server sent every value as an integer.
    """

    __slots__ = ("integral", "rollup", "series", "ts", "tz", "values")

    def __init__(
        self, series: Series, ts: Any, values: Any, tz: str = "UTC", rollup: Rollup | None = None,
        integral: bool = False,
    ) -> None:  # fmt: skip
        self.series = series
        self.ts = ts
        self.values = values
        self.tz = tz
        self.rollup = rollup
        # Every value was a JSON integer: frames give such a column back as int64 (the kind written).
        self.integral = integral

    def __len__(self) -> int:
        return len(self.ts)

    def __repr__(self) -> str:
        return f"Columns(series={self.series.key!r}, points={len(self)}, tz={self.tz!r})"

    @property
    def nbytes(self) -> int:
        return int(self.ts.nbytes + self.values.nbytes)

    def to_numpy(self) -> tuple[Any, Any]:
        """``(datetime64[ms] array, float64 array)``; the datetimes are UTC (numpy has no zones)."""
        return self.ts.view("datetime64[ms]"), self.values

    def to_pandas(self) -> Any:
        """A ``pandas.Series`` named by the series key, on a DatetimeIndex in ``tz``."""
        pd = need_pandas()
        index = pd.DatetimeIndex(self.ts.view("datetime64[ms]")).tz_localize("UTC")
        if self.tz not in ("UTC", ""):
            index = index.tz_convert(pandas_zone(self.tz))
        return pd.Series(self.values, index=index, name=self.series.key, copy=False)


def pandas_zone(name: str) -> str:
    from tempodb._wire.timestamps import get_zone

    zone = get_zone(name)  # legacy short names (EST, CST) -> their IANA regions
    return getattr(zone, "key", "UTC")


# --- reading -------------------------------------------------------------------------------------


class _Head(msgspec.Struct):
    """The data set without its points (msgspec skips ``data`` without building anything)."""

    series: Series
    rollup: Rollup | None = None


_HEAD = msgspec.json.Decoder(_Head)
_HEADS = msgspec.json.Decoder(list[_Head])


def read_columns(
    session: Session, series: SeriesRef, start: Moment, end: Moment,
    interval: str | Interval | Any = None, function: str | Function | None = None, tz: str | None = None,
) -> Operation[Columns]:  # fmt: skip
    """The operation behind ``client.read_key_columns`` / ``read_id_columns``."""
    request = build_read_one(session, series, start, end, interval, function, tz)
    response = yield from call(session, request, repeatable=find("read_one").repeatable)
    return parse_columns(response.body, tz)


def parse_columns(body: bytes, tz: str | None = None) -> Columns:
    """Decode a single-series read body (``GET /series/.../data/``) into ``Columns``."""
    try:
        head = _HEAD.decode(_without_points(body))
    except msgspec.DecodeError as exc:
        raise ResponseError(f"the server's data set response could not be read: {exc}") from None
    zone = tz or (head.rollup.tz if head.rollup is not None else "UTC")
    spans = _data_spans(body)
    scanned = _scan(body, *spans[0]) if len(spans) == 1 else None
    if scanned is None:
        return columns_from_dataset(parse_dataset(body), zone)
    ts, values, integral = scanned
    return Columns(head.series, ts, values, zone, head.rollup, integral)


def parse_columns_list(body: bytes, tz: str | None = None) -> list[Columns]:
    """Decode a many-series read body (``GET /data/``, a list of data sets) into one ``Columns`` each,
    every series' points decoded as a block, with no model object per point."""
    try:
        heads = _HEADS.decode(_without_points(body))
    except msgspec.DecodeError as exc:
        raise ResponseError(f"the server's data set list could not be read: {exc}") from None
    spans = _data_spans(body)
    found: list[Columns] = []
    for index, head in enumerate(heads):
        zone = tz or (head.rollup.tz if head.rollup is not None else "UTC")
        scanned = _scan(body, *spans[index]) if len(spans) == len(heads) else None
        if scanned is None:  # another server's layout: the model parser reads the whole list
            return [columns_from_dataset(one, tz or "UTC") for one in parse_datasets(body)]
        ts, values, integral = scanned
        found.append(Columns(head.series, ts, values, zone, head.rollup, integral))
    return found


def _data_spans(body: bytes) -> list[tuple[int, int]]:
    """``(first byte, closing bracket)`` of every ``"data":[...]`` array in the body.

    A JSON string cannot hold ``"data":[`` unescaped, and a point holds no ``]``, so both marks are
    structural; a body with anything else between them is left to the model parser by ``_scan``.
    """
    spans = []
    begin = body.find(b'"data":[')
    while begin >= 0:
        stop = body.find(b"]", begin + 8)
        if stop < 0:
            break
        spans.append((begin + 8, stop))
        begin = body.find(b'"data":[', stop)
    return spans


def _without_points(body: bytes) -> bytes:
    """The body with empty ``data`` arrays: the heads decode without walking millions of points."""
    parts, pos = [], 0
    for begin, stop in _data_spans(body):
        parts.append(body[pos:begin])
        pos = stop
    parts.append(body[pos:])
    return b"".join(parts)


def columns_from_dataset(dataset: DataSet, tz: str = "UTC") -> Columns:
    """Columns of a model ``DataSet`` (one Python loop: the slow path, for any input)."""
    np = need_numpy()
    data = dataset.data
    ts = np.fromiter((epoch_ms(p.ts) for p in data), dtype=np.int64, count=len(data))
    values = np.fromiter((float(p.value) for p in data), dtype=np.float64, count=len(data))
    zone = tz if tz != "UTC" or dataset.rollup is None else dataset.rollup.tz
    integral = all(isinstance(p.value, int) for p in data)
    return Columns(dataset.series, ts, values, zone, dataset.rollup, integral)


def _days_from_civil(np: Any, y: Any, m: Any, d: Any) -> Any:
    # Howard Hinnant's days_from_civil, vectorised: days since 1970-01-01 of a proleptic Gregorian date.
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22)
_SEPARATORS = {4: ord("-"), 7: ord("-"), 10: ord("T"), 13: ord(":"), 16: ord(":"), 19: ord(".")}
_TS_WIDTH = 30  # 23 characters, an offset of up to 6, the closing quote


def _scan(body: bytes, begin: int, stop: int) -> tuple[Any, Any, bool] | None:
    """``(ts, values, integral)`` of the points in ``body[begin:stop]`` (one ``data`` array's inside)
    in the server's exact layout, or None when they have another shape.

    The span is scanned in slices of ``_CHUNK_BYTES`` cut after a point's ``}``, so every scratch
    array is slice-sized and the peak beyond the body is about the 16 B/point of the result.
    """
    np = need_numpy()
    count = body.count(b"{", begin, stop)  # one brace per point, counted in C without scratch memory
    ts = np.empty(count, np.int64)
    values = np.empty(count, np.float64)
    done, pos, integral = 0, begin, True
    while pos < stop:
        end = stop if stop - pos <= _CHUNK_BYTES else body.rfind(b"}", pos, pos + _CHUNK_BYTES) + 1
        if end <= pos:
            return None
        seg = np.frombuffer(body, dtype=np.uint8, count=end - pos, offset=pos)  # a view, not a copy
        opens = np.flatnonzero(seg == ord("{"))
        closes = np.flatnonzero(seg == ord("}"))
        if len(opens) != len(closes) or (len(opens) and not (opens < closes).all()):
            return None
        n = len(opens)
        if done + n > count:
            return None
        block = _scan_block(np, seg, opens, closes, ts[done : done + n], values[done : done + n])
        if block is None:
            return None
        done, pos, integral = done + n, end, integral and block
    return (ts, values, integral) if done == count else None


_HEAD_MARK = b'{"t":"'
_VALUE_MARK = b',"v":'
# How far the shortest point's ``}`` is from its ``{``: the head, a 24-byte timestamp ending in ``Z``,
# its quote, ``,"v":`` and a one-digit number.
_MIN_CLOSE = len(_HEAD_MARK) + 24 + 1 + len(_VALUE_MARK) + 1  # 37


class _WallClock(NamedTuple):
    """The timestamps' local date and time fields, one array each (days since 1970-01-01)."""

    days: Any
    hour: Any
    minute: Any
    second: Any
    millis: Any


class _Offsets(NamedTuple):
    """The timestamps' zones: ``utc`` (ends in ``Z``), ``quote`` (index of the closing quote in the
    timestamp text: 24, 28 or 29) and ``minutes`` east of UTC (0 when every one is ``Z``)."""

    utc: Any
    quote: Any
    minutes: Any


def _scan_block(np: Any, seg: Any, opens: Any, closes: Any, ts_out: Any, values_out: Any) -> bool | None:
    """One block of points: ``seg[opens[i]:closes[i] + 1]`` is ``{"t":"<timestamp>","v":<number>}``.

    Fills ``ts_out`` and ``values_out`` and returns whether every value was an integer, or returns
    None as soon as a point is not of the server's layout (the outputs then hold garbage).
    """
    if len(opens) == 0:
        return True
    part, opens, closes = _block_bytes(seg, opens, closes)
    if not _points_open_with_a_timestamp(np, part, opens, closes):
        return None
    # ``closes - opens >= _MIN_CLOSE`` (37) keeps every 30-byte window inside its point.
    text = np.lib.stride_tricks.sliding_window_view(part, _TS_WIDTH)[opens + len(_HEAD_MARK)]
    clock = _wall_clock(np, text)
    if clock is None:
        return None
    offsets = _utc_offsets(np, text)
    if offsets is None:
        return None
    ts_out[:] = _epoch_ms(clock, offsets.minutes)
    value_at = opens + len(_HEAD_MARK) + offsets.quote + 1
    if not _values_follow(np, part, value_at, closes):
        return None
    return _decode_values(np, part, opens, closes, offsets.quote, values_out)


def _block_bytes(seg: Any, opens: Any, closes: Any) -> tuple[Any, Any, Any]:
    """The block's own bytes, first ``{`` to last ``}``, with the offsets made relative to it, so that
    every scratch array stays block-sized."""
    base = int(opens[0])
    return seg[base : int(closes[-1]) + 1], opens - base, closes - base


def _points_open_with_a_timestamp(np: Any, part: Any, opens: Any, closes: Any) -> bool:
    """Every point is long enough for the shortest layout and begins ``{"t":"``."""
    if not ((closes - opens) >= _MIN_CLOSE).all():
        return False
    heads = np.lib.stride_tricks.sliding_window_view(part, len(_HEAD_MARK))[opens]
    return bool((heads == np.frombuffer(_HEAD_MARK, np.uint8)).all())


def _wall_clock(np: Any, text: Any) -> _WallClock | None:
    """The ``YYYY-MM-DDTHH:MM:SS.mmm`` fields of every timestamp, or None if one is not of that shape
    (a wrong separator, a non-digit, a field out of range)."""
    for column, char in _SEPARATORS.items():
        if not (text[:, column] == char).all():
            return None
    digits = text[:, _DIGITS].astype(np.int32) - 48
    if ((digits < 0) | (digits > 9)).any():
        return None
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month, day = digits[:, 4] * 10 + digits[:, 5], digits[:, 6] * 10 + digits[:, 7]
    hour, minute = digits[:, 8] * 10 + digits[:, 9], digits[:, 10] * 10 + digits[:, 11]
    second = digits[:, 12] * 10 + digits[:, 13]
    millis = digits[:, 14] * 100 + digits[:, 15] * 10 + digits[:, 16]
    if ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (hour > 23) | (minute > 59) | (second > 59)).any():
        return None
    days = _days_from_civil(np, year.astype(np.int64), month, day)
    return _WallClock(days, hour, minute, second, millis)


def _utc_offsets(np: Any, text: Any) -> _Offsets | None:
    """Each timestamp's offset, ``Z"``, ``±HHMM"`` (what our server writes) or ``±HH:MM"`` (what it
    wrote before, and other servers), or None for anything else (more digits, no closing quote:
    another server's shape)."""
    mark = text[:, 23]
    utc = mark == ord("Z")
    if not (utc | (mark == ord("+")) | (mark == ord("-"))).all():
        return None
    extended = ~utc & (text[:, 26] == ord(":"))
    quote = np.where(utc, 24, np.where(extended, 29, 28))
    if not (text[np.arange(len(text)), quote] == ord('"')).all():
        return None
    if utc.all():
        return _Offsets(utc, quote, 0)
    # The four digits: columns 24, 25 and then 27, 28 (extended) or 26, 27 (basic).
    rows = np.arange(len(text))[:, None]
    columns = np.where(extended[:, None], np.array([24, 25, 27, 28]), np.array([24, 25, 26, 27]))
    off_digits = text[rows, columns].astype(np.int32) - 48
    good = ((off_digits >= 0) & (off_digits <= 9)).all(axis=1)
    if not (good | utc).all():
        return None
    minutes = (off_digits[:, 0] * 10 + off_digits[:, 1]) * 60 + off_digits[:, 2] * 10 + off_digits[:, 3]
    return _Offsets(utc, quote, np.where(utc, 0, np.where(mark == ord("-"), -minutes, minutes)))


def _epoch_ms(clock: _WallClock, offset_minutes: Any) -> Any:
    """Epoch milliseconds (UTC) of local wall-clock fields at the given offsets."""
    minutes = (clock.days * 24 + clock.hour) * 60 + clock.minute - offset_minutes
    return (minutes * 60 + clock.second) * 1000 + clock.millis


def _values_follow(np: Any, part: Any, value_at: Any, closes: Any) -> bool:
    """Every timestamp's closing quote is followed by ``,"v":`` and at least one byte before ``}``."""
    marks = np.lib.stride_tricks.sliding_window_view(part, len(_VALUE_MARK))[value_at]
    if not (marks == np.frombuffer(_VALUE_MARK, np.uint8)).all():
        return False
    return bool((closes > value_at + len(_VALUE_MARK)).all())


def _decode_values(np: Any, part: Any, opens: Any, closes: Any, quote: Any, values_out: Any) -> bool | None:
    """``values_out`` filled with the numbers after ``"v":``, and whether all were integers; None if
    they are not one JSON number per point.

    Every point's ``{"t":"...","v":`` prefix and ``}`` are blanked in a copy of the block, which leaves
    a JSON array of the numbers (the commas between points stay) that msgspec reads in C, far faster
    than numpy's string casts.
    """
    numbers = part.copy()
    # The prefix runs to the value: 36 bytes with ``Z``, 40 with ``±HHMM``, 41 with ``±HH:MM``.
    prefix = quote + (len(_HEAD_MARK) + 1 + len(_VALUE_MARK))
    for width in np.unique(prefix).tolist():
        np.lib.stride_tricks.sliding_window_view(numbers, width, writeable=True)[opens[prefix == width]] = ord(" ")
    numbers[closes] = ord(" ")
    numbers[-1] = ord("]")
    try:
        values_out[:] = _FLOATS.decode(b"[" + numbers.tobytes())  # ValueError: not one number per point
    except (msgspec.DecodeError, ValueError):
        return None
    # With the timestamps blanked, a fraction or an exponent is the only place these marks can be.
    return not bool(np.isin(numbers, _NOT_INTEGER).any())


_NOT_INTEGER = tuple(ord(c) for c in ".eE")


_FLOATS = msgspec.json.Decoder(list[float])


# --- conversions ---------------------------------------------------------------------------------


def _columns(source: DataSet | Columns) -> Columns:
    if isinstance(source, Columns):
        return source
    if isinstance(source, DataSet):
        return columns_from_dataset(source)
    raise InvalidInputError(f"expected a DataSet or Columns, not {type(source).__name__}")


def to_numpy(source: DataSet | Columns) -> tuple[Any, Any]:
    """``(datetime64[ms] array, float64 array)`` of one data set (UTC instants)."""
    return _columns(source).to_numpy()


def to_pandas(source: DataSet | Columns | Iterable[DataSet | Columns] | Iterable[tuple[Series, DataPoint]]) -> Any:
    """A ``pandas.Series`` for one data set; a ``DataFrame`` (a column per series key, union of the
    timestamps) for a list of data sets or columns, or for a ``client.stream(...)`` of pairs."""
    if isinstance(source, (DataSet, Columns)):
        return _columns(source).to_pandas()
    pd = need_pandas()
    parts: list[Columns] = []
    pairs: dict[str, tuple[Series, list[int], list[float]]] = {}
    for item in source:
        if isinstance(item, tuple):
            series, point = item
            entry = pairs.setdefault(series.key, (series, [], []))
            entry[1].append(epoch_ms(point.ts))
            entry[2].append(float(point.value))
        else:
            parts.append(_columns(item))
    if pairs:
        np = need_numpy()
        parts += [Columns(s, np.array(t, np.int64), np.array(v, np.float64)) for s, t, v in pairs.values()]
    if not parts:
        return pd.DataFrame()
    return pd.concat([c.to_pandas() for c in parts], axis=1)


# --- writing -------------------------------------------------------------------------------------


def points_from_numpy(ts: Any, values: Any, dropna: bool = True) -> list[DataPoint]:
    """``DataPoint``s for ``write_key``/``write_id`` from a datetime64 (or epoch-ms int) array and values.

    numpy datetimes carry no zone: they are taken as UTC.  Integer values stay integers.  NaN means
    "missing" (as in pandas): those points are left out, or with ``dropna=False`` refused with an
    ``InvalidInputError`` naming the first one.
    """
    stamps, numbers = _point_arrays(ts, values, dropna)
    # tolist() makes the datetimes and numbers in C; only tagging them UTC is a Python loop.
    return [DataPoint(t.replace(tzinfo=_UTC), v) for t, v in zip(stamps.tolist(), numbers.tolist(), strict=True)]


def _point_arrays(ts: Any, values: Any, dropna: bool) -> tuple[Any, Any]:
    """``(datetime64[us] array, int64 or float64 array)`` of the points to write, missing ones dropped."""
    np = need_numpy()
    stamps = np.asarray(ts)
    if stamps.dtype.kind == "M":
        stamps = stamps.astype("datetime64[us]")
    elif stamps.dtype.kind in "iu":
        stamps = stamps.astype(np.int64).view("datetime64[ms]").astype("datetime64[us]")
    else:
        raise InvalidInputError(f"timestamps must be datetime64 or epoch-ms integers, not {stamps.dtype}")
    numbers, missing = value_arrays(values)
    if stamps.shape != numbers.shape or stamps.ndim != 1:
        raise InvalidInputError(f"timestamps {stamps.shape} and values {numbers.shape} must be 1-d and as long")
    missing = missing | np.isnat(stamps)
    if missing.any():
        if not dropna:
            at = int(np.flatnonzero(missing)[0])
            raise InvalidInputError(
                f"point {at} ({stamps[at]}, {numbers[at]}) is missing (NaN or NaT): drop such points with "
                "dropna=True (the default) or fill them first (e.g. pandas' fillna)"
            )
        keep = ~missing
        stamps, numbers = stamps[keep], numbers[keep]
    return stamps, numbers


def value_arrays(values: Any) -> tuple[Any, Any]:
    """``(values, missing)``: the values of a numpy array, a sequence or a pandas column as int64
    (integers and booleans keep their kind, as the API does) or float64, and a boolean mask of the
    missing ones (NaN, or ``pd.NA`` in pandas' nullable columns, which keep their integer kind)."""
    np = need_numpy()
    dtype: Any = getattr(values, "dtype", None)
    if hasattr(dtype, "numpy_dtype"):  # pandas' masked (nullable) Int64/Float64/boolean
        missing = values.isna().to_numpy()
        array = _number_array(values.to_numpy(dtype=dtype.numpy_dtype, na_value=0))
    else:
        array = _number_array(getattr(values, "to_numpy", lambda: values)())
        missing = np.zeros(array.shape, dtype=bool)
    if array.dtype.kind == "f":
        missing = missing | np.isnan(array)
    return array, missing


def _number_array(values: Any) -> Any:
    np = need_numpy()
    array = np.asarray(values)
    if array.dtype.kind in "iub":
        if array.dtype.kind == "u" and array.size and int(array.max()) > np.iinfo(np.int64).max:
            raise InvalidInputError("values beyond the int64 range cannot be written")
        return array.astype(np.int64, copy=False)
    try:
        return array.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise InvalidInputError(f"values must be numbers, not {array.dtype}: convert the column first") from None


def points_from_pandas(series: Any, dropna: bool = True, tz: str | None = None) -> list[DataPoint]:
    """``DataPoint``s from a ``pandas.Series`` on a DatetimeIndex.

    A naive index is read in ``tz`` (default UTC).  NaN (and ``pd.NA``) mean "missing": those points
    are left out, or with ``dropna=False`` refused with an ``InvalidInputError``.
    """
    index = utc_index(series.index, tz)
    return points_from_numpy(index, series, dropna)


def utc_index(index: Any, tz: str | None = None) -> Any:
    """A pandas ``DatetimeIndex`` as a ``datetime64[us]`` array of UTC instants; a naive one is read in
    ``tz`` (UTC by default), refusing wall-clock times a DST change skips or repeats."""
    pd = need_pandas()
    if not isinstance(index, pd.DatetimeIndex):
        raise InvalidInputError(f"the data needs a DatetimeIndex, not {type(index).__name__}: set one (df.set_index)")
    if index.tz is None and tz not in (None, "UTC"):
        try:
            index = index.tz_localize(pandas_zone(tz or "UTC"), ambiguous="raise", nonexistent="raise")
        except (ValueError, TypeError) as exc:  # pytz/pandas' AmbiguousTimeError and NonExistentTimeError
            raise InvalidInputError(
                f"the naive index cannot be read in {tz}: {exc}; give an aware index (tz_localize with "
                "ambiguous=/nonexistent=) to say which instant is meant"
            ) from None
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy(dtype="datetime64[us]")
