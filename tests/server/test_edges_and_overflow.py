"""Issue 11 hardening: the calendar's ends, numeric overflow, and hostile sizes answer 400 (never 500),
and reads stay whole.  Engine-level cases, plus the same answers over a real socket."""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tempodb._wire.intervals import Function
from tempodb.server.rollups import fold, summarize
from tempodb.testing import ServerInfo

DAY = "start=2012-01-01&end=2012-01-02"
EDGES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-14:00",
    "0001-01-01",
    "9999-12-31T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59.999+14:00",
    "9999-12-31",
]
ZONES = ["UTC", "America/Chicago", "Pacific/Kiritimati", "Etc/GMT%2B12"]


# -- finding 7: instants outside years 1-9999 ---------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:00:00-14:00", "0001-01-01T01:00:00+14:00", "9999-12-31T23:59:59.999-00:01"]
)
def test_write_outside_the_calendar_is_refused(api: Any, stamp: str) -> None:
    response = api("POST", "/v1/series/key/a/data/", [{"t": stamp, "v": 2}])
    assert response.status_code == 400, response.body
    assert b"outside years 1-9999" in response.body
    # The whole write is refused: nothing was stored.
    assert api("GET", "/v1/series/key/a/data/?start=0001-01-01&end=9999-12-31T23:59:59.999Z").status_code in (200, 403)
    read = api("GET", "/v1/series/key/a/data/?start=0001-01-01&end=9999-12-31T23:59:59.999Z")
    assert read.status_code == 403 or json.loads(read.body)["data"] == []


def test_fast_path_also_refuses_the_edges(api: Any) -> None:
    """Many points in the fast timestamp shape, one of them past the end: the fast parser must not
    let it through (it would be stored as year 10000 and break every later read)."""
    points = [{"t": f"2012-01-01T00:{m:02d}:00.000Z", "v": m} for m in range(60)]
    points.append({"t": "9999-12-31T23:30:00.000-01:00", "v": 1})
    response = api("POST", "/v1/series/key/a/data/", points)
    assert response.status_code == 400, response.body


def test_the_calendar_ends_themselves_are_stored_and_read(api: Any) -> None:
    first, last = "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.998Z"  # ranges end before `end`
    assert api("POST", "/v1/series/key/a/data/", [{"t": first, "v": 1}, {"t": last, "v": 2}]).status_code == 200
    body = api.ok("GET", "/v1/series/key/a/data/?start=0001-01-01&end=9999-12-31T23:59:59.999Z&interval=raw")
    assert [(p["t"], p["v"]) for p in body["data"]] == [(first, 1), (last, 2)]


def test_reads_at_every_edge_never_fail(api: Any) -> None:
    stored = [{"t": "0001-01-01T00:00:00Z", "v": 1}, {"t": "9999-12-31T23:59:59.999Z", "v": 2}]
    assert api("POST", "/v1/series/key/a/data/", stored).status_code == 200
    rollups = ["", "&interval=1hour&function=mean", "&interval=1day", "&interval=1month", "&interval=1year"]
    for tz in ZONES:
        for start, end in itertools.combinations(EDGES, 2):
            for rollup in rollups:
                response = api("GET", f"/v1/series/key/a/data/?start={start}&end={end}&tz={tz}{rollup}")
                assert response.status_code < 500, (tz, start, end, rollup, response.body)
            response = api("GET", f"/v1/series/key/a/summary/?start={start}&end={end}&tz={tz}")
            assert response.status_code < 500, (tz, start, end, response.body)
        for ts, direction in itertools.product(EDGES, ["before", "after", "nearest", "exact"]):
            response = api("GET", f"/v1/series/key/a/single/?ts={ts}&direction={direction}&tz={tz}")
            assert response.status_code == 200, (tz, ts, direction, response.body)


