"""Sections ``encode`` and ``decode``: the pure-CPU codec, no I/O.

encode: points/s from (datetime, value) pairs to request bodies as a user's ``write_key`` makes them
(``DataPoint``s, ``check_points``, then ``Session.request`` per chunk: JSON, gzip level 1 for big
bodies to a remote server), against the 2013 client's way (objects, dicts with ``isoformat()``,
``simplejson.dumps``) and against the codec limit: msgspec structs built from the same pairs and
encoded (no validation, no chunking, no gzip).  Also the encoding step alone, on prebuilt points.

decode: points/s turning a server's data set body into a ``DataSet`` with ``parse_dataset``,
against the 2013 way (``simplejson.loads`` + ``dateutil.parser.parse`` per timestamp + one object
per point) and against a msgspec typed decode straight into structs (the limit).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import simplejson
from dateutil import parser as dateutil_parser

from benchmarks._common import T0_MS, Row, best_rate, check_goal, points
from tempodb import DataPoint
from tempodb._core.protocol import check_points, parse_dataset, parse_dataset_pieces
from tempodb._core.session import DEFAULT_CHUNK_SIZE, make_session
from tempodb._wire.endpoints import find
from tempodb._wire.keys import SeriesRef
from tempodb.server._timefmt import format_many

# The 2013 way is ~50x slower; timing it on more points than this only makes the run longer.
OLD_WAY_MAX_POINTS = 50_000


class _OldDataPoint:
    """The 2013 client's DataPoint: a plain object built per point."""

    def __init__(self, ts: datetime, value: float) -> None:
        self.ts = ts
        self.value = value


class _LimitPoint(msgspec.Struct, gc=False):
    t: datetime
    v: float


class _LimitSeries(msgspec.Struct):
    id: str
    key: str
    name: str
    attributes: dict[str, str]
    tags: list[str]


class _LimitDataSet(msgspec.Struct):
    series: _LimitSeries
    start: datetime
    end: datetime
    data: list[_LimitPoint]
    summary: dict[str, Any]
    rollup: Any = None


_LIMIT_DECODER = msgspec.json.Decoder(_LimitDataSet)
_LIMIT_ENCODER = msgspec.json.Encoder()


def _session(url: str) -> Any:
    """A session as ``Client`` makes one: the default gzip rule ("auto") decides by ``url``'s host."""
    return make_session("key", "secret", url, retry=False, chunk_size=DEFAULT_CHUNK_SIZE, gzip_threshold="auto", clock=time.time)


def encode_ours(data: list[DataPoint], session: Any, path: str) -> int:
    """What ``Client.write_key`` does before sending: validate, then one request per chunk."""
    checked = check_points(data)
    size = session.chunk_size
    sent = 0
    for begin in range(0, len(checked), size):
        sent += len(session.request("POST", path, body=checked[begin : begin + size]).body)
    return sent


def build_ours(pairs: list[tuple[datetime, float]], session: Any, path: str) -> int:
    """A user's write from (time, value) pairs up to the socket: DataPoints, then ``encode_ours``."""
    return encode_ours([DataPoint(t, v) for t, v in pairs], session, path)


def build_2013(pairs: list[tuple[datetime, float]]) -> int:
    points = [_OldDataPoint(t, v) for t, v in pairs]
    return len(simplejson.dumps([{"t": p.ts.isoformat(), "v": p.value} for p in points]))


def build_limit(pairs: list[tuple[datetime, float]]) -> int:
    """The codec limit: msgspec structs from the pairs, encoded (no validation, chunking or gzip)."""
    return len(_LIMIT_ENCODER.encode([_LimitPoint(t, v) for t, v in pairs]))


def encode_limit(data: list[DataPoint]) -> int:
    return len(_LIMIT_ENCODER.encode(data))


def dataset_body(n: int) -> bytes:
    """A raw read's body of ``n`` points as ``tempodb serve`` renders it (same formatter)."""
    stamps = [T0_MS + 1000 * i for i in range(n)]
    values = [i * 0.5 for i in range(n)]
    return msgspec.json.encode(
        {
            "series": {"id": "0" * 32, "key": "bench", "name": "", "attributes": {}, "tags": []},
            "start": format_many([stamps[0]])[0],
            "end": format_many([stamps[-1] + 1000])[0],
            "data": [{"t": t, "v": v} for t, v in zip(format_many(stamps), values, strict=True)],
            "rollup": None,
            "summary": {"count": n, "sum": sum(values), "mean": 0.0, "min": 0.0, "max": values[-1]},
        }
    )


