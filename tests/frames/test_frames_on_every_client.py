"""``write_frame`` and ``read_frame`` through the sync, asyncio and trio clients over a real socket:
a wide read equals the per-series reads, a windowed read equals the one-shot read, and series the
write creates get their tags and attributes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest

import tempodb

pytestmark = pytest.mark.anyio

T0 = datetime(2012, 3, 9, tzinfo=timezone.utc)
END = T0 + timedelta(days=4)


def sensors() -> pd.DataFrame:
    """Three sensors on different clocks (every 7, 11 and 13 minutes), one with gaps, one of counts."""
    index = pd.date_range(T0, END, freq="min", inclusive="left")
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "temp": np.where(np.arange(len(index)) % 7 == 0, rng.normal(20, 3, len(index)), np.nan),
            "humidity": np.where(np.arange(len(index)) % 11 == 0, rng.uniform(0, 100, len(index)), np.nan),
            "door": pd.array(np.where(np.arange(len(index)) % 13 == 0, rng.integers(0, 9, len(index)), 0)),
        },
        index=index,
    )
    frame["door"] = frame["door"].where(np.arange(len(index)) % 13 == 0).astype("Int64")
    return frame


async def test_a_wide_read_equals_the_per_series_reads(client: Any) -> None:
    frame = sensors()
    written = await client.write_frame(frame)
    assert written == int(frame.notna().sum().sum())
    for function in (None, "mean", "max"):
        interval = "raw" if function is None else "1hour"
        wide = await client.read_frame(T0, END, interval, function, tz="America/New_York")
        assert sorted(wide.columns) == ["door", "humidity", "temp"]
        assert str(wide.index.tz) == "America/New_York"
        for key in wide.columns:
            one = (await client.read_key_columns(key, T0, END, interval, function, tz="America/New_York")).to_pandas()
            column = wide[key].dropna()
            assert column.index.equals(one.index)
            assert column.astype("float64").tolist() == one.tolist()
        long = await client.read_frame(T0, END, interval, function, tz="America/New_York", shape="long")
        pivoted = long.pivot(index="ts", columns="key", values="value").rename_axis(index=None, columns=None)
        pd.testing.assert_frame_equal(pivoted[sorted(wide.columns)], wide[sorted(wide.columns)].astype("float64"),
                                      check_freq=False)  # fmt: skip


async def test_a_windowed_read_equals_the_one_shot_read(client: Any) -> None:
    await client.write_frame(sensors())
    for interval, function in (("raw", None), ("1hour", "sum"), ("1day", "count")):
        whole = await client.read_frame(T0, END, interval, function, tz="Europe/Paris")
        for window in (timedelta(hours=5), 500):
            windowed = await client.read_frame(T0, END, interval, function, tz="Europe/Paris", window=window)
            pd.testing.assert_frame_equal(windowed[whole.columns], whole, check_freq=False)


async def test_integer_columns_come_back_as_integers(client: Any) -> None:
    index = pd.date_range(T0, periods=50, freq="h")
    frame = pd.DataFrame({"count": np.arange(50, dtype=np.int64) * 3, "level": np.linspace(0, 1, 50)}, index=index)
    await client.write_frame(frame)
    back = await client.read_frame(T0, END, "raw")
    assert back["count"].dtype == np.int64 and back["level"].dtype == np.float64
    pd.testing.assert_frame_equal(back[["count", "level"]], frame.set_axis(index.as_unit("ms")), check_freq=False)


async def test_series_the_write_creates_get_tags_and_attributes(client: Any) -> None:
    existing = await client.create_series("site1.temp")
    index = pd.date_range(T0, periods=3, freq="h")
    frame = pd.DataFrame({"temp": [1.0, 2.0, 3.0], "rain": [0.0, 0.5, 0.0], "wind": [4, 5, 6]}, index=index)
    written = await client.write_frame(
        frame,
        keys={"temp": "site1.temp", "rain": "site1.rain"},
        ids={"wind": (await client.create_series("site1.wind")).id},
        tags={"temp": ["weather"], "rain": ["weather", "rain"]},
        attributes={"site": "1"},
    )
    assert written == 9
    found = {s.key: s for s in await client.get_series()}
    assert found["site1.temp"] == existing  # it existed: left as it was
    assert found["site1.rain"].tags == ["rain", "weather"] and found["site1.rain"].attributes == {"site": "1"}
    assert found["site1.wind"].tags == []
    wind = await client.read_key("site1.wind", T0, END, "raw")
    assert [p.value for p in wind.data] == [4, 5, 6]


async def test_a_filter_reads_only_its_series_and_an_empty_read_is_an_empty_frame(client: Any) -> None:
    index = pd.date_range(T0, periods=3, freq="h")
    await client.write_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]}, index=index),
                             tags={"a": ["x"], "b": ["y"]})  # fmt: skip
    assert list((await client.read_frame(T0, END, "raw", tags=["x"])).columns) == ["a"]
    empty = await client.read_frame(T0, END, "raw", tags=["nothing"], tz="Asia/Tokyo")
    assert empty.empty and str(empty.index.tz) == "Asia/Tokyo"
    assert (await client.read_frame(T0, END, "raw", tags=["nothing"], shape="long")).empty


async def test_dropna_false_refuses_before_anything_is_sent(client: Any) -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan]}, index=pd.date_range(T0, periods=2, freq="h"))
    with pytest.raises(tempodb.InvalidInputError, match="dropna=True"):
        await client.write_frame(frame, dropna=False, tags=["x"])
    assert await client.get_series() == []
