"""Streaming reads equal the one-shot read: raw, rolled up across DST, many series; windows of
every kind, with and without prefetch; bucket alignment equal to the server's."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tempodb
from tempodb._core.stream import WindowPlan
from tempodb._wire.intervals import Interval, Unit, bucket_bounds

pytestmark = pytest.mark.anyio

START = datetime(2012, 3, 8, 13, 17, tzinfo=timezone.utc)  # DST begins in New York on 2012-03-11
END = datetime(2012, 3, 15, 5, 3, tzinfo=timezone.utc)


async def seed(client: Any, keys: list[str], count: int = 1500) -> None:
    rng = random.Random(3)
    span = int((END - START).total_seconds())
    items = [
        {"key": key, "t": START + timedelta(seconds=rng.randrange(-3600, span + 3600)), "v": rng.uniform(-100, 100)}
        for key in keys
        for _ in range(count)
    ]
    await client.write_multi(items)


async def collect(stream: Any) -> list[Any]:
    async with stream as items:
        return [item async for item in items]


@pytest.mark.parametrize("window", [timedelta(hours=5), timedelta(days=3), 97], ids=["5h", "3d", "97pts"])
@pytest.mark.parametrize("prefetch", [False, True], ids=["plain", "prefetch"])
async def test_raw_stream_equals_one_shot_read(client: Any, window: Any, prefetch: bool) -> None:
    await seed(client, ["raw"])
    whole = await client.read_key("raw", START, END, interval="raw")
    streamed = await collect(client.stream_key("raw", START, END, window=window, prefetch=prefetch))
    assert streamed == whole.data and len(streamed) > 1000
    series = await client.get_series_by_key("raw")
    assert await collect(client.stream_id(series.id, START, END, window=window)) == whole.data


@pytest.mark.parametrize(
    ("interval", "function", "window"),
    [
        ("1hour", "mean", timedelta(hours=7, minutes=30)),
        ("5min", "max", 50),
        ("1day", "count", timedelta(hours=1)),  # shorter than a bucket: still one bucket per window
        ("1day", "sum", 2),
        ("1week", "min", timedelta(days=1)),
    ],
)
async def test_rollup_stream_never_splits_a_bucket(client: Any, interval: str, function: str, window: Any) -> None:
    await seed(client, ["rolled"])
    for tz in (None, "America/New_York"):
        whole = await client.read_key("rolled", START, END, interval=interval, function=function, tz=tz)
        streamed = await collect(
            client.stream_key("rolled", START, END, interval=interval, function=function, tz=tz, window=window)
        )
        assert [p.ts for p in streamed] == [p.ts for p in whole.data] and len(streamed) > 1
        assert [p.value for p in streamed] == pytest.approx([p.value for p in whole.data])


async def test_many_series_window_by_window_and_series_by_series(client: Any) -> None:
    keys = ["m-a", "m-b", "m-c"]
    await seed(client, keys, count=300)
    await client.write_key("other", [tempodb.DataPoint(START, 1)])
    whole = await client.read(START, END, interval="raw", keys=keys)
    want = sorted((d.series.key, p.ts, p.value) for d in whole for p in d.data)
    pairs = await collect(client.stream(START, END, keys=keys, window=timedelta(days=2)))
    assert sorted((s.key, p.ts, p.value) for s, p in pairs) == want
    by_series = await collect(client.stream(START, END, keys=keys, window=50, by_series=True, prefetch=True))
    assert [(s.key, p.ts, p.value) for s, p in by_series] == want  # each series whole, in time order


async def test_empty_range_and_bad_arguments(client: Any) -> None:
    assert await collect(client.stream_key("nothing", START, START)) == []
    with pytest.raises(tempodb.InvalidInputError):
        client.stream_key("x", END, START)
    with pytest.raises(tempodb.InvalidInputError):
        client.stream_key("x", START, END, function="max")
    with pytest.raises(tempodb.InvalidInputError):
        client.stream_key("x", START, END, window=0)


ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu", "Africa/Monrovia"]
NOMINAL_MS = {
    Unit.SECOND: 1000, Unit.MINUTE: 60_000, Unit.HOUR: 3_600_000, Unit.DAY: 86_400_000,
    Unit.WEEK: 7 * 86_400_000, Unit.MONTH: 28 * 86_400_000, Unit.YEAR: 365 * 86_400_000,
}
INTERVALS = [Interval(n, u) for n in (1, 3, 7) for u in Unit]


@settings(max_examples=300, deadline=None)
@given(
    t=st.integers(-2_000_000_000_000, 4_000_000_000_000),
    interval=st.sampled_from(INTERVALS),
    zone=st.sampled_from(ZONES),
)
def test_a_bucket_holds_its_point_and_is_its_own_bucket(t: int, interval: Interval, zone: str) -> None:
    # Windows are cut at bucket starts, so a start must map back to the same bucket.
    tz = timezone.utc if zone == "UTC" else ZoneInfo(zone)
    start, end = bucket_bounds(t, interval, tz)
    assert start <= t < end
    assert bucket_bounds(start, interval, tz) == (start, end)


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, 2_000_000_000_000),
    length=st.integers(0, 400 * 86_400_000),
    interval=st.sampled_from([None, *INTERVALS]),
    window=st.one_of(st.integers(1, 500), st.integers(1, 90 * 86_400_000).map(lambda ms: timedelta(milliseconds=ms))),
    zone_name=st.sampled_from(["America/New_York", "Australia/Lord_Howe", "Africa/Monrovia"]),
)
def test_windows_tile_the_range_on_bucket_boundaries(
    start: int, length: int, interval: Interval | None, window: Any, zone_name: str
) -> None:
    bucket = 1 if interval is None else NOMINAL_MS[interval.unit] * interval.count
    per_window = window // timedelta(milliseconds=1) if isinstance(window, timedelta) else window * bucket
    assume(length // max(per_window, bucket) < 5_000)
    zone = ZoneInfo(zone_name)
    plan = WindowPlan(start, start + length, window, interval, zone)
    windows = []
    while (w := plan.next()) is not None:
        windows.append(w)
        plan.observe(w, window if isinstance(window, int) else 10)
        assert len(windows) < 100_000
    if length == 0:
        assert windows == []
        return
    assert windows[0][0] == start and windows[-1][1] == start + length
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(windows))
    if interval is not None:
        for _, boundary in windows[:-1]:
            assert bucket_bounds(boundary, interval, zone)[0] == boundary
