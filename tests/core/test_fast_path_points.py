"""The single-series fast path (``_all_plain``) decides exactly as the point-by-point check: every
invalid point is still refused before sending, and valid ones are sent unchanged."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tempodb._core.errors import InvalidInputError
from tempodb._core.models import DataPoint
from tempodb._core.protocol import _all_plain, _check_each, check_points

values = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=3), st.just(math.nan), st.just(-math.inf), st.just(math.inf),
)
zones = st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-6)), timezone(timedelta(hours=14))])
times = st.one_of(
    st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), zones),
    st.builds(lambda d: d.replace(tzinfo=timezone.utc, microsecond=d.microsecond // 1000 * 1000), st.datetimes()),
    st.dates(), st.none(), st.text(max_size=3), st.integers(),
)
points = st.one_of(st.builds(DataPoint, times, values), st.tuples(times, values), st.none())


def _outcome(check: Any, data: list[Any], merge: bool) -> list[DataPoint] | str:
    try:
        return list(check(data, merge))
    except InvalidInputError:
        return "refused"


@given(st.lists(points, max_size=6), st.booleans())
def test_the_fast_path_agrees_with_the_point_by_point_check(data: list[Any], merge: bool) -> None:
    fast = _outcome(lambda d, m: check_points(d, merge_same_millisecond=m), data, merge)
    assert fast == _outcome(_check_each, data, merge)
    if _all_plain(data):  # what the fast path passes goes out exactly as given
        assert fast == data


def test_each_kind_of_bad_point_is_refused_on_a_list_the_fast_path_would_take() -> None:
    t = datetime(2012, 1, 1, tzinfo=timezone.utc)
    good = [DataPoint(t + timedelta(seconds=i), 0.5 * i) for i in range(1000)]
    assert _all_plain(good) and check_points(good) is good
    for bad in (math.nan, math.inf, -math.inf, True, "1", None):
        with_bad = [*good, DataPoint(t, bad)]
        try:
            check_points(with_bad)
        except InvalidInputError as exc:
            assert "point 1000" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was not refused")
    for when in (datetime(2012, 1, 1), date(2012, 1, 1), t.replace(microsecond=1)):  # changed or checked, not refused
        assert not _all_plain([*good, DataPoint(when, 1)])
