"""Rollup latency and single-series ingest on the embedded engine: ``python -m benchmarks.rollups``.

- ingest: one series written through the engine in 10k-point ``write_key`` bodies (points/s of wall
  time, and per CPU second of this process: on a busy machine the wall figure swings by 2x from run
  to run, the CPU one much less), and the same points into a bare SQLite table of the same shape
  (the floor every store pays);
- rollups over the whole range: hourly mean (UTC) and daily max in America/Chicago, plus the
  summary endpoint: best of ``--repeat`` wall times, and the figures per point read.

Everything runs in a temporary directory on the engine itself (no socket), so the figures are the
server's cost. ``--points 1000000`` by default; ``--points 31536000`` is a year at 1 Hz (the rollup
data is written through the store in 100k-point batches, partials and all, not as JSON bodies).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import tempfile
import time

from benchmarks._common import timed
from tempodb._wire.http import Request, Response
from tempodb._wire.keys import SeriesRef
from tempodb.server import open_engine
from tempodb.server.storage import PointBatch

T0_MS = 1_325_376_000_000  # 2012-01-01T00:00:00Z
_AUTH = {"Authorization": "Basic " + base64.b64encode(b"key:secret").decode()}
_BATCH = 10_000


def _iso(ms: int) -> str:
    seconds, milli = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{milli:03d}Z"


def _bodies(n: int) -> list[bytes]:
    """10k-point ``write_key`` bodies of 1 Hz points (values vary so no fold is trivial)."""
    out = []
    for begin in range(0, n, _BATCH):
        items = [{"t": _iso(T0_MS + 1000 * i), "v": (i % 1000) / 7} for i in range(begin, min(begin + _BATCH, n))]
        out.append(json.dumps(items).encode())
    return out


def bench_ingest(directory: str, n: int) -> None:
    bodies = _bodies(n)
    engine = open_engine(os.path.join(directory, "ingest.db"))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            response = engine.handle(Request("POST", "http://h/v1/series/key/s/data/", _AUTH, body))
            assert response.status_code == 200, response.body
        ours, ours_cpu = n / (time.perf_counter() - started), n / (time.process_time() - cpu)
    finally:
        engine.close()
    conn = sqlite3.connect(os.path.join(directory, "raw.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE points (series INTEGER, t INTEGER, v ANY, PRIMARY KEY (series, t)) STRICT, WITHOUT ROWID")
    batches = [[(T0_MS + 1000 * i, (i % 1000) / 7) for i in range(begin, min(begin + _BATCH, n))] for begin in range(0, n, _BATCH)]
    started, cpu = time.perf_counter(), time.process_time()
    for rows in batches:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO points VALUES (1, ?, ?) ON CONFLICT DO UPDATE SET v = excluded.v", rows)
        conn.execute("COMMIT")
    raw, raw_cpu = n / (time.perf_counter() - started), n / (time.process_time() - cpu)
    conn.close()
    print(f"ingest   engine write_key, 10k bodies   {ours:>12,.0f} points/s  {ours_cpu:>12,.0f} points/CPU-s")
    print(
        f"ingest   bare SQLite executemany        {raw:>12,.0f} points/s  {raw_cpu:>12,.0f} points/CPU-s"
        f"  (engine / bare: {ours / raw:.2f}x wall, {ours_cpu / raw_cpu:.2f}x CPU)"
    )


def bench_rollups(directory: str, n: int, repeat: int) -> None:
    engine = open_engine(os.path.join(directory, "rollups.db"))
    try:
        engine.handle(Request("POST", "http://h/v1/series/", _AUTH, b'{"key": "r"}'))
        started = time.perf_counter()
        for begin in range(0, n, 100_000):
            points = [(T0_MS + 1000 * i, (i % 1000) / 7) for i in range(begin, min(begin + 100_000, n))]
            engine.store.write_points("key", [PointBatch(points, SeriesRef("key", "r"))], increment=False)
        print(f"rollup   filled {n:,} points through the store in {time.perf_counter() - started:,.1f} s")
        span = f"start={_iso(T0_MS)}&end={_iso(T0_MS + 1000 * n)}"

        def get(query: str) -> Response:
            response = engine.handle(Request("GET", f"http://h/v1/series/key/r/{query}", _AUTH, b""))
            assert response.status_code == 200, response.body
            return response

        cases = {
            "hourly mean (UTC)": f"data/?{span}&interval=1hour&function=mean",
            "daily max (America/Chicago)": f"data/?{span}&interval=1day&function=max&tz=America/Chicago",
            "summary": f"summary/?{span}",
        }
        get(cases["summary"])  # the first read of a series may build what later reads use
        for name, query in cases.items():
            seconds = timed(lambda q=query: get(q), repeat)
            print(f"rollup   {name:<30} {seconds * 1000:>10,.1f} ms  over {n:,} points ({n / seconds:,.0f} points/s)")
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="ingest,rollups", help="comma-separated: ingest, rollups")
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as directory:
        if "ingest" in sections:
            bench_ingest(directory, args.points)
        if "rollups" in sections:
            bench_rollups(directory, args.points, args.repeat)


if __name__ == "__main__":
    main()
