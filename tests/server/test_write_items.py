"""One validator for the items of every write shape: the same bad item gets the same words from a
single-series write (400, ``point {i}:``), a bulk write (400, ``data[{i}]:``) and a multi write (207).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempodb._wire.keys import NO_SERIES, SeriesRef
from tempodb._wire.timestamps import UTC, get_zone
from tempodb._wire.values import INCREMENT_RANGE, INTEGER_RANGE
from tempodb._wire.values import NOT_NUMERIC as NUMERIC
from tempodb.server import codec
from tempodb.server.validation import item_checker

T = "2012-01-01T00:00:00Z"
DAY = "start=2012-01-01&end=2012-01-02"


def _answers(api: Any, item: dict[str, Any], *, increment: bool) -> tuple[str, str, list[str]]:
    """The 400 texts of the single-series and bulk writes, and the 207 messages of the multi write,
    for one item (the bulk body carries the item's "t" as its own)."""
    single_path, bulk_path, multi_path = (
        ("/v1/series/key/k/increment/", "/v1/increment/", "/v1/multi/increment/") if increment
        else ("/v1/series/key/k/data/", "/v1/data/", "/v1/multi/")
    )
    single = api("POST", single_path, [{k: v for k, v in item.items() if k in ("t", "v")}])
    bulk_item = {k: v for k, v in item.items() if k != "t"}
    bulk = api("POST", bulk_path, {"t": item.get("t", T), "data": [bulk_item]})
    multi = api("POST", multi_path, [item])
    assert (single.status_code, bulk.status_code, multi.status_code) == (400, 400, 207)
    (entry,) = json.loads(multi.body)["multistatus"]
    assert entry["status"] == "422"
    return single.text, bulk.text, entry["messages"]


@pytest.mark.parametrize(
    ("item", "increment", "message"),
    [
        ({"t": T, "key": "a", "v": "abc"}, False, NUMERIC),
        ({"t": T, "key": "a", "v": "abc"}, True, NUMERIC),
        ({"t": T, "key": "a", "v": "NaN"}, False, NUMERIC),
        ({"t": T, "key": "a", "v": "-Infinity"}, True, NUMERIC),
        ({"t": T, "key": "a", "v": None}, False, NUMERIC),
        ({"t": T, "key": "a", "v": True}, False, NUMERIC),
        ({"t": T, "key": "a"}, False, NUMERIC),
        ({"t": T, "key": "a", "v": 1e300}, True, INCREMENT_RANGE),
        ({"t": T, "key": "a", "v": "1e300"}, True, INCREMENT_RANGE),
        ({"t": T, "key": "a", "v": 2**63}, True, INCREMENT_RANGE),
        ({"t": T, "key": "a", "v": 2**63}, False, INTEGER_RANGE),
        ({"t": T, "key": "a", "v": "-9223372036854775809"}, False, INTEGER_RANGE),
    ],
    ids=repr,
)
def test_a_bad_value_gets_one_wording_from_every_shape(api: Any, item: dict[str, Any], increment: bool, message: str) -> None:
    single, bulk, multi = _answers(api, item, increment=increment)
    assert (single, bulk, multi) == (f"point 0: {message}", f"data[0]: {message}", [message])


@pytest.mark.parametrize("t", ["nope", "2012-13-01T00:00:00Z", "2012-01-01T00:00:00+24:00", 5])
def test_a_bad_timestamp_gets_one_wording_from_every_shape(api: Any, t: Any) -> None:
    single, bulk, (message,) = _answers(api, {"t": t, "key": "a", "v": 1}, increment=False)
    assert message.startswith("Must provide a valid timestamp: ")
    # The bulk body's "t" belongs to the whole body, not to an item: no position.
    assert (single, bulk) == (f"point 0: {message}", message)


@pytest.mark.parametrize("item", [{"t": T, "v": 1}, {"t": T, "key": "", "v": 1}, {"t": T, "id": 5, "v": 1}, {"t": T, "key": "a\x01", "v": 1}], ids=repr)
@pytest.mark.parametrize("increment", [False, True])
def test_a_missing_series_gets_one_wording_from_bulk_and_multi(api: Any, item: dict[str, Any], increment: bool) -> None:
    bulk = api("POST", "/v1/increment/" if increment else "/v1/data/", {"t": T, "data": [{k: v for k, v in item.items() if k != "t"}]})
    multi = api("POST", "/v1/multi/increment/" if increment else "/v1/multi/", [item])
    assert bulk.status_code == 400 and bulk.text == f"data[0]: {NO_SERIES}"
    assert json.loads(multi.body)["multistatus"] == [{"status": "422", "messages": [NO_SERIES]}]


def test_every_problem_of_an_item_is_named_in_the_historical_order(api: Any) -> None:
    multi = api("POST", "/v1/multi/", [{"t": "nope", "v": "x"}])
    ((entry),) = json.loads(multi.body)["multistatus"]
    timestamp = entry["messages"][-1]
    assert entry["messages"] == [NUMERIC, NO_SERIES, timestamp] and timestamp.startswith("Must provide a valid timestamp: ")
    single = api("POST", "/v1/series/key/k/data/", [{"t": "nope", "v": "x"}])
    assert single.text == f"point 0: {NUMERIC}; {timestamp}"  # the path names the series
    bulk = api("POST", "/v1/data/", {"t": T, "data": [{"v": "x"}]})
    assert bulk.text == f"data[0]: {NUMERIC}; {NO_SERIES}"


def test_single_and_bulk_refuse_the_body_at_the_first_bad_item(api: Any) -> None:
    points = [{"t": T, "v": 1}, {"t": T, "v": 2}, {"t": T, "v": "x"}, {"t": T, "v": 1e300}]
    assert api("POST", "/v1/series/key/k/data/", points).text == f"point 2: {NUMERIC}"
    assert api("POST", "/v1/series/key/k/increment/", [points[0], points[3], points[2]]).text == f"point 1: {INCREMENT_RANGE}"
    data = [{"key": "a", "v": 1}, {"v": 2}, {"key": "b", "v": "x"}]
    assert api("POST", "/v1/data/", {"t": T, "data": data}).text == f"data[1]: {NO_SERIES}"
    assert api("GET", "/v1/series/key/k/").status_code == 403  # nothing was written, not even the series
    assert api.ok("GET", f"/v1/data/?{DAY}") == []


def test_multi_writes_the_good_items_and_names_the_bad(api: Any) -> None:
    items = [{"t": T, "key": "a", "v": 1}, {"t": T, "key": "b", "v": 1e300}, 5, {"t": T, "id": "zz", "key": "a", "v": 2.5}]
    response = api("POST", "/v1/multi/increment/", items)
    assert json.loads(response.body)["multistatus"] == [
        {"status": "200", "messages": []},
        {"status": "422", "messages": [INCREMENT_RANGE]},
        {"status": "422", "messages": [NUMERIC, NO_SERIES]},  # not an object: it gives neither
        {"status": "200", "messages": []},
    ]
    by_key = {d["series"]["key"]: d["data"] for d in api.ok("GET", f"/v1/data/?{DAY}")}
    assert by_key == {"a": [{"t": "2012-01-01T00:00:00.000Z", "v": 1}], "zz": [{"t": "2012-01-01T00:00:00.000Z", "v": 2}]}


# -- the validator itself -------------------------------------------------------------------------


def test_checked_items() -> None:
    write = item_checker(increment=False, naive_zone=UTC, now=7)
    assert write({"v": 1.5}) == (None, (7, 1.5))  # no "t": the receive time
    assert write({"t": None, "v": " 12 "}) == (None, (7, 12))
    assert write({"t": "1970-01-01T00:00:01", "v": "2.5"}) == (None, (1000, 2.5))
    assert write({"t": T, "v": 2**63 - 1}) == (None, (1325376000000, 2**63 - 1))
    assert write({"t": T, "v": -(2**63)}) == (None, (1325376000000, -(2**63)))
    assert write({"t": T, "v": 1e300, "key": "ignored"}) == (None, (1325376000000, 1e300))
    add = item_checker(increment=True, naive_zone=UTC, now=7)
    assert [add({"v": v})[1][1] for v in (1.9, -2.9, "3.99", 2**63 - 1, -(2**63), 9.2e18)] == [1, -2, 3, 2**63 - 1, -(2**63), 9200000000000000000]  # type: ignore[index]
    assert add({"v": 9.3e18}) == [INCREMENT_RANGE]


def test_series_references_and_the_bulk_timestamp() -> None:
    bulk = item_checker(increment=False, naive_zone=UTC, now=7, by_series=True, at=1000)
    assert bulk({"id": "i", "key": "k", "v": 1, "t": "nope"}) == (SeriesRef("id", "i"), (1000, 1))  # id wins; the body's t
    assert bulk({"key": "k", "v": 1}) == (SeriesRef("key", "k"), (1000, 1))
    # A given id wins even when it is unusable: an error, never a write to the key's series.
    assert bulk({"id": "", "key": "k", "v": 1}) == [NO_SERIES]
    assert bulk({"id": ["i"], "key": "k", "v": 1}) == [NO_SERIES]
    assert bulk({"id": "a\nb", "v": 1}) == [NO_SERIES]
    assert bulk([1]) == [NUMERIC, NO_SERIES]


def test_naive_times_are_read_in_the_zone_given() -> None:
    chicago = item_checker(increment=False, naive_zone=get_zone("America/Chicago"), now=0)
    assert chicago({"t": "2012-01-01T00:00:00", "v": 1}) == (None, (1325397600000, 1))
    assert chicago({"t": "2012-01-01T00:00:00Z", "v": 1}) == (None, (1325376000000, 1))


# -- the fast path of plain writes answers as the validator does ----------------------------------

_OFFSETS = st.sampled_from(["Z", "", "+00:00", "-06:00", "+0530", "+01", ".5Z", ".123-0600", ".123456Z"])
_STAMPS = st.builds(
    lambda dt, offset: dt.strftime("%Y-%m-%dT%H:%M:%S") + offset,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    _OFFSETS,
)
_VALUES = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**63, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=200, deadline=None)
@given(points=st.lists(st.tuples(_STAMPS, _VALUES), max_size=20), zone_name=st.sampled_from(["UTC", "America/Chicago"]))
def test_plain_points_are_what_the_validator_makes_of_them(points: list[tuple[str, Any]], zone_name: str) -> None:
    zone = get_zone(zone_name)
    body = msgspec.json.encode([{"t": t, "v": v} for t, v in points])
    fast = codec.plain_points(body, zone)
    check = item_checker(increment=False, naive_zone=zone, now=0)
    checked = [check(item) for item in msgspec.json.decode(body)]
    if fast is None:
        # Stepping aside is always allowed (ints beyond 64 bits, floats as large): the validator decides.
        assert any(abs(v) >= 2**63 - 1 for _, v in points)
        return
    assert [(t, v, type(v)) for t, v in fast] == [(c[1][0], c[1][1], type(c[1][1])) for c in checked]  # type: ignore[index]


def test_plain_points_step_aside_for_what_they_do_not_read() -> None:
    zone = timezone(timedelta(hours=-6))
    for body in ([{"t": T, "v": "1.5"}], [{"v": 1}], [{"t": None, "v": 1}], [{"t": T, "v": 2**63}], [{"t": "nope", "v": 1}]):
        assert codec.plain_points(msgspec.json.encode(body), zone) is None