def test_edge_points_render_in_a_far_zone(api: Any) -> None:
    """9999-12-31T23:59Z is year 10000 in +14:00: such a point is rendered in UTC, not dropped."""
    assert api("POST", "/v1/series/key/a/data/", [{"t": "9999-12-31T23:59:00Z", "v": 2}]).status_code == 200
    body = api.ok("GET", "/v1/series/key/a/data/?start=9999-12-31&end=9999-12-31T23:59:59.999Z&tz=Pacific/Kiritimati")
    assert [(p["t"], p["v"]) for p in body["data"]] == [("9999-12-31T23:59:00.000Z", 2)]


# -- finding 9: huge finite values ---------------------------------------------------------------


def test_huge_values_have_a_mean_and_a_summary(api: Any) -> None:
    points = [{"t": "2012-01-01T00:00:00Z", "v": 1.7e308}, {"t": "2012-01-01T00:30:00Z", "v": 1.7e308}]
    assert api("POST", "/v1/series/key/h/data/", points).status_code == 200
    body = api.ok("GET", f"/v1/series/key/h/data/?{DAY}&interval=1hour&function=mean")
    assert body["data"][0]["v"] == 1.7e308
    summary = body["summary"]
    assert summary["mean"] == 1.7e308 and summary["stddev"] == 0.0 and summary["ss"] == 0.0
    assert summary["sum"] is None  # 3.4e308 has no JSON number (documented in rollups.py)
    assert summary["max"] == summary["min"] == 1.7e308 and summary["count"] == 2
    std = api.ok("GET", f"/v1/series/key/h/data/?{DAY}&interval=1hour&function=stddev")
    assert std["data"][0]["v"] == 0.0


def test_stddev_of_huge_values_of_both_signs() -> None:
    values = [1.2e308, -1.2e308]
    assert fold(Function.STDDEV, values) == pytest.approx(math.sqrt(2) * 1.2e308, rel=1e-12)
    assert fold(Function.MEAN, values) == 0.0


huge = st.floats(min_value=-1.7976931348623157e308, max_value=1.7976931348623157e308, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(huge, min_size=1, max_size=40))
@example([0.0, 2.5904466274743344e-178])  # a square that underflows: the deviation comes from the distance
def test_mean_and_stddev_are_the_exact_ones(values: list[float]) -> None:
    """Law: the mean (and the sample deviation, when in range) equal the exact rational ones."""
    exact_mean = sum(map(Fraction, values)) / len(values)
    summary = summarize(values)
    assert math.isfinite(summary["mean"])
    assert Fraction(summary["mean"]) == pytest.approx(exact_mean, rel=1e-12, abs=1e-300)
    exact_sum = sum(map(Fraction, values))
    if abs(exact_sum) < Fraction(1.7e308):
        assert summary["sum"] == pytest.approx(float(exact_sum), rel=1e-12, abs=1e-300)
    if len(values) > 1:
        variance = sum((Fraction(v) - exact_mean) ** 2 for v in values) / (len(values) - 1)
        if variance < Fraction(1.7e308) ** 2:
            # The deviations are taken from the rounded mean: exact to within the values' own rounding.
            scale = max(map(abs, values))
            assert summary["stddev"] == pytest.approx(_sqrt(variance), rel=1e-9, abs=1e-14 * scale + 1e-300)


def _sqrt(x: Fraction) -> float:
    """The square root of a non-negative rational, to float precision, whatever its size."""
    if x == 0:
        return 0.0
    half = (x.numerator.bit_length() - x.denominator.bit_length()) // 2
    return math.ldexp(math.sqrt(float(x / Fraction(2) ** (2 * half))), half)


# -- finding 11: zones and intervals -------------------------------------------------------------


@pytest.mark.parametrize("tz", ["America", "A" * 300, "Europe/", "../etc/passwd", "America/Chicago/x"])
def test_bad_zones_are_400(api: Any, tz: str) -> None:
    response = api("GET", f"/v1/series/key/a/data/?{DAY}&tz={tz}")
    assert response.status_code == 400, response.body
    assert b"unknown time zone" in response.body and len(response.body) < 300


