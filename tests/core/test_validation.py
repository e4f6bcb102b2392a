"""Bad input raises InvalidInputError (a ValueError) before the operation yields a single effect."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from core_driver import drive, make, ok

from tempodb._core import ops
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, Series
from tempodb._core.query import Filter
from tempodb._core.retry import RetryPolicy
from tempodb._core.session import Session, make_session
from tempodb._wire.intervals import Interval, Unit
from tempodb._wire.keys import SeriesRef

T0 = datetime(2012, 1, 1)
T1 = datetime(2012, 1, 2)
S = make(chunk_size=1)  # one point per request: a bad later point must still stop the first request


def refused(op: Any, match: str | None = None) -> InvalidInputError:
    """The operation raises InvalidInputError on its first step, before yielding anything."""
    with pytest.raises(InvalidInputError, match=match) as info:
        effect = next(op)
        pytest.fail(f"an effect was yielded before the input was refused: {effect!r}")
    assert isinstance(info.value, ValueError)
    return info.value


def test_invalid_input_error_is_a_value_error() -> None:
    assert issubclass(InvalidInputError, ValueError)


BAD_VALUES = [math.nan, math.inf, -math.inf, True, False, "1", None, b"1", [1], {"v": 1}, Decimal("NaN")]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
@pytest.mark.parametrize(
    "make_op",
    [
        lambda pts: ops.write_points(S, SeriesRef("key", "k"), pts),
        lambda pts: ops.write_points(S, SeriesRef("id", "abc"), pts),
        lambda pts: ops.increment_points(S, SeriesRef("key", "k"), pts),
    ],
    ids=["write_key", "write_id", "increment_key"],
)
def test_bad_point_values(make_op: Callable[[list[DataPoint]], Any], value: object) -> None:
    points = [DataPoint(T0, 1), DataPoint(T0 + timedelta(minutes=1), 2), DataPoint(T1, value)]  # type: ignore[arg-type]
    refused(make_op(points), "point 2")


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_multi_and_bulk_values(value: object) -> None:
    good = {"t": T0, "key": "k", "v": 1}
    refused(ops.write_multi(S, [good, {"t": T0, "key": "k", "v": value}]), "item 1")
    refused(ops.increment_multi(S, [good, {"t": T0, "key": "k", "v": value}]), "item 1")
    refused(ops.write_bulk(S, T0, [{"key": "k", "v": 1}, {"id": "a", "v": value}]), "item 1")
    refused(ops.increment_bulk(S, T0, [{"key": "k", "v": 1}, {"id": "a", "v": value}]), "item 1")


class Level(enum.IntEnum):
    HIGH = 3


def test_numeric_types_that_are_real_numbers_are_accepted(session: Session) -> None:
    points = [DataPoint(T0, Fraction(1, 2)), DataPoint(T1, Level.HIGH)]  # type: ignore[arg-type]
    run = drive(ops.write_points(session, SeriesRef("key", "k"), points), [ok()])
    assert run.requests[0].body == b'[{"t":"2012-01-01T00:00:00Z","v":0.5},{"t":"2012-01-02T00:00:00Z","v":3}]'


@pytest.mark.parametrize("ts", ["2012-01-01T00:00:00Z", 1325376000, None], ids=repr)
def test_bad_point_timestamps(ts: object) -> None:
    refused(ops.write_points(S, SeriesRef("key", "k"), [DataPoint(ts, 1)]), "timestamp")  # type: ignore[arg-type]


def test_points_must_be_datapoints() -> None:
    refused(ops.write_points(S, SeriesRef("key", "k"), [(T0, 1)]), "DataPoint")  # type: ignore[list-item]
    refused(ops.write_points(S, SeriesRef("key", "k"), [{"t": T0, "v": 1}]), "DataPoint")  # type: ignore[list-item]


def test_multi_item_shape() -> None:
    refused(ops.write_multi(S, [{"key": "k", "v": 1}]), "'t'")
    refused(ops.write_multi(S, [{"t": None, "key": "k", "v": 1}]), "'t'")
    refused(ops.increment_multi(S, [{"t": T0, "key": "k", "v": 1}, {"key": "k", "v": 1}]), "item 1")
    refused(ops.write_multi(S, [{"t": T0, "v": 1}]), "'id' or 'key'")
    refused(ops.write_multi(S, [{"t": T0, "key": "k"}]), "'v'")
    refused(ops.write_multi(S, ["not a dict"]), "item 0")  # type: ignore[list-item]
    refused(ops.write_multi(S, [{"t": "2012-01-01", "key": "k", "v": 1}]), "item 0")
    refused(ops.write_bulk(S, T0, [{"v": 1}]), "'id' or 'key'")
    refused(ops.write_bulk(S, T0, [{"key": "", "v": 1}]), "empty")
    refused(ops.write_bulk(S, T0, [{"id": "", "v": 1}]), "series id")


@pytest.mark.parametrize("ts", ["2012-01-01", None, 0], ids=repr)
def test_bulk_timestamp(ts: object) -> None:
    refused(ops.write_bulk(S, ts, [{"key": "k", "v": 1}]), "ts")  # type: ignore[arg-type]
    refused(ops.increment_bulk(S, ts, [{"key": "k", "v": 1}]), "ts")  # type: ignore[arg-type]


def test_end_before_start() -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), T1, T0), "before start")
    refused(ops.read(S, T1, T0, Filter()), "before start")
    refused(ops.delete_range(S, SeriesRef("key", "k"), T1, T0), "before start")
    refused(ops.summary_one(S, SeriesRef("key", "k"), T1, T0), "before start")


def test_bounds_must_be_datetimes() -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), "2012-01-01", T1), "start")  # type: ignore[arg-type]
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, None), "end")  # type: ignore[arg-type]
    refused(ops.delete_range(S, SeriesRef("key", "k"), 0, T1), "start")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "interval", ["1fortnight", "0min", "-1hour", "hour", "5", "1.5hour", "P1Y2M", "P", "PT", "PT0M", "raw data", "x"]
)
def test_unknown_interval(interval: str) -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, interval=interval), "interval")
    refused(ops.read(S, T0, T1, Filter(), interval=interval), "interval")


def test_interval_of_other_types() -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, interval=5), "interval")  # type: ignore[arg-type]
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, interval=timedelta(seconds=1.5)), "interval")
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, interval=timedelta(0)), "interval")
    with pytest.raises(InvalidInputError):
        Interval(0, Unit.HOUR)
    with pytest.raises(InvalidInputError):
        Interval(True, Unit.HOUR)  # type: ignore[arg-type]


@pytest.mark.parametrize("function", ["median", "average", "sum2", 3])
def test_unknown_function(function: Any) -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, function=function), "function")


@pytest.mark.parametrize("tz", ["Mars/Olympus", "America/Chicag", "+05:00", "../etc/passwd"])
def test_unknown_time_zone(tz: str) -> None:
    refused(ops.read_one(S, SeriesRef("key", "k"), T0, T1, tz=tz), "time zone")
    refused(ops.read(S, T0, T1, Filter(), tz=tz), "time zone")
    refused(ops.single_value_one(S, SeriesRef("key", "k"), tz=tz), "time zone")
    refused(ops.summary_one(S, SeriesRef("key", "k"), T0, T1, tz=tz), "time zone")


@pytest.mark.parametrize("direction", ["exactly", "EXACT", "", "prev", None])
def test_bad_direction(direction: Any) -> None:
    refused(ops.single_value_one(S, SeriesRef("key", "k"), T0, direction), "direction")
    refused(ops.single_value(S, Filter(), T0, direction), "direction")


def test_single_value_timestamp_must_be_a_datetime() -> None:
    refused(ops.single_value_one(S, SeriesRef("key", "k"), "2012-01-01"), "ts")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", None, 42, b"key"], ids=repr)
def test_bad_key(key: Any) -> None:
    refused(ops.read_one(S, SeriesRef("key", key), T0, T1), "key")
    refused(ops.write_points(S, SeriesRef("key", key), [DataPoint(T0, 1)]), "key")
    refused(ops.increment_points(S, SeriesRef("key", key), [DataPoint(T0, 1)]), "key")
    refused(ops.delete_range(S, SeriesRef("key", key), T0, T1), "key")
    refused(ops.single_value_one(S, SeriesRef("key", key)), "key")
    refused(ops.write_multi(S, [{"t": T0, "key": key, "v": 1}] if key is not None else [{"t": T0, "v": 1}]))
    if key is not None:
        refused(ops.create_series(S, key), "key")


@pytest.mark.parametrize("key", ["a\x00b", "line\nbreak", "tab\there", "del\x7f", "\x1b[31m", "cr\r"], ids=repr)
def test_control_characters_in_keys(key: str) -> None:
    refused(ops.create_series(S, key), "control character")
    refused(ops.write_points(S, SeriesRef("key", key), [DataPoint(T0, 1)]), "control character")
    refused(ops.read_one(S, SeriesRef("key", key), T0, T1), "control character")
    refused(ops.write_multi(S, [{"t": T0, "key": key, "v": 1}]), "control character")
    refused(ops.write_bulk(S, T0, [{"key": key, "v": 1}]), "control character")


@pytest.mark.parametrize("series_id", ["", None, 7], ids=repr)
def test_bad_id(series_id: Any) -> None:
    refused(ops.read_one(S, SeriesRef("id", series_id), T0, T1), "series id")
    refused(ops.write_points(S, SeriesRef("id", series_id), [DataPoint(T0, 1)]), "series id")
    refused(ops.get_series_one(S, SeriesRef("id", series_id)), "series id")


def test_series_must_be_addressed_by_id_or_key() -> None:
    refused(ops.read_one(S, SeriesRef("name", "k"), T0, T1), "'id' or 'key'")  # type: ignore[arg-type]
    refused(ops.write_points(S, SeriesRef("ID", "k"), [DataPoint(T0, 1)]), "'id' or 'key'")  # type: ignore[arg-type]
    refused(ops.get_series_one(S, SeriesRef("", "k")), "'id' or 'key'")  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["ids", "keys", "tags"])
def test_bare_string_filter_is_refused(field: str) -> None:
    with pytest.raises(InvalidInputError, match="not the string"):
        Filter(**{field: "abc"})
    with pytest.raises(InvalidInputError, match="strings"):
        Filter(**{field: ["a", 1]})


def test_attribute_values_must_be_strings() -> None:
    with pytest.raises(InvalidInputError, match="attributes"):
        Filter(attributes={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="attributes"):
        Filter(attributes={1: "a"})  # type: ignore[dict-item]


def test_update_series_checks_its_argument() -> None:
    refused(ops.update_series(S, {"id": "a", "key": "k"}), "Series")  # type: ignore[arg-type]
    refused(ops.update_series(S, Series("a", "k", tags="temp")), "not the string")  # type: ignore[arg-type]
    refused(ops.update_series(S, Series("a", "k", attributes={"a": 1})), "attributes")  # type: ignore[dict-item]
    refused(ops.update_series(S, Series("", "k")), "series id")


@pytest.mark.parametrize("chunk_size", [0, -1, True, 1.5, "10"], ids=repr)
def test_session_settings(chunk_size: Any) -> None:
    with pytest.raises(InvalidInputError, match="chunk_size"):
        make(chunk_size=chunk_size)


def test_retry_setting_and_credentials() -> None:
    with pytest.raises(InvalidInputError, match="retry"):
        make_session("k", "s", "http://x", retry="yes", chunk_size=1, gzip_threshold=None, clock=lambda: 0.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="strings"):
        make_session("k", None, "http://x", retry=RetryPolicy(), chunk_size=1, gzip_threshold=None, clock=lambda: 0.0)  # type: ignore[arg-type]


def test_dates_are_accepted_where_datetimes_are(session: Session) -> None:
    run = drive(ops.delete_range(session, SeriesRef("key", "k"), date(2012, 1, 1), date(2012, 1, 1)), [ok()])
    assert len(run.requests) == 1 and run.error is None
