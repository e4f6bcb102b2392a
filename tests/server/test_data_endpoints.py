"""Reads, writes, increments, deletes, single values and summaries (docs/protocol.md §6.6-6.17) through Engine.handle."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

# Response bodies recorded from the real service (a copy of shared/fixtures kept with the tests).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _fixtures() -> Path:
    return FIXTURES


DAY = "start=2012-01-01T00:00:00.000Z&end=2012-01-02T00:00:00.000Z"


def _points(n: int, step_s: int = 60) -> list[dict[str, Any]]:
    return [{"t": f"2012-01-01T{(i * step_s) // 3600:02d}:{(i * step_s) // 60 % 60:02d}:{i * step_s % 60:02d}Z", "v": i} for i in range(n)]


def test_write_then_read_raw_keeps_int_and_float(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00", "v": 1}, {"t": "2012-01-01T00:01:00.000+00:00", "v": 1.0}])
    response = api("GET", f"/v1/series/key/k/data/?{DAY}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert b'"data":[{"t":"2012-01-01T00:00:00.000Z","v":1},{"t":"2012-01-01T00:01:00.000Z","v":1.0}]' in response.body
    body = json.loads(response.body)
    assert list(body) == ["series", "start", "end", "data", "rollup", "summary"]
    assert body["rollup"] is None and body["start"] == "2012-01-01T00:00:00.000Z" and body["end"] == "2012-01-02T00:00:00.000Z"
    assert list(body["summary"]) == ["sum", "mean", "max", "min", "stddev", "ss", "count"]
    assert body["summary"]["count"] == 2 and body["summary"]["stddev"] == 0.0


def test_write_semantics(api: Any) -> None:
    # Overwrite, last duplicate wins, half-open range, sub-millisecond truncation, numeric strings.
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}, {"t": "2012-01-01T00:00:00Z", "v": 2}])
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00.0009Z", "v": 3}, {"t": "2012-01-02T00:00:00Z", "v": "4.5"}])
    data = api.ok("GET", f"/v1/series/key/k/data/?{DAY}")["data"]
    assert data == [{"t": "2012-01-01T00:00:00.000Z", "v": 3}]
    assert api.ok("GET", "/v1/series/key/k/data/?start=2012-01-02&end=2012-01-03")["data"] == [{"t": "2012-01-02T00:00:00.000Z", "v": 4.5}]
    assert api.ok("POST", "/v1/series/key/k/data/", []) is None


def test_write_without_t_uses_server_time(api: Any) -> None:
    api.engine._clock = lambda: 1325376000.5
    api.ok("POST", "/v1/series/key/k/data/", [{"v": 7}])
    single = api.ok("GET", "/v1/series/key/k/single/?ts=2012-01-01T00:00:00.500Z")
    assert single["data"] == {"t": "2012-01-01T00:00:00.500Z", "v": 7}


@pytest.mark.parametrize(
    "body",
    [
        [{"t": "2012-01-01T00:00:00Z", "v": True}],
        [{"t": "2012-01-01T00:00:00Z", "v": None}],
        [{"t": "2012-01-01T00:00:00Z", "v": {"a": 1}}],
        [{"t": "2012-01-01T00:00:00Z", "v": "NaN"}],
        [{"t": "2012-01-01T00:00:00Z", "v": "abc"}],
        [{"t": "2012-01-01T00:00:00Z"}],
        [{"t": "yesterday", "v": 1}],
        [{"t": 5, "v": 1}],
        [1],
        {"t": "2012-01-01T00:00:00Z", "v": 1},
    ],
)
def test_invalid_write_is_400_and_writes_nothing(api: Any, body: Any) -> None:
    good = {"t": "2012-01-01T00:05:00Z", "v": 1}
    payload = [good, *body] if isinstance(body, list) else body
    response = api("POST", "/v1/series/key/k/data/", payload)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain") and response.text
    assert api("GET", f"/v1/series/key/k/data/?{DAY}").status_code == 403  # not even auto-created


def test_write_by_unknown_id_is_403(api: Any) -> None:
    assert api("POST", "/v1/series/id/0123456789abcdef0123456789abcdef/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}]).status_code == 403
    assert api("POST", "/v1/series/id/0123456789abcdef0123456789abcdef/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 1}]).status_code == 403


def test_read_errors(api: Any) -> None:
    api.ok("POST", "/v1/series/", {"key": "k"})
    assert api("GET", "/v1/series/key/missing/data/?" + DAY).status_code == 403
    for query in ("end=2012-01-02", "start=2012-01-01", "start=2012-01-02&end=2012-01-01", "start=bad&end=2012-01-01",
                  DAY + "&interval=5fortnights", DAY + "&function=median", DAY + "&tz=Mars/Olympus"):
        response = api("GET", "/v1/series/key/k/data/?" + query)
        assert response.status_code == 400, query
        assert response.text, query


def test_rollups_and_echo(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", _points(120))
    body = api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=1hour&function=avg")
    assert body["rollup"] == {"interval": "PT1H", "function": "avg", "tz": "UTC"}
    assert body["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": 29.5}, {"t": "2012-01-01T01:00:00.000Z", "v": 89.5}]
    assert body["summary"]["count"] == 120
    counts = api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=30min&function=count")
    assert counts["data"][0]["v"] == 30 and counts["rollup"]["interval"] == "PT30M"
    assert b'"v":30}' in api("GET", f"/v1/series/key/k/data/?{DAY}&interval=30min&function=count").body
    mean = api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=1day")
    assert mean["rollup"]["function"] == "mean" and mean["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": 59.5}]
    for function in ("sum", "max", "min", "stddev", "ss", "mean"):
        one = api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=P1D&function={function}")["data"][0]["v"]
        expected = {"sum": 7140.0, "max": 119.0, "min": 0.0, "stddev": math.sqrt(143990 / 119), "ss": 143990.0, "mean": 59.5}[function]
        assert math.isclose(one, expected), function
    # Empty interval/function parameters mean "not given"; raw ignores the function.
    assert api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=&function=&tz=")["rollup"] is None
    assert api.ok("GET", f"/v1/series/key/k/data/?{DAY}&interval=raw&function=max")["rollup"] is None


def test_auto_rollup(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", _points(3))
    assert api.ok("GET", "/v1/series/key/k/data/?start=2012-01-01&end=2012-01-03")["rollup"] is None
    assert api.ok("GET", "/v1/series/key/k/data/?start=2012-01-01&end=2012-01-20")["rollup"] == {"interval": "PT1H", "function": "mean", "tz": "UTC"}
    auto = api.ok("GET", "/v1/series/key/k/data/?start=2012-01-01&end=2012-03-01&function=max")
    assert auto["rollup"] == {"interval": "P1D", "function": "max", "tz": "UTC"} and auto["data"][0]["v"] == 2.0


def test_tz_output_and_naive_input(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2013-08-01T09:01:00.000Z", "v": 3.14}])
    body = api.ok("GET", "/v1/series/key/k/data/?start=2013-08-01T00:00:00&end=2013-08-02T00:00:00&tz=America/Chicago")
    assert body["start"] == "2013-08-01T00:00:00.000-0500" and body["end"] == "2013-08-02T00:00:00.000-0500"
    assert body["data"] == [{"t": "2013-08-01T04:01:00.000-0500", "v": 3.14}]
    # A "+" that arrived as a space (RB does not escape it) is still an offset.
    kolkata = api.ok("GET", "/v1/series/key/k/data/?start=2013-08-01T00:00:00.000+05:30&end=2013-08-02T00:00:00+05:30&tz=Asia/Kolkata")
    assert kolkata["start"] == "2013-08-01T00:00:00.000+0530"
    assert kolkata["data"] == [{"t": "2013-08-01T14:31:00.000+0530", "v": 3.14}]


def test_read_many(api: Any) -> None:
    api.ok("POST", "/v1/series/", {"key": "b", "tags": ["x"]})
    api.ok("POST", "/v1/series/key/a/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}])
    everything = api.ok("GET", f"/v1/data/?{DAY}")
    assert [d["series"]["key"] for d in everything] == ["a", "b"]
    assert everything[1]["data"] == [] and everything[1]["summary"] == {}
    assert [d["series"]["key"] for d in api.ok("GET", f"/v1/data/?{DAY}&tag=x")] == ["b"]
    assert [d["series"]["key"] for d in api.ok("GET", f"/v1/data/?{DAY}&key=a&interval=1hour")] == ["a"]


def test_bulk_write_and_increment(api: Any) -> None:
    existing = api.ok("POST", "/v1/series/", {"key": "a"})
    api.ok("POST", "/v1/data/", {"data": [{"id": existing["id"], "v": 1}, {"key": "new", "v": 2.5}], "t": "2012-01-01T00:00:00Z"})
    api.ok("POST", "/v1/increment/", {"t": "2012-01-01T00:00:00Z", "data": [{"key": "a", "v": 2}, {"key": "new", "v": 1.9}]})
    by_key = {d["series"]["key"]: d["data"] for d in api.ok("GET", f"/v1/data/?{DAY}")}
    assert by_key == {"a": [{"t": "2012-01-01T00:00:00.000Z", "v": 3}], "new": [{"t": "2012-01-01T00:00:00.000Z", "v": 3}]}
    # Unknown ids in bulk writes create a series whose key is the id (docs/protocol.md §11 item 13).
    api.ok("POST", "/v1/data/", {"t": "2012-01-01T00:00:00Z", "data": [{"id": "feedbeef", "v": 1}]})
    assert api.ok("GET", "/v1/series/id/feedbeef/")["key"] == "feedbeef"
    for bad in ({"t": "2012-01-01T00:00:00Z", "data": [{"key": "c", "v": 1}, {"v": 1}]}, {"t": "2012-01-01T00:00:00Z", "data": [{"key": "c", "v": False}]},
                {"t": "nope", "data": [{"key": "c", "v": 1}]}, [1], {"t": "2012-01-01T00:00:00Z"}):
        assert api("POST", "/v1/data/", bad).status_code == 400
    assert api("GET", "/v1/series/key/c/").status_code == 403


def test_multi_write_207_rules(api: Any) -> None:
    assert api.ok("POST", "/v1/multi/", [{"t": "2012-01-01T00:00:00Z", "key": "a", "v": 1}, {"t": "2012-01-01T00:01:00Z", "key": "b", "v": 2}]) is None
    assert api.ok("POST", "/v1/multi/", []) is None
    response = api("POST", "/v1/multi/", [{"t": "2012-01-01T00:02:00Z", "v": 1}, {"t": "2012-01-01T00:02:00Z", "key": "a", "v": 3},
                                         {"t": "2012-01-01T00:02:00Z", "v": "x"}, {"t": "2012-01-01T00:03:00Z", "key": "a"}])
    assert response.status_code == 207 and response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {"multistatus": [
        {"status": "422", "messages": ["Must provide a series ID or key"]},
        {"status": "200", "messages": []},
        {"status": "422", "messages": ["Must provide a numeric value", "Must provide a series ID or key"]},
        {"status": "422", "messages": ["Must provide a numeric value"]},
    ]}
    assert [p["v"] for p in api.ok("GET", f"/v1/series/key/a/data/?{DAY}")["data"]] == [1, 3]
    everything_failed = api("POST", "/v1/multi/", [{"v": None}])
    assert everything_failed.status_code == 207
    assert api("POST", "/v1/multi/", {"key": "a"}).status_code == 400


def test_multi_increment(api: Any) -> None:
    api.ok("POST", "/v1/multi/increment/", [{"t": "2012-01-01T00:00:00Z", "key": "a", "v": 1}, {"t": "2012-01-01T00:00:00Z", "key": "a", "v": 2}])
    response = api("POST", "/v1/multi/increment/", [{"t": "2012-01-01T00:00:00Z", "key": "a", "v": 4}, {"t": "2012-01-01T00:00:00Z"}])
    assert response.status_code == 207
    assert api.ok("GET", f"/v1/series/key/a/data/?{DAY}")["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": 7}]


def test_increment_is_long_arithmetic(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00Z", "v": 2.75}])
    api.ok("POST", "/v1/series/key/k/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 1.9}, {"t": "2012-01-01T00:01:00Z", "v": -2.9}])
    s = api.ok("GET", "/v1/series/key/k/")
    api.ok("POST", f"/v1/series/id/{s['id']}/increment/", [{"t": "2012-01-01T00:01:00Z", "v": 10}])
    raw = api("GET", f"/v1/series/key/k/data/?{DAY}").body
    assert b'[{"t":"2012-01-01T00:00:00.000Z","v":3},{"t":"2012-01-01T00:01:00.000Z","v":8}]' in raw
    assert api("POST", "/v1/series/key/k/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 1e30}]).status_code == 400


def test_delete_range(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", _points(5))
    api.ok("DELETE", "/v1/series/key/k/data/?start=2012-01-01T00:01:00Z&end=2012-01-01T00:03:00Z&hello=true")
    assert [p["v"] for p in api.ok("GET", f"/v1/series/key/k/data/?{DAY}")["data"]] == [0, 3, 4]
    api.ok("DELETE", "/v1/series/key/k/data/?start=2012-01-01T00:04:00Z&end=2012-01-01T00:04:00Z")
    assert [p["v"] for p in api.ok("GET", f"/v1/series/key/k/data/?{DAY}")["data"]] == [0, 3]
    s = api.ok("GET", "/v1/series/key/k/")
    api.ok("DELETE", f"/v1/series/id/{s['id']}/data/?{DAY}")
    assert api.ok("GET", f"/v1/series/key/k/data/?{DAY}")["data"] == []
    assert api.ok("GET", "/v1/series/key/k/") == s
    assert api("DELETE", f"/v1/series/key/missing/data/?{DAY}").status_code == 403
    assert api("DELETE", "/v1/series/key/k/data/?start=2012-01-01").status_code == 400


def test_single_value_directions(api: Any) -> None:
    api.ok("POST", "/v1/series/key/k/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1}, {"t": "2012-01-01T00:10:00Z", "v": 2}])
    def at(ts: str, direction: str) -> Any:
        return api.ok("GET", f"/v1/series/key/k/single/?ts={ts}&direction={direction}")["data"]
    assert at("2012-01-01T00:00:00Z", "exact") == {"t": "2012-01-01T00:00:00.000Z", "v": 1}
    assert at("2012-01-01T00:04:00Z", "exact") is None
    assert at("2012-01-01T00:04:00Z", "before")["v"] == 1
    assert at("2012-01-01T00:04:00Z", "after")["v"] == 2
    assert at("2012-01-01T00:06:00Z", "nearest")["v"] == 2
    assert at("2012-01-01T00:05:00Z", "nearest")["v"] == 1  # a tie goes to the earlier point
    assert at("2011-01-01T00:00:00Z", "before") is None
    assert at("2013-01-01T00:00:00Z", "NEAREST")["v"] == 2
    one = api.ok("GET", "/v1/series/key/k/single/?ts=2012-01-01T00:00:00Z&tz=EST")
    assert list(one) == ["series", "data", "tz"] and one["data"]["t"] == "2011-12-31T19:00:00.000-0500"
    assert one["tz"] == "EST"
    assert api("GET", "/v1/series/key/k/single/?ts=2012-01-01T00:00:00Z&direction=exactly").status_code == 400
    assert api("GET", "/v1/series/key/nope/single/").status_code == 403
    api.ok("POST", "/v1/series/", {"key": "empty"})
    many = api.ok("GET", "/v1/single/?ts=2012-01-01T00:10:00Z")
    assert [(m["series"]["key"], m["data"]) for m in many] == [("empty", None), ("k", {"t": "2012-01-01T00:10:00.000Z", "v": 2})]
    assert [m["series"]["key"] for m in api.ok("GET", "/v1/single/?key=k")] == ["k"]


def test_summary_endpoint(api: Any) -> None:
    api.ok("POST", "/v1/series/key/multi-key-3/data/", [{"t": "2013-08-01T09:01:00.000Z", "v": 3.14}, {"t": "2013-08-01T09:02:00.000Z", "v": 6.28}])
    body = api.ok("GET", "/v1/series/key/multi-key-3/summary/?start=2013-08-01T09:00:00.000Z&end=2013-08-01T21:00:00.000Z")
    expected = json.loads((_fixtures() / "recorded-2014/get_summary.json").read_text())
    assert set(body) == set(expected)
    for name, value in expected["summary"].items():
        assert math.isclose(body["summary"][name], value, rel_tol=1e-12), name
    assert body["start"] == expected["start"] and body["end"] == expected["end"]
    assert api("GET", "/v1/series/key/nope/summary/?start=2013-08-01&end=2013-08-02").status_code == 403


@pytest.mark.parametrize("name", ["read_id_and_key.json", "read_multi_datasets.json"])
def test_recorded_summaries_are_reproduced(api: Any, name: str) -> None:
    recorded = json.loads((_fixtures() / "recorded-2013" / name).read_text())
    dataset = recorded[0] if isinstance(recorded, list) else recorded
    api.ok("POST", "/v1/series/key/fixture/data/", dataset["data"])
    ours = api.ok("GET", f"/v1/series/key/fixture/data/?start={dataset['start']}&end={dataset['end']}")
    assert ours["data"] == dataset["data"]
    assert (ours["start"], ours["end"], ours["rollup"]) == (dataset["start"], dataset["end"], dataset["rollup"])
    assert set(ours["summary"]) == set(dataset["summary"])
    assert ours["summary"]["count"] == dataset["summary"]["count"]
    for key, value in dataset["summary"].items():
        assert math.isclose(ours["summary"][key], value, rel_tol=1e-9), key


def test_statistics_beyond_the_float_range_are_null_not_a_500(api: Any) -> None:
    api.ok("POST", "/v1/series/key/huge/data/", [{"t": "2012-01-01T00:00:00Z", "v": 1e308},
                                                {"t": "2012-01-01T00:01:00Z", "v": 1e308}])
    body = json.loads(api("GET", f"/v1/series/key/huge/data/?{DAY}").body)
    assert body["summary"]["sum"] is None and body["summary"]["max"] == 1e308
    rolled = json.loads(api("GET", f"/v1/series/key/huge/data/?{DAY}&interval=1hour&function=sum").body)
    assert rolled["data"] == [{"t": "2012-01-01T00:00:00.000Z", "v": None}]


@pytest.mark.parametrize("stamp", ["2012-01-01T00:00:00+24:00", "2012-01-01T00:00:00+05:60", "2012-01-01T00:00:00-9999"])
def test_offsets_of_a_day_or_more_are_a_400(api: Any, stamp: str) -> None:
    response = api("POST", "/v1/series/key/k/data/", [{"t": stamp, "v": 1}])
    assert response.status_code == 400 and b"offset" in response.body
