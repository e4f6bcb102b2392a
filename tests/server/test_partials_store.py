"""Partials kept by the SQLite store, through the engine: writes, overwrites, increments, range and
series deletes interleaved with reads, every answer compared with the raw path over the same points.

- after every step the stored partials equal those recomputed from the stored points (a read after
  any kind of write sees current partials);
- every rollup (grain-aligned intervals from the partials, finer ones raw), the summary endpoint and
  a raw read's summary equal ``rollups.rollup`` / ``rollups.summarize`` over ``read_points``: count,
  min, max, sum and mean bit for bit, ``ss`` and ``stddev`` within 1e-12 relative; bucket labels
  and counts also equal the independent reference of ``test_rollup_property``;
- zones with DST, 30- and 45-minute offsets, and a range in local mean time (Chicago, 1880).
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Sibling test modules (pytest puts this directory on sys.path): the value strategies, the spread
# tolerance, and the independent bucket reference.
from test_partials_math import close_spread, extreme, ordinary
from test_rollup_property import _bucket

from tempodb._wire.http import Request, Response
from tempodb._wire.intervals import Function, Interval
from tempodb._wire.query import SeriesFilter
from tempodb._wire.timestamps import MIN_MS, get_zone
from tempodb.server import Engine, open_engine
from tempodb.server._timefmt import format_ms
from tempodb.server.partials import partials_of
from tempodb.server.rollups import rollup, summarize
from tempodb.server.storage import GRAIN_MS, Point, Value

AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}  # key:secret, so the database is "key"
ZONES = ["UTC", "America/Chicago", "America/Los_Angeles", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham"]
GRAINED = ["15min", "30min", "1hour", "1day", "1week", "1month", "1year"]
RAW = ["1min", "7min", "50min"]
_H = 3_600_000
# Instants near clock changes (epoch ms, UTC): Chicago and Los Angeles spring and fall 2013, Lord Howe
# (30-minute DST) and Chatham (+12:45/+13:45) in April 2013, a new year, and 1880 (Chicago in LMT).
ANCHORS = [1_362_902_400_000, 1_383_462_000_000, 1_362_909_600_000, 1_365_260_400_000, 1_365_259_500_000,
           1_356_998_400_000, -2_824_329_600_000]
SPREADS = [3 * _H, 3 * 24 * _H, 400 * 24 * _H]


def _call(engine: Engine, method: str, target: str, body: Any = None) -> Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return engine.handle(Request(method, "http://h" + target, AUTH, raw))


def _wire(ms: int) -> str:
    return format_ms(ms).replace("+", "%2B")


class Model:
    """The engine under test, one series ``k``, and what to compare its answers with."""

    def __init__(self, engine: Engine, anchor: int, spread: int) -> None:
        self.engine, self.anchor, self.spread = engine, anchor, spread

    def at(self, fraction: float) -> int:
        return self.anchor - self.spread + int(2 * self.spread * fraction)

    def series_id(self) -> str | None:
        response = _call(self.engine, "GET", "/v1/series/key/k/")
        return json.loads(response.body)["id"] if response.status_code == 200 else None

    def stored(self, start: int = -(2**62), end: int = 2**62) -> list[Point]:
        sid = self.series_id()
        return [] if sid is None else self.engine.store.read_points("key", sid, start, end)

    def check_partials(self) -> None:
        sid = self.series_id()
        if sid is None:
            return
        kept = self.engine.store.read_partials("key", sid, -(2**62), 2**62)
        points = self.stored()
        want = partials_of([t for t, _ in points], [v for _, v in points])
        assert [(p.grain, p.count, p.low, p.high, p.first, p.last) for p in kept] == [
            (p.grain, p.count, p.low, p.high, p.first, p.last) for p in want
        ]
        for got, expected in zip(kept, want, strict=True):
            assert got.exact == expected.exact
            if got.exact:
                assert math.fsum(got.total) == math.fsum(expected.total)
                values = [v for t, v in points if got.grain <= t < got.grain + GRAIN_MS]
                assert close_spread(got.m2 or 0.0, expected.m2 or 0.0, values), (got, expected)


def _same(function: str, got: Any, want: Value, values: list[Value]) -> None:
    if isinstance(want, float) and math.isinf(want):
        assert got is None  # beyond the float range: JSON null
    elif function in ("ss", "stddev"):
        assert close_spread(float(got), float(want), values), (function, got, want)
    else:
        assert got == want and isinstance(got, int) == isinstance(want, int), (function, got, want)


def check_read(model: Model, zone_name: str, interval: str, function: str, lo: float, hi: float) -> None:
    start, end = sorted((model.at(lo), model.at(hi)))
    end += 1
    zone = get_zone(zone_name)
    query = f"start={_wire(start)}&end={_wire(end)}&interval={interval}&function={function}&tz={zone_name}"
    response = _call(model.engine, "GET", f"/v1/series/key/k/data/?{query}")
    if model.series_id() is None:
        assert response.status_code == 403  # no such series
        return
    assert response.status_code == 200, response.body
    got = json.loads(response.body)
    points = model.stored(start, end)
    stamps, values = [t for t, _ in points], [v for _, v in points]
    parsed = Interval.parse(interval)
    want_t, want_v = rollup(stamps, values, parsed, Function(function), zone)
    assert [p["t"] for p in got["data"]] == [format_ms(t, zone) for t in want_t]
    for k, (point, value) in enumerate(zip(got["data"], want_v, strict=True)):
        low = bisect_left(stamps, want_t[k])
        high = bisect_left(stamps, want_t[k + 1]) if k + 1 < len(want_t) else len(stamps)
        _same(function, point["v"], value, values[low:high] or values)
    if parsed.unit.value != "week":  # the reference has no weeks
        # The bucket of every 30th point is the reference's (zoneinfo, point by point: slow, so sampled).
        for t in stamps[::30]:
            assert want_t[bisect_right(want_t, t) - 1] == max(_bucket(t, parsed.count, parsed.unit.value, zone), MIN_MS)
    _check_summary(got["summary"], values)


def _check_summary(got: dict[str, Any], values: list[Value]) -> None:
    want = summarize(values)
    assert list(got) == list(want)
    for name, value in want.items():
        _same(name, got[name], value, values)


def check_summary(model: Model, lo: float, hi: float) -> None:
    start, end = sorted((model.at(lo), model.at(hi)))
    response = _call(model.engine, "GET", f"/v1/series/key/k/summary/?start={_wire(start)}&end={_wire(end + 1)}")
    if model.series_id() is None:
        assert response.status_code == 403  # no such series
        return
    assert response.status_code == 200, response.body
    _check_summary(json.loads(response.body)["summary"], [v for _, v in model.stored(start, end + 1)])
    raw = _call(model.engine, "GET", f"/v1/series/key/k/data/?start={_wire(start)}&end={_wire(end + 1)}&interval=raw")
    _check_summary(json.loads(raw.body)["summary"], [v for _, v in model.stored(start, end + 1)])


fractions = st.floats(0, 1)
# Points land on a coarse lattice too, so writes overwrite and increments add onto stored points.
moments = st.one_of(fractions, st.integers(0, 40).map(lambda k: k / 40))
values = st.one_of(ordinary, ordinary, ordinary, extreme)
step = st.one_of(
    st.tuples(st.just("write"), st.lists(st.tuples(moments, values), min_size=1, max_size=25)),
    st.tuples(st.just("increment"), st.lists(st.tuples(moments, st.integers(-(10**6), 10**6)), min_size=1, max_size=10)),
    st.tuples(st.just("delete"), fractions, fractions),
    st.tuples(st.just("drop")),
    st.tuples(st.just("read"), st.sampled_from(ZONES), st.sampled_from(GRAINED + GRAINED + RAW),
              st.sampled_from([f.value for f in Function]), fractions, fractions),
    st.tuples(st.just("summary"), fractions, fractions),
)


def run(model: Model, op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind in ("write", "increment"):
        body = [{"t": format_ms(model.at(f)), "v": v} for f, v in op[1]]
        path = "data" if kind == "write" else "increment"
        status = _call(model.engine, "POST", f"/v1/series/key/k/{path}/", body).status_code
        assert status == 200 or (kind == "increment" and status == 400)  # 400: past the 64-bit range
    elif kind == "delete":
        start, end = sorted((model.at(op[1]), model.at(op[2])))
        status = _call(model.engine, "DELETE", f"/v1/series/key/k/data/?start={_wire(start)}&end={_wire(end)}").status_code
        assert status in (200, 403)  # 403: no such series
    elif kind == "drop":
        _call(model.engine, "DELETE", "/v1/series/key/k/")
    elif kind == "read":
        check_read(model, *op[1:])
    else:
        check_summary(model, *op[1:])
    model.check_partials()


#: Examples: a quick run every day, a thorough one in CI (which runs slow tests).
EXAMPLES = [pytest.param(10, id="quick"), pytest.param(300, id="thorough", marks=pytest.mark.slow)]


@pytest.mark.parametrize("examples", EXAMPLES)
def test_interleaved_writes_and_reads_match_the_raw_path(examples: int, module_store_target: str) -> None:
    engine = open_engine(module_store_target)  # on each backend; every example starts from an empty database

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(anchor=st.sampled_from(ANCHORS), spread=st.sampled_from(SPREADS), ops=st.lists(step, min_size=1, max_size=12))
    def interleaved(anchor: int, spread: int, ops: list[tuple[Any, ...]]) -> None:
        engine.store.delete_series("key", SeriesFilter())
        model = Model(engine, anchor, spread)
        for op in ops:
            run(model, op)
        # Whatever happened, a final read of every kind over the whole span.
        for interval in ("1hour", "1day", "1month"):
            check_read(model, "America/Chicago", interval, "stddev", 0, 1)
        check_summary(model, 0, 1)

    try:
        interleaved()
    finally:
        engine.close()


@pytest.mark.parametrize(
    "anchor",
    [pytest.param(a, id=n, marks=() if n in ("chicago-spring", "lmt-1880") else pytest.mark.slow)
     for a, n in zip(ANCHORS, ["chicago-spring", "chicago-fall", "la-spring", "lord-howe", "chatham", "new-year", "lmt-1880"], strict=True)],
)
def test_every_zone_and_interval_over_a_clock_change(anchor: int) -> None:
    """Every zone, interval and the two hardest functions over one data set around each anchor: a
    deterministic sweep of what the interleaved test samples (the LMT range: Chicago before 1883)."""
    engine = open_engine()
    try:
        model = Model(engine, anchor, 3 * 24 * _H)
        n = 1_500
        values: list[Value] = [(i * 7919 % 1000) / 13 if i % 4 else i * 1_000_003 for i in range(n)]
        values[100:103] = [1e16, 1.0, -1e16]
        run(model, ("write", [(i / n + (i % 5) / (40 * n), v) for i, v in enumerate(values)]))
        for zone in ZONES:
            for interval in GRAINED + RAW:
                for function in ("sum", "stddev"):
                    check_read(model, zone, interval, function, 0.013, 0.987)
        check_summary(model, 0.013, 0.987)
    finally:
        engine.close()
