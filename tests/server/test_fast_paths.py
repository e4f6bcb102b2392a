"""The server's bulk fast paths checked against the slow, obvious code they stand in for.

- ``parse_ms``/``parse_many`` (split-and-cache timestamp parsing) against ``parse_timestamp``;
- ``format_many``/``format_pieces`` (table-driven rendering) against ``datetime.isoformat``;
- the data set JSON built from pieces against msgspec encoding one struct per point;
- a write through the typed fast path against the point-by-point path, errors included.
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import tzinfo
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_text import wire_offset

from tempodb._core.errors import InvalidInputError
from tempodb._wire.http import Request
from tempodb._wire.keys import SeriesRef
from tempodb._wire.timestamps import UTC, epoch_ms, from_epoch_ms, get_zone, parse_timestamp
from tempodb.server import _gzip, codec
from tempodb.server._timefmt import format_many, format_pieces, parse_many, parse_ms
from tempodb.server.factory import open_engine
from tempodb.server.rollups import summarize
from tempodb.server.storage import SeriesRecord

ZONES = [UTC, get_zone("America/Chicago"), get_zone("Asia/Kathmandu"), get_zone("Australia/Lord_Howe"), get_zone("Africa/Monrovia")]
HEADS = ["2012-01-01T00:00", "2012-02-29T23:59", "2013-02-29T00:00", "2012-13-01T00:00", "2012-01-01T24:00", "2012-01-01T23:60",
         "2012-01-01 00:00", "2012-01-01t00:00", "0001-01-01T00:00", "9999-12-31T23:59", "1969-12-31T23:59", "\u0662012-01-01T00:00",
         " 2012-01-01T00:0", "20120101T00:00", "2012-01-01T0:000"]
TAILS = ["", ":00", ":59", ":60", ":5", ":05Z", ":05z", ":05.1Z", ":05.123Z", ":05.1234Z", ":05.123456789Z", ":05.1234567890Z",
         ":05,5Z", ":05+00:00", ":05-00:00", ":05+0000", ":05+00", ":05+01:00", ":05-05:30", ":05+0530", ":05 05:30", ":05.5+01",
         ":05Z ", " ", ":05 Z", ":05.Z", "Z", "+01:00", ":05+99:99", ":0\u0665Z", ":05.000+00:00", ":05 +01:00"]


def _reference_ms(text: str, zone: tzinfo) -> Any:
    try:
        return epoch_ms(parse_timestamp(text, zone))
    except ValueError as exc:  # InvalidInputError, or the ValueError an offset of 24 h or more raises
        return (type(exc), str(exc))


def _fast_ms(text: str, zone: tzinfo) -> Any:
    try:
        return parse_ms(text, zone)
    except ValueError as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize("zone", ZONES[:3], ids=str)
def test_parse_agrees_with_the_lenient_parser(zone: tzinfo) -> None:
    texts = [head + tail for head in HEADS for tail in TAILS]
    for _ in range(2):  # cold, then from the caches
        for text in texts:
            assert _fast_ms(text, zone) == _reference_ms(text, zone), text
    good = [text for text in texts if isinstance(_reference_ms(text, zone), int)]
    assert parse_many(good, zone) == [_reference_ms(text, zone) for text in good]
    with pytest.raises(InvalidInputError, match="nope"):
        parse_many([*good[:3], "nope", *good[3:]], zone)


def _reference_text(ms: int, zone: tzinfo) -> str:
    text = from_epoch_ms(ms, zone).isoformat(timespec="milliseconds")
    return wire_offset(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(10**13), 10**13), max_size=60),
    st.integers(0, 4),
    st.booleans(),
)
def test_format_agrees_with_isoformat(stamps: list[int], zone_index: int, ordered: bool) -> None:
    zone = ZONES[zone_index]
    if ordered:
        stamps = sorted(stamps)
    expected = [_reference_text(ms, zone) for ms in stamps]
    assert format_many(stamps, zone) == expected
    pieces = [""] * (4 * len(stamps))
    format_pieces(stamps, zone, pieces, 4, lead="<", trail=">")
    assert "".join(pieces) == "".join(f"<{text}>" for text in expected)


def test_format_runs_across_days_and_dst() -> None:
    start = epoch_ms(parse_timestamp("2013-03-09T00:00:00Z"))
    stamps = list(range(start, start + 3 * 86_400_000, 61_001))
    for zone in ZONES:
        assert format_many(stamps, zone) == [_reference_text(ms, zone) for ms in stamps]


class _Point(msgspec.Struct):
    t: str
    v: Any


class _DataSet(msgspec.Struct):
    series: SeriesRecord
    start: str
    end: str
    data: list[_Point]
    rollup: Any
    summary: dict[str, Any]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 65_536 + 3])
def test_dataset_json_is_what_msgspec_writes(n: int) -> None:
    rng = random.Random(n)
    stamps = sorted(rng.sample(range(10**12, 10**12 + 10**10), n))
    values: list[Any] = [rng.choice([rng.random() * 1e6, rng.randint(-(2**63), 2**63 - 1), 0, -0.0, 1e-300, 1.5e100]) for _ in stamps]
    series = SeriesRecord(id="i", key='k "quoted" \u00e9', name="n", tags=["t"], attributes={"data": "[1,2]"})
    zone = get_zone("America/Chicago")
    summary = summarize(values) if n else {}
    echo = codec.RollupEcho("PT1H", "mean", "America/Chicago")
    got = b"".join(codec.dataset_json(series, "s", "e", stamps, values, echo, summary, zone))
    data = [_Point(t, v) for t, v in zip(format_many(stamps, zone), values, strict=True)]
    assert got == msgspec.json.encode(_DataSet(series, "s", "e", data, echo, summary))


def test_summary_stays_accurate() -> None:
    rng = random.Random(3)
    for values in ([rng.gauss(1e9, 1e-3) for _ in range(1000)], [rng.randint(-(10**15), 10**15) for _ in range(999)], [2.5]):
        mean = math.fsum(values) / len(values)
        two_pass = math.fsum([(v - mean) ** 2 for v in values])
        assert summarize(values)["ss"] == pytest.approx(two_pass, rel=1e-12, abs=0)


WRITES = [
    [{"t": "2012-01-01T00:00:00Z", "v": 1.5}, {"t": "2012-01-01T00:00:01.5+01:00", "v": 2}, {"t": "2012-01-02 00:00:00", "v": 3}],
    [{"t": "2012-01-01T00:00:00", "v": 1.5}],
    [{"t": "2012-01-01T00:00:00Z", "v": 2**63}],
    [{"t": "2012-01-01T00:00:00Z", "v": 1e19}],
    [{"t": "2012-01-01T00:00:00Z", "v": "1.5"}],
    [{"t": "2012-01-01T00:00:00Z", "v": 1}, {"v": 2}],
    [{"t": "2012-01-01T00:00:00Z", "v": 1}, {"t": "2012-13-01T00:00:00Z", "v": 2}],
    [{"t": "2012-01-01T00:00:00Z", "v": 1, "x": [1]}, {"t": None, "v": 2.5}],
    [{"t": 5, "v": 1}],
    {"t": "2012-01-01T00:00:00Z", "v": 1},
]


@pytest.mark.parametrize("body", WRITES, ids=range(len(WRITES)))
@pytest.mark.parametrize("tz", ["", "?tz=America/Chicago"])
def test_typed_write_path_answers_like_the_general_one(body: Any, tz: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(fast: bool) -> tuple[int, bytes, Any]:
        if not fast:
            monkeypatch.setattr(codec, "plain_points", lambda body, zone: None)
        engine = open_engine(":memory:")
        engine._clock = lambda: 1_700_000_000.25
        request = Request("POST", f"http://x/v1/series/key/k/data/{tz}", {"Authorization": "Basic a2V5OnNlY3JldA=="}, msgspec.json.encode(body))
        response = engine.handle(request)
        series = engine.store.get_series("key", SeriesRef("key", "k"))
        rows = None if series is None else [(t, v, type(v)) for t, v in engine.store.read_points("key", series.id, -(10**15), 10**15)]
        engine.close()
        return response.status_code, response.body, rows

    assert write(True) == write(False)



@pytest.mark.parametrize("size", [0, 100, 8 << 20, (12 << 20) + 5])
def test_parallel_gzip_is_one_standard_gzip_member(size: int) -> None:
    data = bytes(random.Random(size).choices(b'0123456789,.:{}"tvZT', k=size))
    for level in (1, 6):
        inflater = zlib.decompressobj(wbits=31)
        assert inflater.decompress(_gzip.compress(data, level)) == data
        assert inflater.eof and not inflater.unused_data

