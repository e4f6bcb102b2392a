"""Every TempoDB call, through the sync, asyncio and trio clients, against the real server."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

import tempodb
from tempodb import DataPoint, Series

pytestmark = pytest.mark.anyio

UTC = timezone.utc
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
T0 = datetime(2012, 1, 1, tzinfo=UTC)


def minutes(n: int, start: datetime = T0, value: Any = None) -> list[DataPoint]:
    return [DataPoint(start + timedelta(minutes=i), float(i) if value is None else value) for i in range(n)]


async def test_create_get_update_and_delete_series(client: Any) -> None:
    named = await client.create_series("my-custom-key")
    generated = await client.create_series()
    assert named.key == "my-custom-key" and len(named.id) == 32
    assert generated.key and generated.id != named.id

    with pytest.raises(tempodb.ConflictError):
        await client.create_series("my-custom-key")

    named.tags = ["tag1", "tag2"]
    named.attributes = {"attr1": "value1"}
    named.name = "My series"
    updated = await client.update_series(named)
    assert updated == named
    assert await client.get_series_by_id(named.id) == named
    assert await client.get_series_by_key("my-custom-key") == named

    assert await client.get_series(tags=["tag1", "tag2"], attributes={"attr1": "value1"}) == [named]
    assert await client.get_series(tags=["tag1", "nope"]) == []
    assert {s.key for s in await client.get_series()} == {named.key, generated.key}
    assert {s.id for s in await client.get_series(ids=[named.id, generated.id])} == {named.id, generated.id}

    deleted = await client.delete_series(keys=["my-custom-key"])
    assert deleted.deleted == 1
    one = await client.create_series("one/by key")
    assert (await client.delete_series_by_key("one/by key")).deleted == 1
    with pytest.raises(tempodb.ForbiddenError):
        await client.delete_series_by_id(one.id)  # already gone
    again = await client.create_series("one/by key")
    assert (await client.delete_series_by_id(again.id)).deleted == 1
    with pytest.raises(tempodb.ForbiddenError):
        await client.get_series_by_key("my-custom-key")
    with pytest.raises(tempodb.InvalidInputError, match="allow_truncation"):
        await client.delete_series()
    assert (await client.delete_series(allow_truncation=True)).deleted == 1
    assert await client.get_series() == []


async def test_write_and_read_by_key_and_id(client: Any) -> None:
    points = minutes(120)
    await client.write_key("therm.1", points)
    series = (await client.get_series(keys=["therm.1"]))[0]
    by_key = await client.read_key("therm.1", T0, T0 + timedelta(hours=2))
    by_id = await client.read_id(series.id, T0, T0 + timedelta(hours=2))
    assert by_key.data == points
    assert by_id.data == points
    assert by_key.series == series
    assert by_key.rollup is None
    assert by_key.summary is not None and by_key.summary.count == 120
    assert by_key.start == T0 and by_key.end == T0 + timedelta(hours=2)
    # [start, end): the end instant is excluded
    half = await client.read_key("therm.1", T0, T0 + timedelta(minutes=60))
    assert [p.value for p in half.data] == [float(i) for i in range(60)]


async def test_naive_datetimes_are_utc_and_values_keep_their_type(client: Any) -> None:
    await client.write_key("k", [DataPoint(datetime(2012, 1, 1, 1), 3), DataPoint(datetime(2012, 1, 1, 2), 2.5)])
    got = await client.read_key("k", date(2012, 1, 1), date(2012, 1, 2))
    assert [p.ts for p in got.data] == [datetime(2012, 1, 1, 1, tzinfo=UTC), datetime(2012, 1, 1, 2, tzinfo=UTC)]
    assert [type(p.value) for p in got.data] == [int, float]


async def test_rollups_functions_and_time_zones(client: Any) -> None:
    await client.write_key("r", minutes(48 * 60, value=None))
    hourly = await client.read_key("r", T0, T0 + timedelta(days=1), interval="1hour", function="max")
    assert len(hourly.data) == 24
    assert hourly.data[0] == DataPoint(T0, 59.0)
    assert hourly.rollup is not None and hourly.rollup.interval == "PT1H" and hourly.rollup.function == "max"
    assert hourly.summary is not None and hourly.summary.count == 1440  # summary stays over raw points

    chicago = await client.read_key("r", T0, T0 + timedelta(days=2), interval=timedelta(days=1), function="count",
                                    tz="America/Chicago")
    # Chicago's midnights fall at 06:00 UTC: 6 hours of Jan 1 UTC belong to Dec 31 local.
    assert [p.value for p in chicago.data] == [360, 1440, 1080]
    assert chicago.data[0].ts == datetime(2011, 12, 31, 6, tzinfo=UTC)
    assert chicago.data[0].ts.utcoffset() == timedelta(hours=-6)

    auto = await client.read_key("r", T0, T0 + timedelta(days=3))  # > 2 days: hourly by default
    assert auto.rollup is not None and auto.rollup.interval == "PT1H"
    assert len(auto.data) == 48
    raw = await client.read_key("r", T0, T0 + timedelta(days=3), interval="raw")
    assert len(raw.data) == 2880 and raw.rollup is None
    with pytest.raises(tempodb.InvalidInputError):
        await client.read_key("r", T0, T0 + timedelta(days=1), interval="1fortnight")


async def test_multi_series_read_filters(client: Any) -> None:
    for key, tags in (("a", ["x"]), ("b", ["x", "y"]), ("c", ["y"])):
        await client.write_key(key, minutes(3))
        series = await client.get_series_by_key(key)
        series.tags = tags
        await client.update_series(series)
    sets = await client.read(T0, T0 + timedelta(hours=1), tags=["x"])
    assert [s.series.key for s in sets] == ["a", "b"]
    assert all(len(s.data) == 3 for s in sets)
    by_keys = await client.read(T0, T0 + timedelta(hours=1), keys=["c", "a"], interval="1hour", function="sum")
    assert [(s.series.key, s.data[0].value) for s in by_keys] == [("a", 3.0), ("c", 3.0)]


async def test_bulk_and_multi_writes(client: Any) -> None:
    existing = await client.create_series("by-id")
    ts = datetime(2012, 1, 8, 1, 21)
    await client.write_bulk(ts, [{"id": existing.id, "v": 4.164}, {"key": "your-custom-key", "v": 55.423}])
    await client.write_multi([
        {"t": datetime(2013, 8, 21), "id": existing.id, "v": 4.5},
        {"t": datetime(2013, 8, 22), "key": "foo", "v": 324.991},
    ])
    wide = (datetime(2012, 1, 1), datetime(2014, 1, 1))
    by_id = await client.read_id(existing.id, *wide, interval="raw")
    assert [(p.ts.year, p.value) for p in by_id.data] == [(2012, 4.164), (2013, 4.5)]
    assert (await client.read_key("foo", *wide, interval="raw")).data[0].value == 324.991
    assert (await client.read_key("your-custom-key", *wide, interval="raw")).data[0].ts == ts.replace(tzinfo=UTC)


async def test_increments_sum_exactly_even_when_concurrent(client: Any, flavour: str) -> None:
    stamp = T0 + timedelta(minutes=1)

    async def bump(amount: int) -> None:
        await client.increment_key("hits", [DataPoint(T0, amount), DataPoint(stamp, 1)])

    async with anyio.create_task_group() as group:
        for amount in range(1, 41):
            group.start_soon(bump, amount)
    await client.increment_bulk(T0, [{"key": "hits", "v": 1000}])
    await client.increment_multi([{"t": stamp, "key": "hits", "v": -5}])
    got = await client.read_key("hits", T0, T0 + timedelta(hours=1))
    assert [p.value for p in got.data] == [sum(range(1, 41)) + 1000, 40 - 5]
    assert all(type(p.value) is int for p in got.data)
    series = await client.get_series_by_key("hits")
    await client.increment_id(series.id, [DataPoint(T0, 1)])
    assert (await client.read_id(series.id, T0, stamp)).data[0].value == sum(range(1, 41)) + 1001


async def test_delete_ranges(client: Any) -> None:
    await client.write_key("d", minutes(10))
    await client.delete_key("d", T0 + timedelta(minutes=2), T0 + timedelta(minutes=5))
    series = await client.get_series_by_key("d")
    await client.delete_id(series.id, T0 + timedelta(minutes=7), T0 + timedelta(minutes=7))  # exactly one point
    left = await client.read_key("d", T0, T0 + timedelta(hours=1))
    assert [p.value for p in left.data] == [0.0, 1.0, 5.0, 6.0, 8.0, 9.0]
    with pytest.raises(tempodb.ForbiddenError):
        await client.delete_key("no-such-series", T0, T0 + timedelta(hours=1))


async def test_single_values_and_summaries(client: Any) -> None:
    await client.write_key("s", [DataPoint(T0, 1.0), DataPoint(T0 + timedelta(minutes=10), 2.0)])
    await client.write_key("t", [DataPoint(T0 + timedelta(minutes=4), 7)])
    probe = T0 + timedelta(minutes=6)
    assert (await client.single_value_key("s", probe)).data is None
    assert (await client.single_value_key("s", probe, direction="before")).data == DataPoint(T0, 1.0)
    assert (await client.single_value_key("s", probe, direction="after")).data.value == 2.0
    nearest = await client.single_value(probe, direction="nearest")
    assert [(v.series.key, v.data.value) for v in nearest] == [("s", 2.0), ("t", 7)]
    series = await client.get_series_by_key("s")
    assert (await client.single_value_id(series.id, T0)).data == DataPoint(T0, 1.0)
    chicago = await client.single_value_key("s", T0, tz="America/Chicago")
    assert chicago.tz == "America/Chicago" and chicago.data.ts.utcoffset() == timedelta(hours=-6)

    summary = await client.summary_key("s", T0, T0 + timedelta(hours=1))
    assert summary.summary.count == 2 and summary.summary.sum == 3.0 and summary.summary.mean == 1.5
    assert (await client.summary_id(series.id, T0, T0 + timedelta(hours=1))).summary == summary.summary


async def test_the_real_services_summary_is_reproduced(client: Any) -> None:
    recorded = json.loads((FIXTURES / "recorded-2013" / "read_id_and_key.json").read_text())
    points = [DataPoint(datetime.fromisoformat(p["t"].replace("Z", "+00:00")), p["v"]) for p in recorded["data"]]
    await client.write_key("fixture", points)
    start = datetime.fromisoformat(recorded["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(recorded["end"].replace("Z", "+00:00"))
    got = await client.read_key("fixture", start, end, interval="raw")
    assert got.summary is not None
    for name, expected in recorded["summary"].items():
        assert math.isclose(getattr(got.summary, name), expected, rel_tol=1e-9), name


async def test_bad_input_is_refused_before_sending(client: Any) -> None:
    with pytest.raises(tempodb.InvalidInputError, match="not finite"):
        await client.write_key("x", [DataPoint(T0, math.nan)])
    with pytest.raises(tempodb.InvalidInputError, match="before start"):
        await client.read_key("x", T0, T0 - timedelta(days=1))
    with pytest.raises(ValueError, match="'id' or 'key'"):
        await client.write_multi([{"t": T0, "v": 1}])
    assert await client.get_series() == []  # nothing reached the server


async def test_credentials_are_separate_databases(connect: Any, client: Any, tempodb_server: Any) -> None:
    mine = await client.create_series("private")
    await client.write_key("private", minutes(5))
    other = connect(*tempodb_server.new_credentials())
    try:
        assert await other.get_series() == []
        assert await other.get_series(ids=[mine.id]) == []
        with pytest.raises(tempodb.ForbiddenError):
            await other.read_id(mine.id, T0, T0 + timedelta(hours=1))
        with pytest.raises(tempodb.ForbiddenError):
            await other.delete_id(mine.id, T0, T0 + timedelta(hours=1))
        assert (await other.delete_series(keys=["private"])).deleted == 0
        await other.write_key("private", [DataPoint(T0, 999.0)])  # creates ITS OWN series
    finally:
        await other.aclose()
    assert (await client.read_key("private", T0, T0 + timedelta(hours=1))).data == minutes(5)


async def test_awkward_keys_tags_and_attributes_round_trip(client: Any) -> None:
    keys = ["ke:y/1", "a b+c", "100%;'\"", "ünï/cødé?#&=", "trailing/"]
    for key in keys:
        await client.write_key(key, [DataPoint(T0, 1)])
        assert (await client.read_key(key, T0, T0 + timedelta(minutes=1))).series.key == key
    series = await client.get_series_by_key(keys[2])
    series.tags = ["a;b", "c%d", "é/f"]
    series.attributes = {"we[ird]": "v&a=l ue", "ü": "%2F"}
    await client.update_series(series)
    assert await client.get_series(tags=["a;b", "é/f"], attributes={"we[ird]": "v&a=l ue", "ü": "%2F"}) == [series]
    assert sorted(s.key for s in await client.get_series()) == sorted(keys)


async def test_unknown_series_and_wrong_server_paths_raise_typed_errors(client: Any) -> None:
    with pytest.raises(tempodb.ForbiddenError) as info:
        await client.read_id("0" * 32, T0, T0 + timedelta(hours=1))
    assert info.value.status_code == 403
    with pytest.raises(tempodb.ForbiddenError):
        await client.update_series(Series("0" * 32, "ghost"))
