"""The exact HTTP requests of docs/protocol.md §1.3, §1.5 and §6: method, path, query, body and headers."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
from core_driver import KEY, SECRET, body_bytes, body_json, drive, make, ok, path_of, query_of

from tempodb._core import ops
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint, Series
from tempodb._core.query import Filter
from tempodb._core.session import DEFAULT_GZIP_THRESHOLD, Session, base_url, gzip_threshold_for
from tempodb._version import __version__
from tempodb._wire.http import Request
from tempodb._wire.intervals import Function, Interval, Unit
from tempodb._wire.keys import SeriesRef

START = datetime(2012, 3, 27)  # naive, as the 2013 client's tests pass them: means UTC
END = datetime(2012, 3, 28)
START_Q = "2012-03-27T00%3A00%3A00%2B00%3A00"
END_Q = "2012-03-28T00%3A00%3A00%2B00%3A00"
SERIES_JSON = b'{"id":"id","key":"k","name":"","tags":[],"attributes":{}}'
DATASET_JSON = b'{"series":' + SERIES_JSON + b',"start":"2012-03-27T00:00:00Z","end":"2012-03-28T00:00:00Z","data":[]}'


def one_request(op: Any, body: bytes = b"") -> Request:
    run = drive(op, [ok(body)])
    run.value  # noqa: B018 - raises the operation's error, if any
    [request] = run.requests
    return request


def raw_query(request: Request) -> str:
    return urlsplit(request.url).query


# --- series ------------------------------------------------------------------------------------


def test_create_series_with_and_without_key(session: Session) -> None:
    request = one_request(ops.create_series(session, "my-key.tag1.1"), SERIES_JSON)
    assert (request.method, request.url) == ("POST", "http://tempo.test/v1/series/")
    assert body_json(request) == {"key": "my-key.tag1.1"}
    bare = one_request(ops.create_series(session), SERIES_JSON)
    assert bare.body == b"{}"


def test_get_series_without_filter_has_no_query(session: Session) -> None:
    request = one_request(ops.get_series(session, Filter()), b"[]")
    assert (request.method, request.url) == ("GET", "http://tempo.test/v1/series/")


def test_get_series_with_every_filter(session: Session) -> None:
    selection = Filter(ids=["i1", "i2"], keys=["k 1"], tags=["t1", "t2"], attributes={"name": "value", "b": "x y"})
    request = one_request(ops.get_series(session, selection), b"[]")
    assert path_of(request) == "/v1/series/"
    assert raw_query(request) == (
        "id=i1&id=i2&key=k+1&tag=t1&tag=t2&attr%5Bname%5D=value&attr%5Bb%5D=x+y"
    )
    assert query_of(request) == [
        ("id", "i1"), ("id", "i2"), ("key", "k 1"), ("tag", "t1"), ("tag", "t2"),
        ("attr[name]", "value"), ("attr[b]", "x y"),
    ]


def test_get_one_series_by_id_and_key(session: Session) -> None:
    assert one_request(ops.get_series_one(session, SeriesRef("id", "abc")), SERIES_JSON).url == "http://tempo.test/v1/series/id/abc/"
    by_key = one_request(ops.get_series_one(session, SeriesRef("key", "ke:y/1")), SERIES_JSON)
    assert by_key.url == "http://tempo.test/v1/series/key/ke%3Ay%2F1/"


def test_update_series_puts_the_whole_series(session: Session) -> None:
    series = Series("abc", "key1", "name", {"a": "1"}, ["t"])
    request = one_request(ops.update_series(session, series), SERIES_JSON)
    assert (request.method, request.url) == ("PUT", "http://tempo.test/v1/series/id/abc/")
    assert body_json(request) == {"id": "abc", "key": "key1", "name": "name", "attributes": {"a": "1"}, "tags": ["t"]}


def test_delete_series_with_filter_sends_allow_truncation_false(session: Session) -> None:
    request = one_request(ops.delete_series(session, Filter(tags=["old"])), b'{"deleted": 3}')
    assert (request.method, path_of(request)) == ("DELETE", "/v1/series/")
    assert query_of(request) == [("tag", "old"), ("allow_truncation", "false")]
    assert request.body == b""


def test_delete_series_without_filter_is_refused_unless_truncation_allowed(session: Session) -> None:
    op = ops.delete_series(session, Filter())
    with pytest.raises(InvalidInputError, match="allow_truncation"):
        next(op)
    request = one_request(ops.delete_series(session, Filter(), allow_truncation=True), b'{"deleted": 7}')
    assert request.url == "http://tempo.test/v1/series/?allow_truncation=true"
    run = drive(ops.delete_series(session, Filter(), allow_truncation=True), [ok(b'{"deleted": 7}')])
    assert run.value.deleted == 7


# --- reads -------------------------------------------------------------------------------------


def test_read_id_exact_url(session: Session) -> None:
    request = one_request(ops.read_one(session, SeriesRef("id", "id"), START, END), DATASET_JSON)
    assert request.method == "GET"
    assert request.url == f"http://tempo.test/v1/series/id/id/data/?start={START_Q}&end={END_Q}"
    assert request.body == b""


def test_read_key_escapes_the_key_as_one_segment(session: Session) -> None:
    request = one_request(ops.read_one(session, SeriesRef("key", "ke:y/1"), START, END), DATASET_JSON)
    assert path_of(request) == "/v1/series/key/ke%3Ay%2F1/data/"
    spaced = one_request(ops.read_one(session, SeriesRef("key", "my key"), START, END), DATASET_JSON)
    assert path_of(spaced) == "/v1/series/key/my%20key/data/"
    odd = one_request(ops.read_one(session, SeriesRef("key", "a b^d&e?f/g#h+i%j"), START, END), DATASET_JSON)
    assert path_of(odd) == "/v1/series/key/a%20b%5Ed%26e%3Ff%2Fg%23h%2Bi%25j/data/"


def test_read_one_with_rollup_parameters(session: Session) -> None:
    request = one_request(
        ops.read_one(session, SeriesRef("key", "k"), START, END, interval="1hour", function="avg", tz="America/Chicago"),
        DATASET_JSON,
    )
    # START and END are naive: a call that names tz reads them in that zone (CDT here).
    assert query_of(request) == [
        ("start", "2012-03-27T00:00:00-05:00"), ("end", "2012-03-28T00:00:00-05:00"),
        ("interval", "1hour"), ("function", "avg"), ("tz", "America/Chicago"),
    ]


@pytest.mark.parametrize(
    ("interval", "sent"),
    [
        (Interval(5, Unit.MINUTE), "5min"),
        (timedelta(hours=6), "6hour"),
        ("PT5M", "5min"),
        ("1 Day", "1day"),
        ("raw", "raw"),
        (Interval.months(3), "3month"),
    ],
)
def test_interval_spellings_are_normalised(session: Session, interval: Any, sent: str) -> None:
    request = one_request(ops.read_one(session, SeriesRef("key", "k"), START, END, interval=interval), DATASET_JSON)
    assert dict(query_of(request))["interval"] == sent


def test_empty_rollup_arguments_are_left_out(session: Session) -> None:
    request = one_request(ops.read_one(session, SeriesRef("key", "k"), START, END, interval="", function="", tz=""), DATASET_JSON)
    assert [name for name, _ in query_of(request)] == ["start", "end"]


def test_function_enum_and_case(session: Session) -> None:
    request = one_request(ops.read_one(session, SeriesRef("key", "k"), START, END, function=Function.STDDEV), DATASET_JSON)
    assert dict(query_of(request))["function"] == "stddev"
    upper = one_request(ops.read_one(session, SeriesRef("key", "k"), START, END, function="MEAN"), DATASET_JSON)
    assert dict(query_of(upper))["function"] == "mean"


def test_read_many(session: Session) -> None:
    selection = Filter(keys=["key1"], tags=["a"], attributes={"x": "1"})
    request = one_request(ops.read(session, START, END, selection, interval="1day", function="max"), b"[]")
    assert (request.method, path_of(request)) == ("GET", "/v1/data/")
    assert query_of(request) == [
        ("start", "2012-03-27T00:00:00+00:00"), ("end", "2012-03-28T00:00:00+00:00"),
        ("key", "key1"), ("tag", "a"), ("attr[x]", "1"), ("interval", "1day"), ("function", "max"),
    ]


def test_aware_and_date_bounds(session: Session) -> None:
    minus5 = timezone(timedelta(hours=-5))
    request = one_request(
        ops.read_one(session, SeriesRef("key", "k"), datetime(2012, 1, 1, 4, tzinfo=minus5), date(2012, 1, 2)), DATASET_JSON
    )
    assert query_of(request)[:2] == [("start", "2012-01-01T04:00:00-05:00"), ("end", "2012-01-02T00:00:00+00:00")]


def test_summary_and_single_value_requests(session: Session) -> None:
    summary_body = b'{"series":' + SERIES_JSON + b',"start":"2012-03-27T00:00:00Z","end":"2012-03-28T00:00:00Z","summary":{}}'
    request = one_request(ops.summary_one(session, SeriesRef("key", "k"), START, END, tz="UTC"), summary_body)
    assert path_of(request) == "/v1/series/key/k/summary/"
    assert query_of(request) == [
        ("start", "2012-03-27T00:00:00+00:00"), ("end", "2012-03-28T00:00:00+00:00"), ("tz", "UTC"),
    ]
    single_body = b'{"series":' + SERIES_JSON + b',"data":null}'
    one = one_request(ops.single_value_one(session, SeriesRef("id", "abc"), START, "before"), single_body)
    assert path_of(one) == "/v1/series/id/abc/single/"
    assert query_of(one) == [("ts", "2012-03-27T00:00:00+00:00"), ("direction", "before")]
    now = one_request(ops.single_value_one(session, SeriesRef("key", "k")), single_body)
    assert query_of(now) == [("direction", "exact")]
    many = one_request(ops.single_value(session, Filter(tags=["t"]), START, "nearest", "EST"), b"[]")
    assert path_of(many) == "/v1/single/"
    assert query_of(many) == [
        ("tag", "t"), ("ts", "2012-03-27T00:00:00-04:00"), ("direction", "nearest"), ("tz", "EST"),  # EST: New York
    ]


def test_delete_range(session: Session) -> None:
    request = one_request(ops.delete_range(session, SeriesRef("key", "ke:y/1"), START, END))
    assert request.method == "DELETE"
    assert request.url == f"http://tempo.test/v1/series/key/ke%3Ay%2F1/data/?start={START_Q}&end={END_Q}"
    assert "Content-Type" not in request.headers
    same = one_request(ops.delete_range(session, SeriesRef("id", "abc"), START, START))  # start == end: one point
    assert dict(query_of(same))["start"] == dict(query_of(same))["end"]


# --- writes ------------------------------------------------------------------------------------

POINTS = [DataPoint(datetime(2012, 3, 27), 12.34), DataPoint(datetime(2012, 3, 27, 0, 1), 5)]
POINTS_JSON = [{"t": "2012-03-27T00:00:00Z", "v": 12.34}, {"t": "2012-03-27T00:01:00Z", "v": 5}]


@pytest.mark.parametrize(
    ("by", "value", "path"),
    [("id", "abc", "/v1/series/id/abc/"), ("key", "ke:y/1", "/v1/series/key/ke%3Ay%2F1/")],
)
def test_write_and_increment_points(session: Session, by: str, value: str, path: str) -> None:
    write = one_request(ops.write_points(session, SeriesRef(by, value), POINTS))
    assert (write.method, path_of(write)) == ("POST", path + "data/")
    assert body_json(write) == POINTS_JSON
    increment = one_request(ops.increment_points(session, SeriesRef(by, value), POINTS))
    assert (increment.method, path_of(increment)) == ("POST", path + "increment/")
    assert body_json(increment) == POINTS_JSON


def test_write_keeps_int_and_float_apart(session: Session) -> None:
    request = one_request(ops.write_points(session, SeriesRef("key", "k"), [DataPoint(date(2012, 1, 1), 3), DataPoint(date(2012, 1, 2), 3.0)]))
    assert request.body == b'[{"t":"2012-01-01T00:00:00Z","v":3},{"t":"2012-01-02T00:00:00Z","v":3.0}]'


def test_the_callers_points_are_not_modified(session: Session) -> None:
    naive = DataPoint(datetime(2012, 1, 1), 1)
    one_request(ops.write_points(session, SeriesRef("key", "k"), [naive]))
    assert naive.ts.tzinfo is None


def test_bulk_write_and_increment(session: Session) -> None:
    data = [{"id": "01868c1a2aaf416ea6cd8edd65e7a4b8", "v": 4.164}, {"key": "your-custom-key", "v": 73.55}]
    expected = {
        "t": "2012-01-08T01:21:54Z",
        "data": [{"v": 4.164, "id": "01868c1a2aaf416ea6cd8edd65e7a4b8"}, {"v": 73.55, "key": "your-custom-key"}],
    }
    write = one_request(ops.write_bulk(session, datetime(2012, 1, 8, 1, 21, 54), data))
    assert (write.method, write.url) == ("POST", "http://tempo.test/v1/data/")
    assert body_json(write) == expected
    increment = one_request(ops.increment_bulk(session, datetime(2012, 1, 8, 1, 21, 54), data))
    assert (increment.method, increment.url) == ("POST", "http://tempo.test/v1/increment/")
    assert body_json(increment) == expected


def test_multi_write_and_increment(session: Session) -> None:
    data = [
        {"t": datetime(2012, 1, 8, 1, 21, 54), "key": "your-custom-key", "v": 4.164},
        {"t": datetime(2012, 1, 8, 1, 21, 55), "id": "abc", "v": 73},
        {"t": datetime(2012, 1, 8, 1, 21, 56), "id": "wins", "key": "ignored", "v": 1},
    ]
    expected = [
        {"t": "2012-01-08T01:21:54Z", "key": "your-custom-key", "v": 4.164},
        {"t": "2012-01-08T01:21:55Z", "id": "abc", "v": 73},
        {"t": "2012-01-08T01:21:56Z", "id": "wins", "v": 1},
    ]
    write = one_request(ops.write_multi(session, data))
    assert (write.method, write.url) == ("POST", "http://tempo.test/v1/multi/")
    assert body_json(write) == expected
    increment = one_request(ops.increment_multi(session, data))
    assert (increment.method, increment.url) == ("POST", "http://tempo.test/v1/multi/increment/")
    assert body_json(increment) == expected


# --- headers, gzip, URL ------------------------------------------------------------------------


def test_headers_on_every_request(session: Session) -> None:
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    get = one_request(ops.get_series(session, Filter()), b"[]")
    post = one_request(ops.write_points(session, SeriesRef("key", "k"), POINTS))
    put = one_request(ops.update_series(session, Series("a", "k")), SERIES_JSON)
    delete = one_request(ops.delete_range(session, SeriesRef("key", "k"), START, END))
    for request in (get, post, put, delete):
        assert request.headers["Authorization"] == f"Basic {token}"
        assert request.headers["User-Agent"] == f"tempodb-python/{__version__}"
        assert request.headers["Accept-Encoding"] == "gzip"
    assert post.headers["Content-Type"] == put.headers["Content-Type"] == "application/json"
    assert "Content-Type" not in get.headers and "Content-Type" not in delete.headers
    assert "Content-Encoding" not in post.headers


def test_user_agent_version_is_the_package_version() -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("tempodb-revived")
    except PackageNotFoundError:
        pytest.skip("tempodb is not installed as a distribution")
    assert installed == __version__


def test_large_bodies_are_gzipped() -> None:
    session = make(gzip_threshold=200)
    points = [DataPoint(datetime(2012, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i), i * 1.5) for i in range(50)]
    request = one_request(ops.write_points(session, SeriesRef("key", "k"), points))
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"] == "application/json"
    assert gzip.decompress(request.body) == msgspec.json.encode(points)
    assert len(request.body) < len(gzip.decompress(request.body))
    assert [p["v"] for p in json.loads(body_bytes(request))] == [i * 1.5 for i in range(50)]


def test_small_bodies_and_disabled_gzip_stay_plain() -> None:
    small = one_request(ops.write_points(make(gzip_threshold=10_000), SeriesRef("key", "k"), POINTS))
    assert "Content-Encoding" not in small.headers
    assert json.loads(small.body) == POINTS_JSON
    points = [DataPoint(datetime(2012, 1, 1) + timedelta(minutes=i), i) for i in range(500)]
    never = one_request(ops.write_points(make(gzip_threshold=None), SeriesRef("key", "k"), points))
    assert "Content-Encoding" not in never.headers
    assert len(json.loads(never.body)) == 500


@pytest.mark.parametrize(
    ("url", "threshold"),
    [
        ("https://api.tempo-db.com", DEFAULT_GZIP_THRESHOLD),
        ("http://10.0.0.7:4242", DEFAULT_GZIP_THRESHOLD),
        ("http://127.0.0.1:4242", None),
        ("http://127.8.9.10", None),
        ("http://[::1]:4242", None),
        ("http://localhost:4242", None),
        ("http://LocalHost", None),
        ("http://db.localhost", None),
        ("http://localhost.example.com", DEFAULT_GZIP_THRESHOLD),
    ],
)
def test_auto_gzip_compresses_for_remote_servers_only(url: str, threshold: int | None) -> None:
    big = [DataPoint(datetime(2012, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=i), i * 0.5) for i in range(5000)]
    request = one_request(ops.write_points(make(gzip_threshold="auto", url=url), SeriesRef("key", "k"), big))
    assert ("Content-Encoding" in request.headers) == (threshold is not None)
    assert gzip_threshold_for(url, "auto") == threshold
    assert gzip_threshold_for(url, 1) == 1 and gzip_threshold_for(url, None) is None


@pytest.mark.parametrize("bad", [-1, 1.5, True, "always"])
def test_a_gzip_threshold_that_is_not_a_size_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidInputError, match="gzip_threshold must be a byte count, None or 'auto'"):
        make(gzip_threshold=bad)


@pytest.mark.parametrize(
    ("host", "port", "secure", "expected"),
    [
        ("api.tempo-db.com", 443, True, "https://api.tempo-db.com"),
        ("api.tempo-db.com", 80, False, "http://api.tempo-db.com"),
        ("api.tempo-db.com", 8443, True, "https://api.tempo-db.com:8443"),
        ("localhost", 8080, False, "http://localhost:8080"),
        ("localhost", 443, False, "http://localhost:443"),
        ("localhost", 80, True, "https://localhost:80"),
    ],
)
def test_port_omitted_only_for_the_scheme_default(host: str, port: int, secure: bool, expected: str) -> None:
    assert base_url(host, port, secure) == expected


def test_requests_are_rooted_at_v1_of_the_base_url() -> None:
    session = make(url=base_url("api.tempo-db.com", 443, True) + "/")
    request = one_request(ops.get_series(session, Filter()), b"[]")
    assert request.url == "https://api.tempo-db.com/v1/series/"
    assert request.target == "/v1/series/"


def test_a_session_cannot_change_under_operations_in_flight(session: Session) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        session.chunk_size = 1
    with pytest.raises(AttributeError, match="immutable"):
        del session.retry


def _every_call(session: Session) -> dict[str, Request]:
    """One request per endpoint of the table, with every option the client can set."""
    ref, everything = SeriesRef("key", "k"), Filter(["i"], ["k"], ["t"], {"a": "b"})
    t0, t1 = datetime(2012, 1, 1), datetime(2012, 1, 2)
    series = Series("i", "k")
    first = lambda op: drive(op, [ok(b"{}")], strict=False).effects[0].request  # noqa: E731
    return {
        "list_series": first(ops.get_series(session, everything)),
        "create_series": first(ops.create_series(session, "k")),
        "delete_series": first(ops.delete_series(session, everything, allow_truncation=True)),
        "get_series": first(ops.get_series_one(session, ref)),
        "update_series": first(ops.update_series(session, series)),
        "delete_one_series": first(ops.delete_one_series(session, ref)),
        "read_one": first(ops.read_one(session, ref, t0, t1, "1hour", "max", "UTC")),
        "write_one": first(ops.write_points(session, ref, POINTS)),
        "delete_range": first(ops.delete_range(session, ref, t0, t1)),
        "increment_one": first(ops.increment_points(session, ref, POINTS)),
        "single_one": first(ops.single_value_one(session, ref, t0, "before", "UTC")),
        "summary_one": first(ops.summary_one(session, ref, t0, t1, "UTC")),
        "read": first(ops.read(session, t0, t1, everything, "1hour", "max", "UTC")),
        "write_bulk": first(ops.write_bulk(session, t0, [{"key": "k", "v": 1}])),
        "increment_bulk": first(ops.increment_bulk(session, t0, [{"key": "k", "v": 1}])),
        "write_multi": first(ops.write_multi(session, [{"t": t0, "key": "k", "v": 1}])),
        "increment_multi": first(ops.increment_multi(session, [{"t": t0, "key": "k", "v": 1}])),
        "single": first(ops.single_value(session, everything, t0, "after", "UTC")),
    }


def test_every_request_is_its_table_entry(session: Session) -> None:
    # The endpoint table is the one description of each call: method, path, and the only query
    # parameters a request may carry (attr[name] counts as "attr[]").
    from tempodb._wire.endpoints import ENDPOINTS, route

    calls = _every_call(session)
    assert set(calls) == {endpoint.name for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        request = calls[endpoint.name]
        found = route(urlsplit(request.url).path)
        assert found is not None and found.endpoint(request.method) == endpoint, endpoint.name
        names = {"attr[]" if name.startswith("attr[") else name for name, _ in query_of(request)}
        assert names <= set(endpoint.query), (endpoint.name, names - set(endpoint.query))
