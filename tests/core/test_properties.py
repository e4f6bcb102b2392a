"""Property tests: models, keys, filters, rollups and timestamps survive their wire encodings."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec
import pytest
from core_driver import make
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, DataSet, Series, Summary
from tempodb._core.protocol import (
    build_get_series,
    build_read,
    build_read_one,
    parse_dataset,
    parse_datasets,
)
from tempodb._core.query import Filter
from tempodb._wire.endpoints import ENDPOINTS, Endpoint, find, route
from tempodb._wire.intervals import Function, Interval, Unit, auto_interval, parse_function
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC, format_timestamp, parse_timestamp

SESSION = make()
FAST = settings(max_examples=60, deadline=None)

# --- models ------------------------------------------------------------------------------------

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
zones = st.one_of(st.just(UTC), offsets)
moments_ms = st.builds(
    lambda dt, ms, tz: dt.replace(microsecond=ms * 1000, tzinfo=tz),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1)),
    st.integers(0, 999),
    zones,
)
numbers = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))
points = st.builds(DataPoint, moments_ms, numbers)
text = st.text(max_size=12)
series = st.builds(Series, text, text, text, st.dictionaries(text, text, max_size=3), st.lists(text, max_size=3))


def _same_point(a: DataPoint, b: DataPoint) -> bool:
    return a.ts == b.ts and a.ts.tzinfo is not None and a.value == b.value and type(a.value) is type(b.value)


@FAST
@given(points)
def test_datapoint_round_trip(point: DataPoint) -> None:
    back = msgspec.json.decode(msgspec.json.encode(point), type=DataPoint)
    assert _same_point(point, back)


@FAST
@given(series, moments_ms, moments_ms, st.lists(points, max_size=8))
def test_dataset_round_trip(meta: Series, start: datetime, end: datetime, data: list[DataPoint]) -> None:
    summary = Summary(count=len(data), sum=1.5, mean=0.25)
    dataset = DataSet(meta, start, end, data, summary)
    back = parse_dataset(msgspec.json.encode(dataset))
    assert back.series == meta
    assert (back.start, back.end) == (start, end)
    assert len(back.data) == len(data) and all(map(_same_point, data, back.data))
    assert back.summary == summary
    [again] = parse_datasets(msgspec.json.encode([dataset]))
    assert again == back


# --- keys --------------------------------------------------------------------------------------

valid_keys = st.text(min_size=1).filter(lambda k: not any(unicodedata.category(c) == "Cc" for c in k))
KEY_2013 = re.compile(r"^[a-zA-Z0-9\.:;\-_/\\ ]*$")


def _segment(key: str) -> str:
    path = find("write_one").path_for(SeriesRef("key", key))
    assert path.startswith("/series/key/") and path.endswith("/data/")
    return path[len("/series/key/") : -len("/data/")]


def _check_key(key: str) -> None:
    segment = _segment(key)
    assert unquote(segment) == key
    assert not set(segment) & set("/?# +[]&")  # only escapes, never raw separators
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", segment)
    request = build_read_one(SESSION, SeriesRef("key", key), datetime(2012, 1, 1), datetime(2012, 1, 2))
    url = urlsplit(request.url)
    assert url.path == f"/v1/series/key/{segment}/data/" and url.fragment == ""
    assert dict(parse_qsl(url.query))["start"] == "2012-01-01T00:00:00+00:00"


@FAST
@given(valid_keys)
def test_any_valid_key_round_trips_through_the_path(key: str) -> None:
    _check_key(key)


@FAST
@given(st.from_regex(r"[a-zA-Z0-9\.:;\-_/\\ ]+", fullmatch=True))
def test_every_2013_key_round_trips(key: str) -> None:
    assert KEY_2013.match(key)
    _check_key(key)


@FAST
@given(valid_keys, st.sampled_from([e for e in ENDPOINTS if e.names_series and "key" in e.by]))
def test_the_server_routes_every_path_the_client_builds(key: str, endpoint: Endpoint) -> None:
    # Client path building and server routing both come from the endpoint table: inverse by law.
    ref = SeriesRef("key", key)
    found = route("/v1" + endpoint.path_for(ref))
    assert found is not None and found.series == ref and found.endpoint(endpoint.method) == endpoint


@FAST
@given(st.text(min_size=1).filter(lambda k: any(unicodedata.category(c) == "Cc" for c in k)))
def test_client_and_server_refuse_the_same_keys(key: str) -> None:
    with pytest.raises(InvalidInputError, match="control character"):
        build_read_one(SESSION, SeriesRef("key", key), datetime(2012, 1, 1), datetime(2012, 1, 2))
    with pytest.raises(InvalidInputError, match="control character"):
        route("/v1" + find("get_series").path_for(SeriesRef("key", key)))


# --- filters -----------------------------------------------------------------------------------

@FAST
@given(
    st.lists(text, max_size=4), st.lists(text, max_size=4), st.lists(text, max_size=5),
    st.dictionaries(text, text, max_size=4),
)
def test_filters_encode_into_a_decodable_query(
    ids: list[str], keys: list[str], tags: list[str], attributes: dict[str, str]
) -> None:
    request = build_get_series(SESSION, Filter(ids, keys, tags, attributes))
    query = urlsplit(request.url).query
    assert "#" not in query
    expected = (
        [("id", v) for v in ids] + [("key", v) for v in keys] + [("tag", v) for v in tags]
        + [(f"attr[{k}]", v) for k, v in attributes.items()]
    )
    assert parse_qsl(query, keep_blank_values=True) == expected


# --- rollups -----------------------------------------------------------------------------------

intervals = st.builds(Interval, st.integers(1, 1000), st.sampled_from(list(Unit)))
ALL_ZONES = sorted(zoneinfo.available_timezones())


@FAST
@given(intervals, st.sampled_from(list(Function)), st.sampled_from(ALL_ZONES))
def test_rollup_parameters_encode_and_parse_back(interval: Interval, function: Function, tz: str) -> None:
    assert Interval.parse(str(interval)) == interval
    assert Interval.parse(interval.iso) == interval
    request = build_read(SESSION, datetime(2012, 1, 1), datetime(2012, 1, 2), Filter(), interval, function, tz)
    query = dict(parse_qsl(urlsplit(request.url).query))
    assert Interval.parse(query["interval"]) == interval
    assert parse_function(query["function"]) is function
    assert query["tz"] == tz
    by_string = build_read(SESSION, datetime(2012, 1, 1), datetime(2012, 1, 2), Filter(), str(interval), function.value)
    assert dict(parse_qsl(urlsplit(by_string.url).query))["interval"] == str(interval)


@FAST
@given(st.text(alphabet=st.characters(categories=["L", "P", "Zs"]), min_size=1))
def test_interval_strings_without_a_number_are_refused(text_value: str) -> None:
    with pytest.raises(InvalidInputError):
        Interval.parse(text_value)


@FAST
@given(st.integers(-1000, 0), st.sampled_from(["min", "hour", "day", "month", "year"]))
def test_non_positive_counts_are_refused(count: int, unit: str) -> None:
    with pytest.raises(InvalidInputError):
        Interval.parse(f"{count}{unit}")


@FAST
@given(st.integers(1, 99), st.text(alphabet="abcdefgijklnopqrtuvxz", min_size=1, max_size=6))
def test_unknown_units_are_refused(count: int, unit: str) -> None:
    known = {"d", "day", "days", "s", "sec", "secs", "y"}
    if unit in known:
        return
    with pytest.raises(InvalidInputError):
        Interval.parse(f"{count}{unit}")


def _seed_rule(span: timedelta) -> Interval | None:
    if span <= timedelta(days=2):
        return None
    if span <= timedelta(days=30):
        return Interval(1, Unit.HOUR)
    return Interval(1, Unit.DAY)


@FAST
@given(
    moments_ms,
    st.sampled_from([timedelta(days=2), timedelta(days=30)]),
    st.one_of(st.integers(-3, 3).map(lambda us: timedelta(microseconds=us)), st.timedeltas(-timedelta(days=1), timedelta(days=1))),
)
def test_auto_interval_around_the_boundaries(start: datetime, boundary: timedelta, delta: timedelta) -> None:
    assert auto_interval(start, start + boundary + delta) == _seed_rule(boundary + delta)


def test_auto_interval_exact_boundaries() -> None:
    start = datetime(2012, 1, 1, tzinfo=UTC)
    assert auto_interval(start, start) is None
    assert auto_interval(start, start + timedelta(days=2)) is None
    assert auto_interval(start, start + timedelta(days=2, microseconds=1)) == Interval(1, Unit.HOUR)
    assert auto_interval(start, start + timedelta(days=30)) == Interval(1, Unit.HOUR)
    assert auto_interval(start, start + timedelta(days=30, microseconds=1)) == Interval(1, Unit.DAY)
    assert auto_interval(start, start + timedelta(days=400)) == Interval(1, Unit.DAY)


# --- timestamps --------------------------------------------------------------------------------

@FAST
@given(st.datetimes(min_value=datetime(1800, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.timezones()))
@example(datetime(1900, 1, 2, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")))  # LMT offset +00:19:32
@example(datetime(2012, 1, 1, tzinfo=timezone(timedelta(seconds=30))))
def test_format_then_parse_is_the_same_instant(moment: datetime) -> None:
    text_value = format_timestamp(moment)
    parsed = parse_timestamp(text_value)
    assert parsed.tzinfo is not None
    assert parsed.astimezone(UTC) == moment.astimezone(UTC)


@FAST
@given(st.datetimes(min_value=datetime(1800, 1, 2), max_value=datetime(9998, 12, 30)))
def test_naive_formats_as_utc(moment: datetime) -> None:
    assert parse_timestamp(format_timestamp(moment)) == moment.replace(tzinfo=UTC)


@FAST
@given(moments_ms.map(lambda m: m.replace(tzinfo=UTC)), st.integers(-14 * 60, 14 * 60))
def test_every_spelling_is_the_same_instant(instant: datetime, offset_minutes: int) -> None:
    base = instant.strftime("%Y-%m-%dT%H:%M:%S")
    ms = f"{instant.microsecond // 1000:03d}"
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    hh, mm = divmod(abs(offset_minutes), 60)
    local_text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms}"
    spellings = [
        f"{base}.{ms}Z", f"{base}.{ms}+0000", f"{base}.{ms}+00:00", f"{base}.{ms}", f"{base}.{ms}000",
        f"{base}.{ms}000000Z", f"{base.replace('T', ' ')}.{ms}Z", f"{base},{ms}Z", f"{base}.{ms}+00",
        f"{local_text}{sign}{hh:02d}:{mm:02d}", f"{local_text}{sign}{hh:02d}{mm:02d}",
    ]
    for spelling in spellings:
        parsed = parse_timestamp(spelling)
        assert parsed.tzinfo is not None, spelling
        assert parsed == instant, spelling


def test_sub_minute_offsets_are_sent_as_utc() -> None:
    moment = datetime(1900, 1, 2, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    request = build_read_one(SESSION, SeriesRef("key", "k"), moment, moment)
    start = dict(parse_qsl(urlsplit(request.url).query))["start"]
    assert start == "1900-01-02T11:40:28+00:00"
    assert parse_timestamp(start) == moment
