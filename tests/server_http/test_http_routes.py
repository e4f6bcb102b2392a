"""Every endpoint family answers over a real socket (the session's open-mode server); the engine's
own tests cover the semantics, these prove the HTTP front carries requests and responses intact."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tempodb.testing import ServerInfo

RANGE = {"start": "2012-01-01T00:00:00Z", "end": "2012-01-02T00:00:00Z"}
T0 = "2012-01-01T00:00:00Z"
T1 = "2012-01-01T01:00:00Z"


@pytest.fixture
def api(tempodb_server: ServerInfo, tempodb_credentials: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tempodb_server.url, auth=tempodb_credentials, timeout=10) as client:
        yield client


def test_server_info(tempodb_server: ServerInfo) -> None:
    assert tempodb_server.url == f"http://127.0.0.1:{tempodb_server.port}/v1/"
    assert tempodb_server.key != tempodb_server.other_key
    assert tempodb_server.new_credentials() != tempodb_server.new_credentials()
    assert tempodb_server.secret not in repr(tempodb_server)


def test_series_metadata_routes(api: httpx.Client) -> None:
    created = api.post("series/", json={"key": "s1"})
    assert created.status_code == 200, created.text
    series = created.json()
    assert api.get("series/").json() == [series]
    assert api.get(f"series/id/{series['id']}/").json() == series
    assert api.get("series/key/s1/").json() == series
    updated = api.put(f"series/id/{series['id']}/", json={**series, "tags": ["t"]})
    assert updated.status_code == 200 and updated.json()["tags"] == ["t"]
    assert api.delete("series/", params={"key": "s1"}).json() == {"deleted": 1}


def test_write_and_read_routes(api: httpx.Client) -> None:
    assert api.post("series/key/w1/data/", json=[{"t": T0, "v": 1.5}]).status_code == 200
    assert api.post("data/", json={"t": T1, "data": [{"key": "w1", "v": 2.5}]}).status_code == 200
    assert api.post("multi/", json=[{"t": "2012-01-01T02:00:00Z", "key": "w2", "v": 7}]).status_code == 200
    one = api.get("series/key/w1/data/", params=RANGE)
    assert one.status_code == 200, one.text
    assert [p["v"] for p in one.json()["data"]] == [1.5, 2.5]
    many = api.get("data/", params={**RANGE, "key": ["w1", "w2"]})
    assert [d["series"]["key"] for d in many.json()] == ["w1", "w2"]
    summary = api.get("series/key/w1/summary/", params=RANGE)
    assert summary.status_code == 200 and summary.json()["summary"]["count"] == 2


def test_increment_routes(api: httpx.Client) -> None:
    assert api.post("series/key/c1/increment/", json=[{"t": T0, "v": 1}]).status_code == 200
    assert api.post("increment/", json={"t": T0, "data": [{"key": "c1", "v": 2}]}).status_code == 200
    assert api.post("multi/increment/", json=[{"t": T0, "key": "c1", "v": 3}]).status_code == 200
    assert [p["v"] for p in api.get("series/key/c1/data/", params=RANGE).json()["data"]] == [6]


def test_single_value_and_range_delete_routes(api: httpx.Client) -> None:
    api.post("series/key/v1/data/", json=[{"t": T0, "v": 1}, {"t": T1, "v": 2}])
    single = api.get("series/key/v1/single/", params={"ts": T1, "direction": "exact"})
    assert single.status_code == 200 and single.json()["data"]["v"] == 2
    across = api.get("single/", params={"key": "v1", "ts": T1, "direction": "before"})
    assert across.status_code == 200 and across.json()[0]["data"]["v"] == 2
    assert api.delete("series/key/v1/data/", params=RANGE).status_code == 200
    assert api.get("series/key/v1/data/", params=RANGE).json()["data"] == []


def test_percent_2f_in_a_key_survives(api: httpx.Client) -> None:
    # The key holds a slash and a space: one path segment on the wire, decoded only after routing.
    assert api.post("series/key/a%2Fb%20c/data/", json=[{"t": T0, "v": 3}]).status_code == 200
    dataset = api.get("series/key/a%2Fb%20c/data/", params=RANGE).json()
    assert dataset["series"]["key"] == "a/b c"
    assert [s["key"] for s in api.get("series/").json()] == ["a/b c"]


def test_gzip_response_is_decoded(api: httpx.Client) -> None:
    points = [{"t": f"2012-01-01T00:{m:02d}:{s:02d}Z", "v": m * 60 + s} for m in range(60) for s in range(0, 60, 10)]
    assert api.post("series/key/big/data/", json=points).status_code == 200
    response = api.get("series/key/big/data/", params=RANGE, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"
    assert int(response.headers["content-length"]) < len(response.content)
    assert len(response.json()["data"]) == len(points)


def test_databases_are_isolated(tempodb_server: ServerInfo) -> None:
    base = tempodb_server.url
    with httpx.Client(base_url=base, auth=tempodb_server.new_credentials(), timeout=10) as mine, httpx.Client(
        base_url=base, auth=tempodb_server.new_credentials(), timeout=10
    ) as theirs:
        assert mine.post("series/", json={"key": "private"}).status_code == 200
        assert theirs.get("series/").json() == []


def test_missing_auth_and_unknown_route(tempodb_server: ServerInfo, api: httpx.Client) -> None:
    bare = httpx.get(tempodb_server.url + "series/", timeout=10)
    assert bare.status_code == 401
    assert "basic" in bare.headers.get("www-authenticate", "").lower()
    assert api.get("no-such-thing/").status_code == 404


@pytest.mark.parametrize("segment", ["a%85b", "a%0Ab", "%ff"])
def test_a_key_the_rules_refuse_is_400_before_the_body(api: httpx.Client, segment: str) -> None:
    # The ASGI front admits a request on its head (route, credentials) before reading the body: a
    # key the key rule refuses, or that is not UTF-8, must be a 400 there too, never a 500.
    response = api.post(f"series/key/{segment}/data/", json=[{"t": T0, "v": 1}])
    assert response.status_code == 400 and response.text
    assert api.get(f"series/key/{segment}/").status_code == 400
