"""Rollups and summaries checked against an independent reference (plain Python + zoneinfo) on random data.

The reference works point by point with datetimes, following the bucket rules of the API contract:
second/minute/hour buckets start where the local wall clock reads a multiple of N units (counted from
the wall time 1970-01-01 00:00; found by trying wall times in the zone), day buckets start at local midnights,
month/year buckets at the first of the month/year (N counted from 1970), labels are bucket starts in tz.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wire_text import wire_offset

from tempodb._wire.http import Request, Response
from tempodb.server import Engine, open_engine

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = ["UTC", "America/Chicago", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu", "Africa/Monrovia"]
# Instants near DST changes of the zones above (and one plain day), as epoch ms.
ANCHORS = [
    int((datetime(*parts, tzinfo=UTC) - EPOCH).total_seconds() * 1000)
    for parts in [(2013, 3, 10, 8), (2013, 11, 3, 7), (2013, 3, 31, 1), (2013, 10, 27, 1), (2013, 4, 6, 15), (2013, 10, 5, 15), (2012, 6, 15, 12),
                  (1985, 12, 31, 18, 30), (1972, 1, 7, 0, 44, 30)]
]
UNITS = {"sec": "S", "min": "M", "hour": "H", "day": "D", "month": "M", "year": "Y"}
FUNCTIONS = ["sum", "max", "min", "mean", "avg", "stddev", "count", "ss"]

_KEYS = itertools.count()
_AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}


@pytest.fixture(scope="module")
def engine(module_store_target: str) -> Iterator[Engine]:
    """One engine per backend for all examples: each example writes a series of its own."""
    shared = open_engine(module_store_target)
    yield shared
    shared.close()


def _call(engine: Engine, method: str, target: str, body: str = "") -> Response:
    return engine.handle(Request(method, "http://h" + target, _AUTH, body.encode()))


def _new_series(engine: Engine, stored: dict[int, float], zone: Any) -> str:
    key = f"p{next(_KEYS)}"
    assert _call(engine, "POST", "/v1/series/", f'{{"key": "{key}"}}').status_code == 200
    body = "[" + ",".join(f'{{"t":"{_wire_time(t, zone)}","v":{v!r}}}' for t, v in stored.items()) + "]"
    assert _call(engine, "POST", f"/v1/series/key/{key}/data/", body).status_code == 200
    return key


def _wire_time(ms: int, zone: Any) -> str:
    """``ms`` as a client writes it in ``zone``; in UTC where the zone's offset has seconds (Monrovia's
    -00:44:30 before 1972), which no timestamp on the wire can carry (docs/protocol.md §3.1)."""
    text = _render(ms, zone)
    return _render(ms, UTC) if text.count(":") > 3 else text


def _zone(name: str) -> Any:
    return UTC if name == "UTC" else ZoneInfo(name)


def _ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _render(ms: int, zone: Any) -> str:
    text = (EPOCH + timedelta(milliseconds=ms)).astimezone(zone).isoformat(timespec="milliseconds")
    return wire_offset(text)


_NAIVE_EPOCH = datetime(1970, 1, 1)
_NEAR = timedelta(hours=3)


def _offset(ms: int, zone: Any) -> timedelta:
    offset = (EPOCH + timedelta(milliseconds=ms)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _wall_edge(ms: int, step: timedelta, zone: Any) -> int:
    """The last instant <= ms at which the wall clock in ``zone`` reads a multiple of ``step``."""
    naive = (EPOCH + timedelta(milliseconds=ms)).astimezone(zone).replace(tzinfo=None)
    wall = _NAIVE_EPOCH + (naive - _NAIVE_EPOCH) // step * step
    if _offset(ms - (step + _NEAR) // timedelta(milliseconds=1), zone) == _offset(ms, zone):
        return _ms(wall.replace(tzinfo=UTC) - _offset(ms, zone))  # no clock change near
    # Near a change: every wall time that is a multiple, in both folds, if the clock shows it.
    reach = (step + _NEAR) // step + 1
    found = []
    for k in range(-reach, reach + 1):
        candidate = wall + k * step
        for fold in (0, 1):
            instant = candidate.replace(tzinfo=zone, fold=fold).astimezone(UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == candidate and _ms(instant) <= ms:
                found.append(_ms(instant))
    return max(found)


def _bucket(ms: int, count: int, unit: str, zone: Any) -> int:
    if unit in ("sec", "min", "hour"):
        return _wall_edge(ms, count * timedelta(**{{"sec": "seconds", "min": "minutes", "hour": "hours"}[unit]: 1}), zone)
    local = (EPOCH + timedelta(milliseconds=ms)).astimezone(zone).date()
    if unit == "day":
        days = (local - date(1970, 1, 1)).days
        first = date(1970, 1, 1) + timedelta(days=days - days % count)
    elif unit == "month":
        months = (local.year - 1970) * 12 + local.month - 1
        months -= months % count
        first = date(1970 + months // 12, months % 12 + 1, 1)
    else:
        years = local.year - 1970
        first = date(1970 + years - years % count, 1, 1)
    return _ms(datetime(first.year, first.month, first.day, tzinfo=zone))


def _fold(function: str, values: list[float]) -> float:
    if function == "count":
        return len(values)
    if function == "sum":
        return sum(values)
    if function in ("mean", "avg"):
        return statistics.fmean(values)
    if function == "max":
        return max(values)
    if function == "min":
        return min(values)
    mean = statistics.fmean(values)
    ss = sum((v - mean) ** 2 for v in values)
    if function == "ss":
        return ss
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


points_strategy = st.lists(
    st.tuples(
        st.integers(-400 * 86_400_000, 400 * 86_400_000),
        st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    anchor=st.sampled_from(ANCHORS),
    spread=st.sampled_from([3_600_000, 86_400_000 * 3, 86_400_000 * 400]),
    points=points_strategy,
    count=st.integers(1, 5),
    unit=st.sampled_from(list(UNITS)),
    function=st.sampled_from(FUNCTIONS),
    zone_name=st.sampled_from(ZONES),
    window=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_rollup_matches_reference(
    engine: Engine, anchor: int, spread: int, points: list[tuple[int, float]], count: int, unit: str, function: str, zone_name: str, window: tuple[float, float]
) -> None:
    zone = _zone(zone_name)
    stored = {anchor + offset * spread // (400 * 86_400_000): value for offset, value in points}  # last write wins
    lo, hi = sorted(window)
    start, end = anchor - spread + int(2 * spread * lo), anchor - spread + int(2 * spread * hi) + 1
    key = _new_series(engine, stored, UTC)
    query = f"start={_render(start, UTC)}&end={_render(end, UTC)}&interval={count}{unit}&function={function}&tz={zone_name}"
    response = _call(engine, "GET", f"/v1/series/key/{key}/data/?{query}")
    assert response.status_code == 200, response.body
    got = json.loads(response.body)

    inside = sorted((t, v) for t, v in stored.items() if start <= t < end)
    buckets: dict[int, list[float]] = {}
    for t, v in inside:
        buckets.setdefault(_bucket(t, count, unit, zone), []).append(v)
    expected = [(_render(b, zone), _fold(function, vs)) for b, vs in sorted(buckets.items())]
    assert [p["t"] for p in got["data"]] == [t for t, _ in expected]
    for point, (_, value) in zip(got["data"], expected, strict=True):
        assert _close(point["v"], value), (point, value)
        assert isinstance(point["v"], int) == (function == "count")
    iso_unit = UNITS[unit]
    assert got["rollup"] == {"interval": f"P{'T' if unit in ('sec', 'min', 'hour') else ''}{count}{iso_unit}", "function": function, "tz": zone_name}
    assert (got["start"], got["end"]) == (_render(start, zone), _render(end, zone))

    values = [v for _, v in inside]
    if not values:
        assert got["summary"] == {}
    else:
        reference = {f: _fold(f, values) for f in ("sum", "mean", "max", "min", "stddev", "ss", "count")}
        assert list(got["summary"]) == list(reference)
        for name, value in reference.items():
            assert _close(got["summary"][name], value), (name, got["summary"][name], value)


@settings(max_examples=40, deadline=None)
@given(points=points_strategy, zone_name=st.sampled_from(ZONES), anchor=st.sampled_from(ANCHORS))
def test_raw_read_renders_every_point_in_zone(engine: Engine, points: list[tuple[int, float]], zone_name: str, anchor: int) -> None:
    zone = _zone(zone_name)
    stored = {anchor + offset // 100: value for offset, value in points}
    key = _new_series(engine, stored, zone)  # written with local offsets, read back in the same zone
    start, end = anchor - 5 * 86_400_000, anchor + 5 * 86_400_000
    target = f"/v1/series/key/{key}/data/?start={_render(start, UTC)}&end={_render(end, UTC)}&interval=raw&tz={zone_name}"
    got = json.loads(_call(engine, "GET", target).body)
    assert got["data"] == [{"t": _render(t, zone), "v": v} for t, v in sorted(stored.items())]

