"""The embedded read's fast path (columns in process, no JSON for the points) answers exactly what
the HTTP path answers: the same data sets (instants, UTC offsets, value types, NaN for values past
the float range), the same summaries and rollups, the same errors.

The two clients read one SQLite file: ``tempodb serve`` on it over a real socket, and
``Client.local`` on the same file in this process.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tempodb
from tempodb._core.column_points import datetimes, numbers
from tempodb._wire.columns import ColumnsResponse
from tempodb._wire.timestamps import MAX_MS, MIN_MS, UTC
from tempodb.server.local import LocalTransport
from tempodb.testing import ServerInfo, run_server

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KEYS = itertools.count()
# Before 1940 some of these zones were at offsets with seconds (local mean time, ``-03:30:52`` in
# St John's until 1935): both paths must carry those too, so the comparison spans the calendar.
LOCAL_MEAN_TIMES = -5_364_662_400_000  # 1800-01-01: rollups start here, in the local mean time era
ZONES = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "Europe/London"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    with run_server(tmp_path_factory.mktemp("fast-path")) as proc:
        yield proc.info


@pytest.fixture(scope="module")
def pair(server: ServerInfo) -> Iterator[tuple[tempodb.Client, tempodb.Client]]:
    """(HTTP client, embedded client) on one database of one file."""
    http = tempodb.Client(server.key, server.secret, server.host, server.port, secure=False)
    local = tempodb.Client.local(server.db_path, server.key, server.secret)
    try:
        yield http, local
    finally:
        http.close()
        local.close()


def shape(found: tempodb.DataSet) -> Any:
    """Everything a data set says, NaN comparable, offsets and value types included."""

    def when(ts: datetime) -> tuple[str, Any]:
        return ts.isoformat(), ts.tzinfo

    def number(value: Any) -> tuple[type, str]:
        return type(value), repr(value)

    summary = None if found.summary is None else [(k, repr(v)) for k, v in _fields(found.summary)]
    return (
        found.series, when(found.start), when(found.end), found.rollup, summary,
        [(when(p.ts), number(p.value)) for p in found.data],
    )  # fmt: skip


def _fields(summary: tempodb.Summary) -> Iterator[tuple[str, Any]]:
    for name in summary.__struct_fields__:
        yield name, getattr(summary, name)


stamps = st.lists(st.integers(MIN_MS, MAX_MS), min_size=0, max_size=40, unique=True)
values = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stamps=stamps, data=st.data(), zone=st.sampled_from(ZONES))
def test_raw_reads_match_the_http_path(pair: tuple[tempodb.Client, tempodb.Client], stamps: list[int], data: st.DataObject, zone: str) -> None:
    http, local = pair
    key = f"raw-{next(KEYS)}"
    points = [tempodb.DataPoint(EPOCH + timedelta(milliseconds=ms), data.draw(values)) for ms in stamps]
    if points:
        http.write_key(key, points)
    else:
        http.create_series(key)
    start, end = EPOCH + timedelta(milliseconds=MIN_MS), EPOCH + timedelta(milliseconds=MAX_MS)
    over_http = http.read_key(key, start, end, interval="raw", tz=zone)
    embedded = local.read_key(key, start, end, interval="raw", tz=zone)
    assert shape(embedded) == shape(over_http)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(0, 3 * 86_400_000), min_size=1, max_size=40, unique=True),
    anchor=st.integers(LOCAL_MEAN_TIMES, 4_000_000_000_000),
    big=st.lists(st.floats(min_value=1e307, max_value=1.7e308), min_size=0, max_size=3),
    interval=st.sampled_from(["1min", "1hour", "1day", "PT90M"]),
    function=st.sampled_from(["mean", "sum", "min", "max", "count", "stddev", "ss"]),
    zone=st.sampled_from(ZONES),
    data=st.data(),
)
def test_rollups_match_the_http_path(
    pair: tuple[tempodb.Client, tempodb.Client], offsets: list[int], anchor: int, big: list[float],
    interval: str, function: str, zone: str, data: st.DataObject,
) -> None:
    """Rollups too, with sums past the float range (``null`` in JSON, NaN once read)."""
    http, local = pair
    key = f"rollup-{next(KEYS)}"
    points = [tempodb.DataPoint(EPOCH + timedelta(milliseconds=anchor + ms), data.draw(values)) for ms in offsets]
    for index, value in enumerate(big[: len(points)]):
        points[index] = tempodb.DataPoint(points[index].ts, value)
    http.write_key(key, points)
    start, end = EPOCH + timedelta(milliseconds=anchor - 86_400_000), EPOCH + timedelta(milliseconds=anchor + 4 * 86_400_000)
    over_http = http.read_key(key, start, end, interval=interval, function=function, tz=zone)
    embedded = local.read_key(key, start, end, interval=interval, function=function, tz=zone)
    assert shape(embedded) == shape(over_http)


def test_local_mean_time_reads_come_back_at_their_offset_with_seconds(pair: tuple[tempodb.Client, tempodb.Client]) -> None:
    """Kolkata kept +05:53:28 until 1870: the server writes that offset, and both paths read it."""
    http, local = pair
    at = datetime(1850, 6, 1, tzinfo=UTC)
    http.write_key("lmt", [tempodb.DataPoint(at, 1.5)])
    for client in (http, local):
        (point,) = client.read_key("lmt", at, at + timedelta(days=1), tz="Asia/Kolkata").data
        assert point.ts == at
        assert point.ts.utcoffset() == timedelta(hours=5, minutes=53, seconds=28)


def test_many_series_reads_match(pair: tuple[tempodb.Client, tempodb.Client]) -> None:
    http, local = pair
    t0 = datetime(2012, 3, 25, tzinfo=UTC)  # a DST change in London: two offsets in one data set
    for key, step in (("many-a", 1), ("many-b", 7), ("many-c", 0)):
        if step:
            http.write_key(key, [tempodb.DataPoint(t0 + timedelta(minutes=step * i), i * 0.5) for i in range(300)])
        else:
            http.create_series(key)
    for interval in ("raw", "1hour"):
        args = (t0, t0 + timedelta(days=2))
        options = {"keys": ["many-a", "many-b", "many-c"], "interval": interval, "tz": "Europe/London"}
        over_http, embedded = http.read(*args, **options), local.read(*args, **options)  # type: ignore[arg-type]
        assert [shape(s) for s in embedded] == [shape(s) for s in over_http]
        assert len(embedded) == 3


def test_errors_match(pair: tuple[tempodb.Client, tempodb.Client]) -> None:
    http, local = pair
    t0 = datetime(2012, 1, 1, tzinfo=UTC)
    for call in (
        lambda c: c.read_id("no-such-id", t0, t0 + timedelta(days=1)),
        lambda c: c.read_key("k", t0, t0 + timedelta(days=1), interval="raw", tz="Not/AZone"),
        lambda c: c.read_key("k", t0 + timedelta(days=1), t0, interval="raw"),
    ):
        with pytest.raises(tempodb.TempoDBError) as by_http:
            call(http)
        with pytest.raises(tempodb.TempoDBError) as embedded:
            call(local)
        assert (type(embedded.value), str(embedded.value)) == (type(by_http.value), str(by_http.value))


def test_a_columns_answer_still_has_the_http_body(server: ServerInfo) -> None:
    """Code that reads ``body`` (columnar reads, a user's own) gets the very bytes of the JSON path."""
    from tempodb.server.factory import open_engine

    engine = open_engine(server.db_path, None)
    client = tempodb.Client(server.key, server.secret, server.host, server.port, secure=False)
    try:
        t0 = datetime(2012, 1, 1, tzinfo=UTC)
        client.write_key("body", [tempodb.DataPoint(t0 + timedelta(seconds=i), i) for i in range(1000)])
        for path in ("/v1/series/key/body/data/?start=2012-01-01&end=2012-01-02&interval=raw&tz=Asia/Kolkata",
                     "/v1/data/?start=2012-01-01&end=2012-01-02&key=body&interval=1hour"):  # fmt: skip
            request = client._session.request("GET", path.removeprefix("/v1"))
            with LocalTransport(engine, columns=True) as fast, LocalTransport(engine, columns=False) as plain:
                columns, json = fast.send(request), plain.send(request)
            assert isinstance(columns, ColumnsResponse)
            assert not isinstance(json, ColumnsResponse)
            assert columns.body == json.body
            assert "data sets" in repr(columns)
    finally:
        client.close()
        engine.close()


# -- the pieces' laws --------------------------------------------------------------------------

offsets = st.integers(-(24 * 3600 - 1), 24 * 3600 - 1)


@given(st.lists(st.integers(MIN_MS + 86_400_000, MAX_MS - 86_400_000), max_size=50), offsets)
def test_datetimes_are_exact_milliseconds_at_the_offset(stamps: list[int], offset: int) -> None:
    """Float seconds are exact within 2**32 s of 1970, the timedelta arithmetic elsewhere: either
    way every millisecond comes back exactly, at the offset asked (UTC itself at zero)."""
    made = datetimes(stamps, offset)
    assert made == [EPOCH + timedelta(milliseconds=ms) for ms in stamps]
    zone = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    assert all(d.tzinfo == zone and d.utcoffset() == timedelta(seconds=offset) for d in made)


@given(st.integers(-(2**32) * 1000 + 1, 2**32 * 1000 - 1))
def test_the_float_window_is_exact_at_its_edges(ms: int) -> None:
    assert datetimes([ms]) == [EPOCH + timedelta(milliseconds=ms)]


@given(st.lists(st.one_of(st.integers(-(2**63), 2**63), st.floats())))
def test_numbers_read_non_finite_as_nan(values: list[Any]) -> None:
    got = numbers(list(values))
    assert len(got) == len(values)
    for before, after in zip(values, got, strict=True):
        if isinstance(before, float) and not math.isfinite(before):
            assert math.isnan(after)
        else:
            assert after is before
