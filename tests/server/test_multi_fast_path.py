"""The typed fast path of multi writes (``codec.plain_series_points``) against the item-by-item
validator it stands in for: it accepts exactly the plainly valid bodies, reads them into the same
series and points, and a write answers the same (status, body, stored rows) whichever path took it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempodb._wire.http import Request, Response
from tempodb._wire.query import SeriesFilter
from tempodb._wire.timestamps import get_zone
from tempodb.server import codec
from tempodb.server.engine import Engine
from tempodb.server.factory import open_engine
from tempodb.server.validation import item_checker

AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}
T = "2012-01-01T00:00:00Z"
_ABSENT = object()  # a field the item does not have at all

_GOOD_STAMPS = st.builds(
    lambda dt, tail: dt.strftime("%Y-%m-%dT%H:%M:%S") + tail,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["Z", "", "+00:00", "-06:00", "+0530", ".5Z", ".123-0600", ".123456Z"]),
)
_STAMPS = st.one_of(_GOOD_STAMPS, st.sampled_from([_ABSENT, None, 5, "nope", "2012-13-01T00:00:00Z", "2012-01-01T00:00:00+24:00"]))
_VALUES = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([_ABSENT, 2**63, -(2**63) - 1, 1e300, "1.5", "abc", None, True, [1]]),
)
_NAMES = st.one_of(st.sampled_from(["a", "b", "c", "d/e", "\u00e9"]), st.sampled_from([_ABSENT, None, "", "x\x01", 5]))


@st.composite
def _items(draw: st.DrawFn, *, good: bool = False) -> Any:
    if not good and draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([1, None, "x", [], {"t": T}]))  # not even an object
    fields = {
        "t": draw(_GOOD_STAMPS if good else _STAMPS),
        "v": draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False)) if good else _VALUES),
        "key": draw(st.sampled_from(["a", "b", "c"]) if good else _NAMES),
        "id": draw(st.just(_ABSENT) if good else _NAMES),
    }
    if draw(st.booleans()):
        fields["extra"] = draw(st.sampled_from([1, "x", None, {"nested": [1]}]))
    return {name: value for name, value in fields.items() if value is not _ABSENT}


def _bodies(max_size: int) -> st.SearchStrategy[list[Any]]:
    """Bodies of good items (the fast path's) and of good and bad ones mixed (the general path's)."""
    return st.one_of(st.lists(_items(good=True), max_size=max_size), st.lists(st.one_of(_items(), _items(good=True)), max_size=max_size))


def _plainly_valid(item: Any, *, increment: bool) -> bool:
    """The shape the fast path reads: string "t", a JSON number "v" (an integer for increments),
    "id" and "key" strings or null."""
    if type(item) is not dict or type(item.get("t")) is not str:
        return False
    numbers = (int,) if increment else (int, float)
    return type(item.get("v")) in numbers and all(type(item.get(name)) in (str, type(None)) for name in ("id", "key"))


@settings(max_examples=300, deadline=None)
@given(
    items=_bodies(12),
    increment=st.booleans(),
    zone_name=st.sampled_from(["UTC", "America/Chicago"]),
)
def test_the_fast_path_takes_exactly_the_plainly_valid_bodies(items: list[Any], increment: bool, zone_name: str) -> None:
    zone = get_zone(zone_name)
    body = msgspec.json.encode(items)
    fast = codec.plain_series_points(body, zone, increment=increment)
    check = item_checker(increment=increment, naive_zone=zone, now=0, by_series=True)
    checked = [check(item) for item in msgspec.json.decode(body)]
    all_good = not any(isinstance(c, list) for c in checked)
    if all_good and all(_plainly_valid(item, increment=increment) for item in items):
        assert fast is not None
    if fast is None:
        return
    assert all_good
    assert len(fast) == len(items)
    assert fast.item_refs() == [c[0] for c in checked]
    assert _typed(fast.grouped) == _expected_groups(checked)  # the same groups, in the same order


def _expected_groups(checked: list[Any]) -> list[tuple[Any, list[tuple[int, Any, type]]]]:
    """The validator's good items grouped by series, in first-appearance order, values typed."""
    expected: dict[Any, list[tuple[int, Any, type]]] = {}
    for ref, (t, v) in checked:
        expected.setdefault(ref, []).append((t, v, type(v)))
    return list(expected.items())


def _typed(grouped: dict[Any, list[tuple[int, Any]]]) -> list[tuple[Any, list[tuple[int, Any, type]]]]:
    return [(ref, [(t, v, type(v)) for t, v in points]) for ref, points in grouped.items()]


