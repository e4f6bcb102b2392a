"""Reads are produced block by block (a chunked SQLite read, rollups folded chunk by chunk), and the
joined blocks are exactly the one-shot rendering of all the points (``codec.dataset_json``)."""

from __future__ import annotations

import gzip
import json

import pytest

from tempodb._wire.http import Request, StreamedResponse
from tempodb._wire.intervals import Function, Interval, Unit
from tempodb._wire.timestamps import get_zone
from tempodb.server import codec, open_engine, postgres, sqlite
from tempodb.server._timefmt import format_ms
from tempodb.server.codec import RollupEcho
from tempodb.server.edge import close_blocks
from tempodb.server.rollups import rollup, summarize

AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}
T0 = 1_352_000_000_000  # 2012-11-04 03:33Z: the 11 hours of points span Chicago's fall-back (07:00Z)
N = 5_000


@pytest.fixture
def engine(durable_target: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sqlite, "_CHUNK", 333)  # many chunks, buckets cut between them
    monkeypatch.setattr(postgres, "_CHUNK", 333)
    eng = open_engine(durable_target)
    yield eng
    eng.close()


def _call(engine, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None, *, stream: bool = False):  # type: ignore[no-untyped-def]
    return engine.handle(Request(method, "http://h" + target, {**AUTH, **(headers or {})}, body), stream=stream)


def _points() -> tuple[list[int], list[float | int]]:
    stamps = [T0 + i * 7_919 for i in range(N)]  # ~11 hours at about 8 s apart
    values: list[float | int] = [i * 0.25 if i % 3 else i for i in range(N)]
    return stamps, values


def _load(engine) -> dict[str, object]:  # type: ignore[no-untyped-def]
    stamps, values = _points()
    body = json.dumps([{"t": format_ms(t, get_zone("UTC")), "v": v} for t, v in zip(stamps, values, strict=True)])
    assert _call(engine, "POST", "/v1/series/key/k/data/", body.encode()).status_code == 200
    return json.loads(_call(engine, "GET", "/v1/series/key/k/").body)


@pytest.mark.parametrize("tz", ["UTC", "America/Chicago", "Asia/Kathmandu"])
@pytest.mark.parametrize("interval", [None, Interval(1, Unit.HOUR), Interval(7, Unit.MINUTE), Interval(1, Unit.DAY)])
def test_chunked_reads_render_the_one_shot_bytes(engine, interval: Interval | None, tz: str) -> None:  # type: ignore[no-untyped-def]
    series = _load(engine)
    stamps, values = _points()
    start, end = T0 - 1, T0 + N * 7_919
    zone = get_zone(tz)
    query = f"start={format_ms(start, zone).replace('+', '%2B')}&end={format_ms(end, zone).replace('+', '%2B')}&tz={tz}"
    query += "&interval=raw" if interval is None else f"&interval={interval.count}{interval.unit.value}&function=mean"
    got = _call(engine, "GET", f"/v1/series/key/k/data/?{query}")
    assert got.status_code == 200, got.body
    echo = None
    out_t, out_v = stamps, values
    if interval is not None:
        out_t, out_v = rollup(stamps, values, interval, Function.MEAN, zone)
        echo = RollupEcho(interval.iso, "mean", tz)
    record = codec.SeriesRecord(**series)  # type: ignore[arg-type]
    expected = b"".join(
        codec.dataset_json(record, format_ms(start, zone), format_ms(end, zone), out_t, out_v, echo, summarize(values), zone)
    )
    _assert_same_rendering(got.body, expected)


def _assert_same_rendering(got: bytes, expected: bytes) -> None:
    """Byte for byte, but for the summary's ``ss`` and ``stddev``: folded from partials, grain by grain
    (``tempodb.server.partials``), they agree with the one-shot two-pass fold within a few ulps."""
    got_data, _, got_summary = got.rpartition(b'"summary":')
    expected_data, _, expected_summary = expected.rpartition(b'"summary":')
    assert got_data == expected_data
    ours, theirs = json.loads(got_summary[:-1]), json.loads(expected_summary[:-1])
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        if name in ("ss", "stddev"):
            assert ours[name] == pytest.approx(value, rel=1e-12), name
        else:
            assert ours[name] == value, name


def test_the_engine_streams_only_when_asked_and_only_big_bodies(engine) -> None:  # type: ignore[no-untyped-def]
    _load(engine)
    target = "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01&interval=raw"
    whole = _call(engine, "GET", target)
    assert not isinstance(whole, StreamedResponse) and len(whole.body) > 100_000
    # Under the streaming threshold (1 MB) a body is whole even when streaming is allowed.
    small = _call(engine, "GET", target, stream=True)
    assert not isinstance(small, StreamedResponse) and small.body == whole.body


def test_big_streamed_body_and_its_gzip(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tempodb.server import edge

    monkeypatch.setattr(edge, "_STREAM_OVER", 10_000)
    _load(engine)
    target = "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01&interval=raw"
    whole = _call(engine, "GET", target)
    streamed = _call(engine, "GET", target, stream=True)
    assert isinstance(streamed, StreamedResponse) and streamed.body == b""
    blocks = list(streamed.blocks)
    assert len(blocks) > 3 and b"".join(blocks) == whole.body
    zipped = _call(engine, "GET", target, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert isinstance(zipped, StreamedResponse) and zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(zipped.blocks)) == whole.body


def test_a_read_left_unfinished_releases_its_snapshot(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tempodb.server import edge

    monkeypatch.setattr(edge, "_STREAM_OVER", 10_000)
    _load(engine)
    target = "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01&interval=raw"
    streamed = _call(engine, "GET", target, stream=True)
    assert isinstance(streamed, StreamedResponse)
    next(streamed.blocks)
    close_blocks(streamed.blocks)  # what the ASGI front does when the client goes away
    # The read's connection is back in the pool, its snapshot ended; the store writes and reads on.
    if isinstance(engine.store, sqlite.SQLiteStore):
        assert len(engine.store._readers) == 1 and not engine.store._readers[0].in_transaction
    else:
        stats = engine.store._pool.get_stats()
        assert stats["pool_available"] == stats["pool_size"]
    assert _call(engine, "DELETE", "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01").status_code == 200
    assert json.loads(_call(engine, "GET", target).body)["data"] == []


def test_a_streamed_read_is_one_snapshot(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from tempodb.server import edge

    monkeypatch.setattr(edge, "_STREAM_OVER", 10_000)
    _load(engine)
    target = "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01&interval=raw"
    whole = _call(engine, "GET", target).body
    streamed = _call(engine, "GET", target, stream=True)
    assert isinstance(streamed, StreamedResponse)
    first = next(streamed.blocks)
    # Deleted while the response is being sent: the read goes on from the snapshot it started with.
    assert _call(engine, "DELETE", "/v1/series/key/k/data/?start=2012-01-01&end=2013-01-01").status_code == 200
    assert first + b"".join(streamed.blocks) == whole
