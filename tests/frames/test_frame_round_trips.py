"""Random frames written with ``write_frame`` read back equal with ``read_frame``, on the embedded
server: float and integer columns, missing values, naive indexes read in a zone (DST included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tempodb
from tempodb._wire.timestamps import epoch_ms

ZONES = [None, "UTC", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
LOW, HIGH = epoch_ms(datetime(1950, 1, 1)), epoch_ms(datetime(2090, 1, 1))
START, END = datetime(1949, 1, 1), datetime(2091, 1, 1)
# Near a DST change in Los Angeles and London, so wall-clock times skipped or repeated are drawn often.
DST_EDGE = epoch_ms(datetime(2021, 3, 14, 9))

floats = st.floats(min_value=-1e150, max_value=1e150, allow_nan=False, allow_infinity=False, width=64)
integers = st.integers(-(2**53) + 1, 2**53 - 1)


@pytest.fixture
def local() -> Iterator[tempodb.Client]:
    with tempodb.Client.local() as client:
        yield client


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, str | None]:
    """A frame of 1-4 columns (floats with NaN, or integers) on unique millisecond timestamps, and
    the zone to read it in: its index is aware in that zone, or naive wall-clock times of it (None:
    an aware UTC index)."""
    near_dst = draw(st.booleans())
    lo, hi = (DST_EDGE - 86_400_000, DST_EDGE + 86_400_000) if near_dst else (LOW, HIGH)
    stamps = sorted(draw(st.sets(st.integers(lo, hi), max_size=25)))
    rows = len(stamps)
    data: dict[str, object] = {}
    for column in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            data[f"i{column}"] = np.array(draw(st.lists(integers, min_size=rows, max_size=rows)), dtype=np.int64)
        else:
            values = draw(st.lists(st.one_of(floats, st.just(float("nan"))), min_size=rows, max_size=rows))
            data[f"f{column}"] = np.array(values, dtype=np.float64)
    index = pd.DatetimeIndex(np.array(stamps, dtype="datetime64[ms]"))
    zone = draw(st.sampled_from(ZONES))
    if zone is None:
        index = index.tz_localize("UTC")
    elif draw(st.booleans()):
        index = index.tz_localize("UTC").tz_convert(zone)
    else:
        # the drawn instants shown as wall-clock times of the zone, the zone then forgotten
        index = index.tz_localize("UTC").tz_convert(zone).tz_localize(None)
        try:  # times a DST change repeats cannot be read back from a naive index: drawn again
            index.tz_localize(zone, ambiguous="raise", nonexistent="raise")
        except ValueError:
            assume(False)
    return pd.DataFrame(data, index=index), zone


def expected(frame: pd.DataFrame, zone: str | None) -> pd.DataFrame:
    """What a wide read in ``zone`` gives back: the columns with a value, rows with at least one,
    the index aware in the zone, integers as int64 (complete on every row) and floats as float64."""
    index = frame.index if frame.index.tz is not None else frame.index.tz_localize(zone)
    shown = frame.set_axis(index.tz_convert(zone or "UTC").as_unit("ms")).dropna(axis=1, how="all").dropna(how="all")
    return shown.sort_index()


@pytest.mark.parametrize("examples", [20, pytest.param(300, marks=pytest.mark.slow)], ids=["quick", "thorough"])
def test_a_written_frame_reads_back_equal(examples: int) -> None:
    settings(max_examples=examples, deadline=None)(given(drawn=frames())(round_trip))()


def round_trip(drawn: tuple[pd.DataFrame, str | None]) -> None:
    frame, zone = drawn
    with tempodb.Client.local() as local:
        written = local.write_frame(frame, tz=None if frame.index.tz is not None else zone)
        want = expected(frame, zone)
        assert written == int(want.notna().sum().sum())
        got = local.read_frame(START, END, interval="raw", tz=zone)
        if want.empty:
            assert got.empty
            return
        pd.testing.assert_frame_equal(got[sorted(got.columns)], want[sorted(want.columns)], check_freq=False)
        long = local.read_frame(START, END, interval="raw", tz=zone, shape="long")
        assert len(long) == written and set(long["key"]) == set(want.columns)


def test_points_from_pandas_drops_missing_values_or_refuses_them() -> None:
    index = pd.date_range("2012-01-01", periods=4, freq="D")
    series = pd.Series([1.0, np.nan, 3.0, np.nan], index=index)
    assert [p.value for p in tempodb.columnar.points_from_pandas(series)] == [1.0, 3.0]
    with pytest.raises(tempodb.InvalidInputError, match=r"point 1 .* missing .*dropna=True"):
        tempodb.columnar.points_from_pandas(series, dropna=False)
    nullable = pd.Series([1, None, 3, 4], index=index, dtype="Int64")
    points = tempodb.columnar.points_from_pandas(nullable)
    assert [p.value for p in points] == [1, 3, 4] and all(type(p.value) is int for p in points)
    ints = tempodb.columnar.points_from_numpy(index.to_numpy(), np.arange(4))
    assert [type(p.value) for p in ints] == [int] * 4


def test_a_naive_index_in_a_zone_names_the_wall_clock_time_a_dst_change_skips(local: tempodb.Client) -> None:
    frame = pd.DataFrame({"x": [1.0]}, index=pd.DatetimeIndex([datetime(2021, 3, 14, 2, 30)]))
    with pytest.raises(tempodb.InvalidInputError, match="cannot be read in America/Los_Angeles"):
        local.write_frame(frame, tz="America/Los_Angeles")
    assert local.get_series() == []


def test_dropna_false_refuses_a_missing_value_before_anything_is_written(local: tempodb.Client) -> None:
    index = pd.date_range("2012-01-01", periods=3, freq="h")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.nan, 2.0]}, index=index)
    with pytest.raises(tempodb.InvalidInputError, match=r"column 'b', row 1 .* missing"):
        local.write_frame(frame, dropna=False)
    assert local.get_series() == []
    assert local.write_frame(frame) == 5


def test_a_frame_needs_a_datetime_index_and_numbers(local: tempodb.Client) -> None:
    with pytest.raises(tempodb.InvalidInputError, match="DatetimeIndex"):
        local.write_frame(pd.DataFrame({"a": [1.0]}))
    index = pd.date_range("2012-01-01", periods=1)
    with pytest.raises(tempodb.InvalidInputError, match="values must be numbers"):
        local.write_frame(pd.DataFrame({"a": ["x"]}, index=index))
    with pytest.raises(tempodb.InvalidInputError, match="write_frame takes a pandas DataFrame"):
        local.write_frame([1, 2])
    with pytest.raises(tempodb.InvalidInputError, match="shape must be 'wide' or 'long'"):
        local.read_frame(START, END, shape="tall")  # type: ignore[arg-type]


def test_large_frames_are_written_in_blocks_through_the_writer(local: tempodb.Client) -> None:
    index = pd.date_range("2012-01-01", periods=10_000, freq="min", tz="UTC")
    frame = pd.DataFrame({f"s{i}": np.arange(10_000) * (i + 1) for i in range(3)}, index=index)
    assert local.write_frame(frame, batch_size=2_000) == 30_000
    back = local.read_frame(index[0], index[-1] + timedelta(minutes=1), interval="raw", window=3_000)
    pd.testing.assert_frame_equal(back, frame.set_axis(index.as_unit("ms")), check_freq=False)


def test_many_series_bodies_of_another_shape_fall_back_to_the_model_parser() -> None:
    span = b'"start":"2012-01-01T00:00:00+0000","end":"2012-01-02T00:00:00+0000"'
    odd = (b'[{"series":{"id":"i1","key":"a"},' + span + b',"data":[{"t":"2012-01-01T01:00:00+0000","v":1}]},'
           b'{"series":{"id":"i2","key":"b"},' + span + b',"data":[{"t":"2012-01-01T02:00:00.5+0000","v":2.5},'
           b'{"t":"2012-01-01T03:00:00+0000","v":3}]}]')  # fmt: skip
    a, b = tempodb.columnar.parse_columns_list(odd)
    assert (a.series.key, a.ts.tolist(), a.values.tolist(), a.integral) == ("a", [1325379600000], [1.0], True)
    assert (b.ts.tolist(), b.values.tolist(), b.integral) == ([1325383200500, 1325386800000], [2.5, 3.0], False)
    frame = tempodb.frames.to_frame([a, b])
    assert frame["a"].isna().tolist() == [False, True, True] and frame["b"].tolist()[1:] == [2.5, 3.0]
    assert tempodb.columnar.parse_columns_list(b"[]") == []
