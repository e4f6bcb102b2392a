"""Findings of the fuzzing (issue 11), over a real socket: each request below answered 500 when it
was found.  Each test asks for the right answer (a 400 that says what to do, or the number)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tempodb.testing import ServerInfo

YEAR_10000 = "9999-12-31T23:00:00-23:00"  # a valid text whose instant is 10000-01-01T22:00Z
YEAR_0 = "0001-01-01T00:00:00+23:00"  # a valid text whose instant is in year 0


@pytest.fixture
def api(tempodb_server: ServerInfo, tempodb_credentials: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=tempodb_server.url, auth=tempodb_credentials, timeout=10) as client:
        yield client


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.text


@pytest.mark.parametrize("edge", [YEAR_10000, YEAR_0], ids=["year-10000", "year-0"])
@pytest.mark.parametrize("call", ["data/", "summary/"])
def test_a_range_outside_years_1_to_9999_is_refused(api: httpx.Client, edge: str, call: str) -> None:
    api.post("series/key/k/data/", json=[{"t": "2012-01-01T00:00:00Z", "v": 1}])
    start, end = (edge, "9999-12-31T23:59:59-23:59") if edge == YEAR_10000 else (edge, "0001-01-01T01:00:00+23:00")
    assert_refused(api.get(f"series/key/k/{call}", params={"start": start, "end": end}))


@pytest.mark.parametrize(("edge", "direction"), [(YEAR_10000, "after"), (YEAR_0, "before")], ids=["year-10000", "year-0"])
def test_a_point_outside_years_1_to_9999_is_refused_and_never_poisons_reads(
    api: httpx.Client, edge: str, direction: str
) -> None:
    written = api.post("multi/", json=[{"t": edge, "key": "poison", "v": 1}])
    read = api.get("series/key/poison/single/", params={"direction": direction})
    assert read.status_code != 500, read.text
    assert written.status_code in (207, 400), written.text


def test_the_mean_of_huge_values_is_a_number(api: httpx.Client) -> None:
    points = [{"t": "2012-01-01T00:00:00Z", "v": 1.7e308}, {"t": "2012-01-01T00:00:01Z", "v": 1.7e308}]
    assert api.post("series/key/big/data/", json=points).status_code == 200
    params = {"start": "2012-01-01T00:00:00Z", "end": "2012-01-02T00:00:00Z", "interval": "1day", "function": "mean"}
    read = api.get("series/key/big/data/", params=params)
    assert read.status_code == 200, read.text
    assert read.json()["data"][0]["v"] == 1.7e308
    assert read.json()["summary"]["mean"] == 1.7e308