@pytest.mark.parametrize(
    "interval", ["9" * 5000 + "min", "P" + "9" * 5000 + "D", "9" * 19 + "sec", "10001year", "400000000000sec"]
)
def test_huge_intervals_are_400(api: Any, interval: str) -> None:
    assert api("POST", "/v1/series/key/a/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}]).status_code == 200
    for tz in ("UTC", "America/Chicago"):
        response = api("GET", f"/v1/series/key/a/data/?{DAY}&interval={interval}&tz={tz}")
        assert response.status_code == 400, response.body
        assert b"interval" in response.body and len(response.body) < 400


def test_the_longest_interval_still_works(api: Any) -> None:
    assert api("POST", "/v1/series/key/a/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}]).status_code == 200
    for interval in ("10000year", "120000month"):
        response = api("GET", f"/v1/series/key/a/data/?start=0001-01-01&end=9999-12-31&interval={interval}")
        assert response.status_code < 500, response.body


# -- the same answers over a real socket ---------------------------------------------------------


@pytest.fixture
def http(tempodb_server: ServerInfo) -> Any:
    with httpx.Client(base_url=tempodb_server.url, auth=tempodb_server.new_credentials(), timeout=10) as client:
        yield client


def test_over_http(http: httpx.Client) -> None:
    bad = http.post("series/key/edge/data/", json=[{"t": "9999-12-31T23:00:00-14:00", "v": 2}])
    assert bad.status_code == 400 and "outside years 1-9999" in bad.text
    huge_points = [{"t": "2012-01-01T00:00:00Z", "v": 1.7e308}, {"t": "2012-01-01T00:30:00Z", "v": 1.7e308}]
    assert http.post("series/key/edge/data/", json=huge_points).status_code == 200
    read = http.get("series/key/edge/data/", params={"start": "2012-01-01", "end": "2012-01-02", "interval": "1hour"})
    assert read.status_code == 200 and read.json()["data"][0]["v"] == 1.7e308
    for params in ({"tz": "America"}, {"tz": "A" * 300}, {"interval": "9" * 5000 + "min"}):
        answer = http.get("series/key/edge/data/", params={"start": "2012-01-01", "end": "2012-01-02", **params})
        assert answer.status_code == 400, (params, answer.text)
    edge = http.get("series/key/edge/single/", params={"ts": "9999-12-31T23:59:59.999Z", "tz": "Pacific/Kiritimati"})
    assert edge.status_code == 200


# -- finding 8: increments past 64 bits ----------------------------------------------------------

INT64_MAX = 2**63 - 1


def _values(api: Any, key: str) -> list[Any]:
    return [p["v"] for p in api.ok("GET", f"/v1/series/key/{key}/data/?{DAY}")["data"]]


@pytest.mark.parametrize(
    ("stored", "amount"), [(INT64_MAX, 1), (-(2**63), -1), (1, INT64_MAX), (1.0e300, 1)]
)
def test_increment_overflow_is_refused_and_nothing_changes(api: Any, stored: int | float, amount: int) -> None:
    t0, t1 = "2012-01-01T00:00:00.000Z", "2012-01-01T01:00:00.000Z"
    assert api("POST", "/v1/series/key/c/data/", [{"t": t0, "v": stored}, {"t": t1, "v": 5}]).status_code == 200
    before = _values(api, "c")
    for method, target, body in [
        ("POST", "/v1/series/key/c/increment/", [{"t": t1, "v": 1}, {"t": t0, "v": amount}]),
        ("POST", "/v1/increment/", {"t": t0, "data": [{"key": "c", "v": amount}]}),
        ("POST", "/v1/multi/increment/", [{"t": t1, "key": "c", "v": 1}, {"t": t0, "key": "c", "v": amount}]),
    ]:
        response = api(method, target, body)
        assert response.status_code == 400, (target, response.body)
        assert b"64-bit integer range" in response.body
        assert _values(api, "c") == before  # the whole request was refused, the t1 add included


def test_increments_within_64_bits_still_add(api: Any) -> None:
    t0 = "2012-01-01T00:00:00.000Z"
    for amount in (INT64_MAX - 1, 1, -5, 5):
        assert api("POST", "/v1/series/key/c/increment/", [{"t": t0, "v": amount}]).status_code == 200
    assert _values(api, "c") == [INT64_MAX]
    assert type(_values(api, "c")[0]) is int


def test_two_amounts_in_one_body_that_overflow_together(api: Any) -> None:
    body = [{"t": "2012-01-01T00:00:00Z", "v": -(2**63)}, {"t": "2012-01-01T00:00:00Z", "v": -1}]
    assert api("POST", "/v1/series/key/n/increment/", body).status_code == 400
    assert api("GET", f"/v1/series/key/n/data/?{DAY}").status_code == 403  # not even created


# -- finding 10: a multi item's unknown id that is a taken key -----------------------------------


@pytest.mark.parametrize("target", ["/v1/multi/", "/v1/multi/increment/"])
def test_multi_item_whose_id_is_a_taken_key_is_refused_alone(api: Any, target: str) -> None:
    taken = api.ok("POST", "/v1/series/", {"key": "k1"})
    body = [
        {"t": "2012-01-01T00:00:00Z", "id": "k1", "v": 1},
        {"t": "2012-01-01T00:00:00Z", "key": "ok", "v": 2},
        {"t": "2012-01-01T00:00:00Z", "id": "newid", "v": 3},
        {"t": "2012-01-01T01:00:00Z", "id": "k1", "v": 4},
        {"t": "2012-01-01T02:00:00Z", "id": taken["id"], "v": 5},
    ]
    response = api("POST", target, body)
    assert response.status_code == 207, response.body
    statuses = json.loads(response.body)["multistatus"]
    assert [s["status"] for s in statuses] == ["422", "200", "200", "422", "200"]
    assert "key k1 belongs to another series" in statuses[0]["messages"][0]
    assert _values(api, "ok") == [2] and _values(api, "newid") == [3]
    assert _values(api, "k1") == [5]  # only the item naming k1's real id


def test_multi_refusal_found_by_the_write_itself(api: Any) -> None:
    """The write itself finds an id whose key = id is taken, and that id alone is refused."""
    api.ok("POST", "/v1/series/", {"key": "k1"})
    body = [{"t": "2012-01-01T00:00:00Z", "id": "k1", "v": 1}, {"t": "2012-01-01T00:00:00Z", "key": "ok", "v": 2}]
    response = api("POST", "/v1/multi/", body)
    assert response.status_code == 207, response.body
    assert [s["status"] for s in json.loads(response.body)["multistatus"]] == ["422", "200"]
    assert _values(api, "ok") == [2]


# -- finding 11: deep JSON and large filters -----------------------------------------------------


@pytest.mark.parametrize("target", ["/v1/series/key/d/data/", "/v1/multi/", "/v1/data/", "/v1/series/"])
def test_deeply_nested_json_is_400(api: Any, target: str) -> None:
    response = api("POST", target, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400, response.body
    assert b"too deeply" in response.body
    objects = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    assert api("POST", target, objects).status_code == 400


def _make_tagged(api: Any) -> None:
    api.ok("POST", "/v1/series/", {"key": "all"})
    series = api.ok("GET", "/v1/series/key/all/")
    tags = [f"t{i}" for i in range(1001)]
    attributes = {f"a{i}": "v" for i in range(1001)}
    api.ok("PUT", f"/v1/series/id/{series['id']}/", {**series, "tags": tags, "attributes": attributes})
    some = api.ok("POST", "/v1/series/", {"key": "some"})
    api.ok("PUT", f"/v1/series/id/{some['id']}/", {**some, "tags": tags[:10], "attributes": {"a0": "v", "a1": "w"}})


def _keys(api: Any, query: str) -> list[str]:
    return [s["key"] for s in api.ok("GET", f"/v1/series/?{query}")]


def test_a_thousand_tags_and_attributes_filter(api: Any) -> None:
    _make_tagged(api)
    tags = "&".join(f"tag=t{i}" for i in range(1001))
    attrs = "&".join(f"attr[a{i}]=v" for i in range(1001))
    assert _keys(api, tags) == ["all"]
    assert _keys(api, attrs) == ["all"]
    assert _keys(api, tags + "&" + attrs) == ["all"]
    assert _keys(api, "tag=t1&tag=t2&tag=t1") == ["all", "some"]
    assert _keys(api, "attr[a0]=v") == ["all", "some"]
    assert _keys(api, "attr[a0]=v&attr[a1]=v") == ["all"]
    assert _keys(api, "attr[a0]=v&attr[a0]=w") == []  # one name cannot hold two values
    assert _keys(api, "tag=t1&tag=nope") == []
    deleted = api("DELETE", f"/v1/series/?{tags}")
    assert deleted.status_code == 200 and json.loads(deleted.body) == {"deleted": 1}


def test_filters_past_the_cap_are_400(api: Any) -> None:
    from tempodb.server.sqlite import MAX_FILTER_TERMS

    query = "&".join(f"tag=t{i}" for i in range(MAX_FILTER_TERMS + 1))
    response = api("GET", f"/v1/series/?{query}")
    assert response.status_code == 400 and b"at most" in response.body


def test_large_filters_over_http(http: httpx.Client) -> None:
    params = [("tag", f"t{i}") for i in range(1001)] + [(f"attr[a{i}]", "v") for i in range(1001)]
    answer = http.get("series/", params=params)
    assert answer.status_code == 200 and answer.json() == []
    deep = http.post("multi/", content=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 400, deep.text
    taken = http.post("series/", json={"key": "http-k1"}).json()
    multi = http.post("multi/", json=[{"t": "2012-01-01T00:00:00Z", "id": "http-k1", "v": 1},
                                      {"t": "2012-01-01T00:00:00Z", "id": taken["id"], "v": 2}])
    assert multi.status_code == 207 and [s["status"] for s in multi.json()["multistatus"]] == ["422", "200"]
    assert http.post("series/key/http-c/increment/", json=[{"t": "2012-01-01T00:00:00Z", "v": INT64_MAX}]).status_code == 200
    over = http.post("series/key/http-c/increment/", json=[{"t": "2012-01-01T00:00:00Z", "v": 1}])
    assert over.status_code == 400 and "64-bit" in over.text


# -- our own client against the server -----------------------------------------------------------


def test_client_reads_huge_values_and_refuses_bad_input(tempodb_server: ServerInfo) -> None:
    import tempodb
    from tempodb import DataPoint

    key, secret = tempodb_server.new_credentials()
    start, end = datetime(2012, 1, 1, tzinfo=timezone.utc), datetime(2012, 1, 2, tzinfo=timezone.utc)
    with tempodb.Client(key, secret, tempodb_server.host, tempodb_server.port, False, retry=False) as client:
        client.write_key("huge", [DataPoint(start, 1.7e308), DataPoint(start + timedelta(minutes=30), 1.7e308)])
        summed = client.read_key("huge", start, end, interval="1hour", function="sum")
        assert len(summed.data) == 1 and math.isnan(summed.data[0].value)  # 3.4e308: null on the wire
        assert summed.summary is not None and summed.summary.mean == 1.7e308 and math.isnan(summed.summary.sum)
        assert client.read_key("huge", start, end, interval="1hour").data[0].value == 1.7e308
        summary = client.summary_key("huge", start, end).summary
        assert math.isnan(summary.sum) and summary.mean == 1.7e308 and summary.count == 2  # type: ignore[arg-type]
        for bad in ({"tz": "America"}, {"tz": "A" * 300}, {"interval": "9" * 5000 + "min"}):
            with pytest.raises(tempodb.InvalidInputError):
                client.read_key("huge", start, end, **bad)  # type: ignore[arg-type]
        late = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))
        with pytest.raises(tempodb.InvalidInputError, match="outside years 1-9999"):
            client.write_key("huge", [DataPoint(late, 2)])
        edge = datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)
        client.write_key("edge", [DataPoint(edge, 2)])
        found = client.single_value_key("edge", edge, "before", tz="Pacific/Kiritimati")
        assert found.data is not None and found.data.value == 2 and found.data.ts == edge
