"""The multi-item fast path decides exactly as the full check: every invalid item is still refused,
and every valid one comes out the same (the full check is reached through a non-dict mapping)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tempodb._core.errors import InvalidInputError
from tempodb._core.protocol import MultiItem, _item

keys = st.one_of(
    st.text(max_size=6), st.none(), st.integers(), st.just(""), st.just("a\x00b"), st.just("\x85"), st.just("ok key")
)
values = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=3), st.just(math.nan), st.just(-math.inf),
)
zones = st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-6)), timezone(timedelta(hours=14))])
times = st.one_of(
    st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), zones),
    st.dates(), st.none(), st.text(max_size=3), st.integers(),
)


def _outcome(raw: Any) -> MultiItem | str:
    try:
        return _item(raw, 0, ts_required=True)
    except InvalidInputError:
        return "refused"


@given(st.fixed_dictionaries({"key": keys, "v": values, "t": times}, optional={"id": st.one_of(st.none(), st.text(max_size=3))}))
def test_the_fast_path_agrees_with_the_full_check(raw: dict[str, Any]) -> None:
    assert _outcome(raw) == _outcome(MappingProxyType(raw))


def test_the_common_item_takes_the_fast_path_and_bad_ones_are_refused() -> None:
    t = datetime(2012, 1, 1, tzinfo=timezone.utc)
    assert _outcome({"key": "k", "t": t, "v": 1.5}) == MultiItem(v=1.5, t=t, key="k")
    for bad in ({"key": "k", "t": t, "v": math.nan}, {"key": "k", "t": t, "v": True}, {"key": "", "t": t, "v": 1},
                {"key": "k", "t": date(2012, 1, 1), "v": "1"}, {"key": "k\x00", "t": t, "v": 1}):
        assert _outcome(bad) == "refused", bad
