"""Issue 11 hardening on the client: the calendar's ends, hostile zones and intervals are refused
before sending (InvalidInputError), and a ``null`` statistic from a server reads as NaN."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from core_driver import make

from tempodb._core import ops
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, Summary
from tempodb._core.protocol import parse_dataset, parse_datasets, parse_single_value, parse_summary
from tempodb._core.query import Filter
from tempodb._wire.intervals import Interval, parse_interval
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import MAX_MS, MIN_MS, epoch_ms, get_zone, parse_timestamp

S = make()
K = SeriesRef("key", "k")
T0, T1 = datetime(2012, 1, 1), datetime(2012, 1, 2)
LATE = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))  # year 10000 in UTC
EARLY = datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14)))  # year 0 in UTC


def refused(op: Any, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        effect = next(op)
        pytest.fail(f"an effect was yielded before the input was refused: {effect!r}")


# -- finding 7 -----------------------------------------------------------------------------------


def test_calendar_ends_match_the_datetime_range() -> None:
    assert epoch_ms(datetime.min.replace(tzinfo=timezone.utc)) == MIN_MS
    assert epoch_ms(datetime.max.replace(tzinfo=timezone.utc)) == MAX_MS


@pytest.mark.parametrize("text", ["9999-12-31T23:00:00-14:00", "0001-01-01T01:00:00+14:00", "9999-12-31T23:59:59.999-00:01"])
def test_parser_refuses_instants_outside_the_calendar(text: str) -> None:
    with pytest.raises(InvalidInputError, match="outside years 1-9999"):
        parse_timestamp(text)


def test_parser_keeps_the_calendar_ends() -> None:
    assert epoch_ms(parse_timestamp("0001-01-01T00:00:00Z")) == MIN_MS
    assert epoch_ms(parse_timestamp("9999-12-31T23:59:59.999Z")) == MAX_MS
    assert epoch_ms(parse_timestamp("9999-12-31T23:59:59.999+14:00")) == MAX_MS - 14 * 3_600_000


@pytest.mark.parametrize("ts", [LATE, EARLY])
def test_client_refuses_out_of_calendar_times_before_sending(ts: datetime) -> None:
    refused(ops.write_points(S, K, [DataPoint(T0, 1), DataPoint(ts, 2)]), "point 1: .*outside years 1-9999")
    refused(ops.increment_points(S, K, [DataPoint(ts, 2)]), "outside years 1-9999")
    refused(ops.write_multi(S, [{"t": ts, "key": "k", "v": 1}]), "outside years 1-9999")
    refused(ops.write_bulk(S, ts, [{"key": "k", "v": 1}]), "outside years 1-9999")
    refused(ops.read_one(S, K, ts, ts), "outside years 1-9999")
    refused(ops.single_value_one(S, K, ts, "before"), "outside years 1-9999")


def test_client_sends_the_calendar_ends() -> None:
    first, last = datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)
    for op in (
        ops.write_points(S, K, [DataPoint(first, 1), DataPoint(last, 2), DataPoint(date(9999, 12, 31), 3)]),
        ops.read_one(S, K, first, last, tz="Pacific/Kiritimati"),
        ops.single_value_one(S, K, last, "before"),
    ):
        assert next(op) is not None


# -- finding 11 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["America", "A" * 300, "Europe/", "../etc/passwd", "x\x00y"])
def test_bad_zones_are_invalid_input(tz: str) -> None:
    with pytest.raises(InvalidInputError, match="unknown time zone") as info:
        get_zone(tz)
    assert len(str(info.value)) < 200
    refused(ops.read_one(S, K, T0, T1, tz=tz), "unknown time zone")
    refused(ops.summary_one(S, K, T0, T1, tz=tz), "unknown time zone")
    refused(ops.single_value(S, Filter(), T0, "before", tz=tz), "unknown time zone")


@pytest.mark.parametrize("text", ["9" * 5000 + "min", "P" + "9" * 5000 + "D", "9" * 19 + "sec", "10001year", "120001months"])
def test_huge_intervals_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInputError, match="interval") as info:
        parse_interval(text)
    assert len(str(info.value)) < 300
    refused(ops.read_one(S, K, T0, T1, interval=text), "interval")
    refused(ops.read(S, T0, T1, Filter(), interval=text), "interval")


def test_interval_caps() -> None:
    assert Interval.parse("10000year") == Interval.years(10_000)
    assert Interval.parse("120000month") == Interval.months(120_000)
    with pytest.raises(InvalidInputError, match="longer than the calendar"):
        Interval.from_timedelta(timedelta(days=10_000 * 366 + 1))
    with pytest.raises(InvalidInputError, match="longer than the calendar"):
        Interval.years(10_001)


# -- finding 9 -----------------------------------------------------------------------------------

SERIES = {"id": "abc", "key": "k", "name": "", "tags": [], "attributes": {}}
NULL_SUMMARY = {"sum": None, "mean": 1.7e308, "max": 1.7e308, "min": 1.7e308, "stddev": 0.0, "ss": None, "count": 2}


def _body(**extra: Any) -> bytes:
    base = {"series": SERIES, "start": "2012-01-01T00:00:00.000Z", "end": "2012-01-02T00:00:00.000Z"}
    return json.dumps({**base, **extra}).encode()


def test_null_rollup_values_read_as_nan() -> None:
    body = _body(data=[{"t": "2012-01-01T00:00:00.000Z", "v": None}, {"t": "2012-01-01T01:00:00.000Z", "v": 2}],
                 summary=NULL_SUMMARY, rollup={"interval": "PT1H", "function": "sum", "tz": "UTC"})
    for parsed in (parse_dataset(body), parse_datasets(b"[" + body + b"]")[0]):
        assert math.isnan(parsed.data[0].value) and parsed.data[1].value == 2
        assert parsed.summary is not None
        assert math.isnan(parsed.summary.sum) and math.isnan(parsed.summary.ss)  # type: ignore[arg-type]
        assert parsed.summary.mean == 1.7e308 and parsed.summary.count == 2


def test_null_summary_fields_read_as_nan_and_absent_ones_as_none() -> None:
    parsed = parse_summary(_body(summary={"sum": None, "count": 2, "future": 1}, tz="UTC")).summary
    assert math.isnan(parsed.sum) and parsed.count == 2  # type: ignore[arg-type]
    assert parsed.mean is None and parsed.extra == {"future": 1}
    assert Summary.from_wire({"mean": None}).mean != Summary.from_wire({"mean": None}).mean  # NaN


def test_null_single_value_reads_as_nan() -> None:
    body = json.dumps({"series": SERIES, "data": {"t": "2012-01-01T00:00:00.000Z", "v": None}, "tz": "UTC"}).encode()
    value = parse_single_value(body)
    assert value.data is not None and math.isnan(value.data.value)


def test_a_normal_read_still_takes_the_typed_path() -> None:
    body = _body(data=[{"t": "2012-01-01T00:00:00.000Z", "v": 1.5}], summary={"count": 1, "sum": 1.5})
    parsed = parse_dataset(body)
    assert parsed.data == [DataPoint(datetime(2012, 1, 1, tzinfo=timezone.utc), 1.5)]
    assert get_zone("UTC") is timezone.utc
