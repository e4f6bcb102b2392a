"""Distinct times that the API's millisecond resolution would make one are refused in writes, unless
the caller asks for the last of each millisecond; increments (which add up) are not affected."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from core_driver import drive, make, ok
from hypothesis import given
from hypothesis import strategies as st

from tempodb._core import ops
from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import epoch_ms

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
US = timedelta(microseconds=1)
KEY = SeriesRef("key", "k")


def test_two_points_in_one_millisecond_are_refused_naming_both() -> None:
    points = [DataPoint(T0, 0), DataPoint(T0 + 100 * US, 1.0), DataPoint(T0 + 200 * US, 2.0)]
    run = drive(ops.write_points(make(), KEY, points), [])
    assert isinstance(run.error, InvalidInputError) and run.requests == []
    text = str(run.error)
    assert "point 0 (2012-01-01T00:00:00+00:00) and point 1 (2012-01-01T00:00:00.000100+00:00)" in text
    assert "merge_same_millisecond=True" in text


def test_merging_is_an_explicit_choice() -> None:
    points = [DataPoint(T0 + 100 * US, 1.0), DataPoint(T0 + 200 * US, 2.0)]
    assert drive(ops.write_points(make(), KEY, points, merge_same_millisecond=True), [ok()]).error is None
    assert drive(ops.increment_points(make(), KEY, points), [ok()]).error is None  # both add: nothing lost


def test_multi_items_collide_only_within_one_series() -> None:
    items = [{"key": "a", "t": T0 + 100 * US, "v": 1}, {"key": "b", "t": T0 + 200 * US, "v": 2}]
    assert drive(ops.write_multi(make(), items), [ok()]).error is None
    items.append({"key": "a", "t": T0 + 900 * US, "v": 3})
    run = drive(ops.write_multi(make(), items), [])
    assert isinstance(run.error, InvalidInputError) and "item 0" in str(run.error) and "item 2" in str(run.error)


@given(st.lists(st.integers(0, 5_000), min_size=1, max_size=30))
def test_refused_exactly_when_two_distinct_times_share_a_millisecond(micros: list[int]) -> None:
    points = [DataPoint(T0 + m * US, 1) for m in micros]
    run = drive(ops.write_points(make(), KEY, points), [ok()], strict=False)
    by_ms: dict[int, set[datetime]] = {}
    for p in points:
        by_ms.setdefault(epoch_ms(p.ts), set()).add(p.ts)
    clash = any(len(times) > 1 for times in by_ms.values())
    assert isinstance(run.error, InvalidInputError) == clash


@pytest.mark.parametrize("micro", [0, 1000, 999_000])
def test_whole_milliseconds_take_the_fast_path_and_pass(micro: int) -> None:
    points = [DataPoint(T0 + micro * US, 1), DataPoint(T0 + micro * US, 2)]  # the same time twice: last wins
    assert drive(ops.write_points(make(), KEY, points), [ok()]).error is None
