"""Sub-day rollup buckets sit on the local wall clock (protocol §7.3), in every zone.

Hour buckets start at HH:00 local also where the offset is not whole hours (Kathmandu +05:45, Monrovia
-00:44:30 before 1972); around a clock change each bucket runs from one wall-clock edge to the next.
Where the offset is a whole number of hours, or never changes, the buckets are the ones of the earlier
fixed-length rule (N units from local midnight 1970-01-01), which the regression tests restate.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempodb._wire.http import Request
from tempodb._wire.intervals import Interval, Unit, bucket_bounds
from tempodb._wire.timestamps import epoch_ms, from_epoch_ms
from tempodb.server import open_engine

UTC = timezone.utc
HOUR = Interval(1, Unit.HOUR)
_AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}


def _at(zone: tzinfo, *parts: int, fold: int = 0) -> int:
    return epoch_ms(datetime(*parts, tzinfo=zone, fold=fold))  # type: ignore[misc]


def _walk(t: int, interval: Interval, zone: tzinfo, count: int) -> list[tuple[str, int]]:
    """``count`` consecutive buckets from the one holding ``t``: (local start, length in minutes)."""
    out = []
    for _ in range(count):
        start, end = bucket_bounds(t, interval, zone)
        out.append((from_epoch_ms(start, zone).isoformat(), (end - start) // 60_000))
        t = end
    return out


def test_kathmandu_hour_buckets_start_on_the_hour() -> None:
    zone = ZoneInfo("Asia/Kathmandu")
    assert _walk(_at(zone, 2020, 1, 1, 5, 20), HOUR, zone, 2) == [
        ("2020-01-01T05:00:00+05:45", 60),
        ("2020-01-01T06:00:00+05:45", 60),
    ]


def test_ten_minutes_in_kathmandu() -> None:
    zone = ZoneInfo("Asia/Kathmandu")
    starts = [s for s, _ in _walk(_at(zone, 2020, 1, 1, 5, 0), Interval(10, Unit.MINUTE), zone, 4)]
    assert [s[11:19] for s in starts] == ["05:00:00", "05:10:00", "05:20:00", "05:30:00"]


def test_monrovia_lmt_hours_and_its_1972_change() -> None:
    zone = ZoneInfo("Africa/Monrovia")  # -00:44:30 until 1972-01-07 00:00 local, then GMT
    assert _walk(_at(zone, 1971, 6, 1, 10, 5), HOUR, zone, 1) == [("1971-06-01T10:00:00-00:44:30", 60)]
    # The clock jumps from 00:00 LMT to 00:44:30 GMT: no 00:00 edge after the change, so the
    # 23:00 bucket runs to 01:00 GMT (75.5 minutes; the walk floors to whole minutes).
    assert _walk(_at(zone, 1972, 1, 6, 23, 30), HOUR, zone, 2) == [
        ("1972-01-06T23:00:00-00:44:30", 75),
        ("1972-01-07T01:00:00+00:00", 60),
    ]


def test_clock_changes_keep_buckets_on_wall_clock_edges() -> None:
    chicago, lord_howe = ZoneInfo("America/Chicago"), ZoneInfo("Australia/Lord_Howe")
    # Spring forward onto an edge: 01:00 CST, then 03:00 CDT.
    assert _walk(_at(chicago, 2013, 3, 10, 1, 30), HOUR, chicago, 2) == [
        ("2013-03-10T01:00:00-06:00", 60),
        ("2013-03-10T03:00:00-05:00", 60),
    ]
    # Fall back: the repeated 01:00 starts a bucket twice.
    assert _walk(_at(chicago, 2013, 11, 3, 0, 30), HOUR, chicago, 3) == [
        ("2013-11-03T00:00:00-05:00", 60),
        ("2013-11-03T01:00:00-05:00", 60),
        ("2013-11-03T01:00:00-06:00", 60),
    ]
    # Half-hour changes: the edge skipped (02:00) or not reached (02:00 +11) makes a 90-minute bucket.
    assert _walk(_at(lord_howe, 2013, 10, 6, 1, 10), HOUR, lord_howe, 2) == [
        ("2013-10-06T01:00:00+10:30", 90),
        ("2013-10-06T03:00:00+11:00", 60),
    ]
    assert _walk(_at(lord_howe, 2013, 4, 7, 1, 10), HOUR, lord_howe, 2) == [
        ("2013-04-07T01:00:00+11:00", 90),
        ("2013-04-07T02:00:00+10:30", 60),
    ]


def _fixed_length_bounds(t: int, interval: Interval, zone: tzinfo) -> tuple[int, int]:
    """The earlier rule: N units counted from the instant of local midnight, 1970-01-01."""
    assert interval.seconds is not None
    size = interval.seconds * 1000
    origin = epoch_ms(datetime(1970, 1, 1, tzinfo=zone))
    start = t - (t - origin) % size
    return start, start + size


FIXED_ZONES = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9)), ZoneInfo("Etc/GMT-3"), ZoneInfo("Asia/Tokyo")]
SUB_DAY = [Interval(n, u) for n in (1, 2, 3, 5, 7, 15, 90) for u in (Unit.SECOND, Unit.MINUTE, Unit.HOUR)]
# Whole-hour zones with DST: the intervals that divide an hour keep their edges (the wall clock moves
# by whole hours); longer ones move to the wall clock after a change.
DST_ZONES = [ZoneInfo(name) for name in ("America/Chicago", "America/New_York", "Europe/London", "Europe/Berlin")]
HOUR_DIVISORS = [Interval(n, u) for n in (1, 2, 5, 15, 30) for u in (Unit.SECOND, Unit.MINUTE)] + [HOUR]


@settings(max_examples=400, deadline=None)
@given(t=st.integers(-10**12, 4 * 10**12), zone=st.sampled_from(FIXED_ZONES), interval=st.sampled_from(SUB_DAY))
def test_fixed_offset_zones_keep_their_buckets(t: int, zone: tzinfo, interval: Interval) -> None:
    assert bucket_bounds(t, interval, zone) == _fixed_length_bounds(t, interval, zone)


@settings(max_examples=400, deadline=None)
@given(t=st.integers(0, 4 * 10**12), zone=st.sampled_from(DST_ZONES), interval=st.sampled_from(HOUR_DIVISORS))
def test_whole_hour_zones_keep_their_hour_buckets(t: int, zone: tzinfo, interval: Interval) -> None:
    # (Since 1970: London's 1968-71 British Standard Time makes the 1970 origin +01:00.)
    assert bucket_bounds(t, interval, zone) == _fixed_length_bounds(t, interval, zone)


WALL_ZONES = ["Asia/Kathmandu", "Africa/Monrovia", "Australia/Lord_Howe", "America/St_Johns", "America/Chicago"]


@settings(max_examples=300, deadline=None)
@given(
    t=st.integers(0, 2 * 10**12),
    zone_name=st.sampled_from(WALL_ZONES),
    interval=st.sampled_from([Interval(n, u) for n in (1, 3, 15) for u in (Unit.SECOND, Unit.MINUTE, Unit.HOUR)]),
)
def test_buckets_tile_time_from_wall_clock_edges(t: int, zone_name: str, interval: Interval) -> None:
    zone = ZoneInfo(zone_name)
    start, end = bucket_bounds(t, interval, zone)
    assert start <= t < end
    assert bucket_bounds(start, interval, zone) == (start, end)
    assert bucket_bounds(end, interval, zone)[0] == end  # no gap, no overlap
    assert bucket_bounds(start - 1, interval, zone)[1] == start
    assert interval.seconds is not None
    for edge in (start, end):
        wall = from_epoch_ms(edge, zone).replace(tzinfo=None) - datetime(1970, 1, 1)
        assert wall % timedelta(seconds=interval.seconds) == timedelta(0)


@pytest.mark.parametrize(("zone_name", "label"), [("Asia/Kathmandu", "2020-01-01T05:00:00.000+0545"), ("UTC", "2020-01-01T05:00:00.000Z")])
def test_the_server_labels_hour_buckets_on_the_hour(zone_name: str, label: str, store_target: str) -> None:
    engine = open_engine(store_target)

    def call(method: str, target: str, body: str = "") -> dict[str, object]:
        response = engine.handle(Request(method, "http://h" + target, _AUTH, body.encode()))
        assert response.status_code == 200, response.body
        return json.loads(response.body) if response.body else {}

    call("POST", "/v1/series/", '{"key": "k"}')
    zone = ZoneInfo(zone_name)
    t = from_epoch_ms(_at(zone, 2020, 1, 1, 5, 20), UTC).isoformat().replace("+00:00", "Z")
    call("POST", "/v1/series/key/k/data/", f'[{{"t": "{t}", "v": 1.5}}]')
    got = call("GET", f"/v1/series/key/k/data/?start=2019-12-31&end=2020-01-02&interval=1hour&tz={zone_name}")
    assert got["data"] == [{"t": label, "v": 1.5}]