_PIECE = 1 << 16


def _taking_turns(runs: list[Callable[[], object]], items: int, repeat: int) -> list[float]:
    """Items per second of the fastest run of each of ``runs``, the runs taking turns ``repeat``
    times (a collection before each): a burst of load elsewhere on the machine then slows one
    turn of each, not every run of one, so their ratio stays what the code makes it."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, run in enumerate(runs):
            gc.collect()
            begin = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - begin)
    return [items / seconds for seconds in best]


def decode_2013(body: bytes) -> list[_OldDataPoint]:
    raw = simplejson.loads(body)
    return [_OldDataPoint(dateutil_parser.parse(p["t"]), p["v"]) for p in raw["data"]]


def run_encode(n: int, repeat: int) -> list[Row]:
    data = points(n)
    pairs = [(p.ts, p.value) for p in data]
    old_n = min(n, OLD_WAY_MAX_POINTS)
    path = find("write_one").path_for(SeriesRef("key", "bench"))
    local, remote = _session("http://127.0.0.1:4242"), _session("https://api.example.com")
    runs = [
        lambda: build_ours(pairs, local, path),
        lambda: build_ours(pairs, remote, path),
        lambda: build_limit(pairs),
        lambda: encode_ours(data, local, path),
        lambda: encode_limit(data),
    ]
    ours, zipped, limit, step, step_limit = _taking_turns(runs, n, 2 * repeat)
    old = best_rate(lambda: build_2013(pairs[:old_n]), old_n, repeat=repeat)
    note = f"2013 way timed on {old_n} points" if old_n < n else ""
    return [
        Row("encode", "2013 way (objects, dicts, simplejson + isoformat)", old, "points/s", 1.0, "2013 way", note=note),
        Row("encode", "ours: DataPoints + write_key's body (loopback: no gzip)", ours, "points/s", ours / old, "2013 way"),
        Row("encode", "ours to a remote server (+ gzip level 1)", zipped, "points/s", zipped / old, "2013 way"),
        Row("encode", "msgspec structs + encode (limit)", limit, "points/s", limit / old, "2013 way"),
        check_goal(Row("encode", "ours vs limit, point construction included", ours, "points/s", ours / limit, "msgspec limit"), ">=", 0.8),
        Row("encode", "the encoding step alone vs prebuilt structs", step, "points/s", step / step_limit, "msgspec limit"),
    ]


def run_decode(n: int, repeat: int) -> list[Row]:
    body = dataset_body(n)
    old_n = min(n, OLD_WAY_MAX_POINTS)
    old_body = body if old_n == n else dataset_body(old_n)
    assert len(parse_dataset(body).data) == n  # the fast path really parses every point
    # The HTTP client reads a body in the pieces it arrived in (parse_dataset_pieces), 64 KiB here,
    # cut before the timing as the network cuts them; each run empties its own list of them.
    cuts = [[body[i : i + _PIECE] for i in range(0, len(body), _PIECE)] for _ in range(2 * repeat)]

    def in_pieces() -> object:
        return parse_dataset_pieces(cuts.pop())

    runs = [lambda: parse_dataset(body), in_pieces, lambda: _LIMIT_DECODER.decode(body)]
    ours, pieces, limit = _taking_turns(runs, n, 2 * repeat)
    old = best_rate(lambda: decode_2013(old_body), old_n, repeat=max(1, repeat // 2))
    note = f"2013 way timed on {old_n} points" if old_n < n else ""
    return [
        Row("decode", "2013 way (simplejson + dateutil)", old, "points/s", 1.0, "2013 way", note=note),
        Row("decode", "ours (parse_dataset)", ours, "points/s", ours / old, "2013 way"),
        Row("decode", "msgspec typed decode (limit)", limit, "points/s", limit / old, "2013 way"),
        Row("decode", "ours vs limit", ours, "points/s", ours / limit, "msgspec limit"),
        Row("decode", "ours piece by piece (as the HTTP client reads) vs limit", pieces, "points/s", pieces / limit, "msgspec limit"),
    ]