@contextmanager
def _engine() -> Iterator[Engine]:
    engine = open_engine(":memory:")
    engine._clock = lambda: 1_700_000_000.25  # items without "t" are stamped with this
    try:
        yield engine
    finally:
        engine.close()


def _post(engine: Engine, path: str, body: Any) -> Response:
    return engine.handle(Request("POST", f"http://x{path}", AUTH, body if isinstance(body, bytes) else msgspec.json.encode(body)))


def _rows(engine: Engine) -> list[tuple[str, list[tuple[int, Any, type]]]]:
    return [
        (series.key, [(t, v, type(v)) for t, v in engine.store.read_points("key", series.id, -(10**15), 10**15)])
        for series in engine.store.find_series("key", SeriesFilter())
    ]


def _answer(
    body: Any, *, increment: bool, fast: bool, monkeypatch: pytest.MonkeyPatch, setup: Any = None
) -> tuple[Any, ...]:
    """Status, body and stored rows of a multi write, with its fast path on or off."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(codec, "plain_series_points", lambda body, zone, *, increment: None)
        with _engine() as engine:
            if setup is not None:
                assert _post(engine, "/v1/multi/", setup).status_code == 200
            response = _post(engine, "/v1/multi/increment/" if increment else "/v1/multi/", body)
            return response.status_code, response.body, _rows(engine)


@settings(max_examples=20, deadline=None)  # an engine per example: ~0.1 s each
@given(items=_bodies(8), increment=st.booleans())
def test_a_multi_write_answers_the_same_on_either_path(items: list[Any], increment: bool) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        setup = [{"t": T, "key": "a", "v": 1}]  # increments add to a stored value too
        fast = _answer(items, increment=increment, fast=True, monkeypatch=monkeypatch, setup=setup)
        assert fast == _answer(items, increment=increment, fast=False, monkeypatch=monkeypatch, setup=setup)


@pytest.mark.parametrize(
    "body",
    [
        # An unknown id whose key (= the id) names another series: only that id's items are refused.
        [{"t": T, "id": "taken", "v": 1}, {"t": T, "key": "b", "v": 2}, {"t": T, "id": "taken", "v": 3}],
        # Ids win over keys; later points at one time win over earlier ones.
        [{"t": T, "id": "new", "key": "b", "v": 1}, {"t": T, "key": "b", "v": 2}, {"t": T, "key": "b", "v": 2.5}],
        # One series named by its key, then by its id, at one time: the group named first is written first.
        [{"t": T, "key": "both", "v": 1}, {"t": T, "id": "both", "v": 2}],
        [{"t": T, "id": "both", "v": 1}, {"t": T, "key": "both", "v": 2}],
        [],
        b"[]",
        b"",
        b"{}",
        b"[{\"t\": \"2012-01-01T00:00:00Z\", \"key\": \"a\", \"key\": null, \"v\": 1}]",  # the last duplicate counts
    ],
    ids=repr,
)
@pytest.mark.parametrize("increment", [False, True])
def test_the_store_refusals_and_edge_bodies_answer_the_same(body: Any, increment: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = [{"t": T, "key": "taken", "v": 1}, {"t": T, "id": "both", "v": 0}]  # the latter: id = key = "both"
    fast = _answer(body, increment=increment, fast=True, monkeypatch=monkeypatch, setup=setup)
    assert fast == _answer(body, increment=increment, fast=False, monkeypatch=monkeypatch, setup=setup)


def test_an_oversized_body_is_refused_before_it_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempodb.server.handlers import multi

    monkeypatch.setattr(multi, "MAX_ITEMS", 3)
    body = [{"t": T, "key": "a", "v": i} for i in range(4)]
    for fast in (True, False):
        status, text, rows = _answer(body, increment=False, fast=fast, monkeypatch=monkeypatch)
        assert status == 413 and b"over the limit of 3" in text and rows == []


def test_the_fast_paths_step_aside_for_a_deeply_nested_ignored_field() -> None:
    # msgspec recurses into an ignored field's value: a RecursionError, not a decode error.
    deep = '{"x":' * 100_000 + "1" + "}" * 100_000
    zone = get_zone("UTC")
    item = f'{{"t": "{T}", "key": "a", "v": 1, "deep": {deep}}}'
    assert codec.plain_points(f"[{item}]".encode(), zone) is None
    assert codec.plain_series_points(f"[{item}]".encode(), zone, increment=False) is None
