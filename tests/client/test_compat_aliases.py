"""The 2013 client's module paths and JSON helpers, kept as compatibility aliases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import tempodb


def test_the_2013_module_paths_name_the_same_objects() -> None:
    from tempodb.base import DataPoint, DataSet, Series, Summary
    from tempodb.client import Client

    assert (DataPoint, DataSet, Series, Summary, Client) == (
        tempodb.DataPoint, tempodb.DataSet, tempodb.Series, tempodb.Summary, tempodb.Client,
    )


def test_datapoint_json_round_trips_in_the_wire_form() -> None:
    chicago = timezone(timedelta(hours=-6))
    point = tempodb.DataPoint(datetime(2012, 1, 1, 6, 30, tzinfo=chicago), 7)
    assert point.to_json() == {"t": "2012-01-01T06:30:00-06:00", "v": 7}
    assert tempodb.DataPoint.from_json(point.to_json()) == point
    assert tempodb.DataPoint.from_json({"t": "2012-01-01T12:30:00.000Z", "v": 7}) == point  # same instant
    assert tempodb.DataPoint(datetime(2012, 1, 1), 1.5).to_json()["t"] == "2012-01-01T00:00:00+00:00"


def test_series_to_json_is_a_copy() -> None:
    series = tempodb.Series("id1", "k", "name", {"a": "b"}, ["t"])
    out = series.to_json()
    assert out == {"id": "id1", "key": "k", "name": "name", "attributes": {"a": "b"}, "tags": ["t"]}
    out["tags"].append("x")
    assert series.tags == ["t"]
