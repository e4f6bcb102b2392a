"""Section ``postgres``: the PostgreSQL store beside the SQLite store and beside raw PostgreSQL, and
1, 2, 4 server processes against one PostgreSQL.

A throwaway cluster is started from the machine's binaries with PostgreSQL's durable defaults
(fsync on, synchronous commit), as SQLite runs with ``synchronous=FULL``; without the binaries the
section is one row saying so.  Measured in one run:

- store write: ``write_points`` of N points in batches of ``BATCH`` (one transaction each), against
  SQLite on a file and against raw psycopg into the same table shape: ``COPY`` (the fastest way in,
  but no upsert) and ``executemany`` of the same ``INSERT ... ON CONFLICT``;
- store read: ``read_points`` of all N points, against a plain range ``SELECT`` with ``fetchall``;
- rollup: one ``interval=1hour&function=mean`` read of the N points through the engine (no HTTP),
  median latency, PostgreSQL against SQLite;
- servers: ``tempodb serve --workers K`` (K = 1, 2, 4) on one PostgreSQL, WRITERS async tasks writing
  batches; points/s against K = 1.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import tempodb.aio
from benchmarks._common import T0, T0_MS, Row, points, timed
from tempodb._wire.http import Request
from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import SeriesFilter
from tempodb.server.factory import open_engine
from tempodb.server.storage import PointBatch, Store
from tempodb.testing import run_server

BATCH = 10_000
WRITERS = 16
SERVER_BATCH = 500


def _data(n: int) -> list[tuple[int, int | float]]:
    # Half integers, half floats: both value columns are exercised, as real series mix them.
    return [(T0_MS + i * 1000, i if i % 2 else i * 0.5) for i in range(n)]


def _store_write(store: Store, database: str, data: list[tuple[int, int | float]]) -> None:
    ref = SeriesRef("key", f"s-{secrets.token_hex(4)}")
    for low in range(0, len(data), BATCH):
        store.write_points(database, [PointBatch(data[low : low + BATCH], ref)], increment=False)


def _raw_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_points (database text NOT NULL, series bigint NOT NULL, t bigint NOT NULL, "
            "vi bigint, vf double precision, PRIMARY KEY (database, series, t), CHECK ((vi IS NULL) <> (vf IS NULL)))"
        )


def _raw_copy(url: str, data: list[tuple[int, int | float]], series: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for low in range(0, len(data), BATCH):
            with cur.copy("COPY raw_points (database, series, t, vi, vf) FROM STDIN") as copy:
                for t, v in data[low : low + BATCH]:
                    copy.write_row(("bench", series, t, v if type(v) is int else None, v if type(v) is float else None))
            conn.commit()


def _raw_executemany(url: str, data: list[tuple[int, int | float]], series: int) -> None:
    import psycopg

    sql = (
        "INSERT INTO raw_points (database, series, t, vi, vf) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (database, series, t) DO UPDATE SET vi = excluded.vi, vf = excluded.vf"
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for low in range(0, len(data), BATCH):
            cur.executemany(
                sql, [("bench", series, t, v if type(v) is int else None, v if type(v) is float else None) for t, v in data[low : low + BATCH]]
            )
            conn.commit()


def _raw_select(url: str, series: int, n: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT t, vi, vf FROM raw_points WHERE database = %s AND series = %s AND t >= %s AND t < %s ORDER BY t",
            ("bench", series, T0_MS, T0_MS + n * 1000),
        ).fetchall()
    assert len(rows) == n


_AUTH = {"Authorization": "Basic YmVuY2g6YmVuY2g="}  # bench:bench


def _rollup_latency(target: str, n: int, repeat: int) -> float:
    engine = open_engine(target)
    try:
        body = "[" + ",".join(f'{{"t":"{(T0 + timedelta(seconds=i)).isoformat()}","v":{i * 0.5}}}' for i in range(n)) + "]"
        response = engine.handle(Request("POST", "http://h/v1/series/key/r/data/", _AUTH, body.encode()))
        assert response.status_code == 200, response.body
        end = (T0 + timedelta(seconds=n)).isoformat()
        url = f"http://h/v1/series/key/r/data/?start={T0.isoformat()}&end={end}&interval=1hour&function=mean".replace("+", "%2B")
        times = []
        for _ in range(repeat):
            begin = time.perf_counter()
            got = engine.handle(Request("GET", url, _AUTH, b""))
            times.append(time.perf_counter() - begin)
            assert got.status_code == 200, got.body
        return statistics.median(times)
    finally:
        engine.close()


async def _server_writers(host: str, port: int, total: int) -> float:
    per_writer = total // WRITERS
    data = points(per_writer)
    batches = [data[i : i + SERVER_BATCH] for i in range(0, per_writer, SERVER_BATCH)]
    key = secrets.token_hex(8)
    async with tempodb.aio.Client(key, "bench", host, port, secure=False, pool_maxsize=WRITERS) as client:
        await client.write_key("warm-up", [data[0]])

        async def writer(index: int) -> None:
            for batch in batches:
                await client.write_key(f"writer-{index}", batch)

        begin = time.perf_counter()
        await asyncio.gather(*(writer(i) for i in range(WRITERS)))
        return per_writer * WRITERS / (time.perf_counter() - begin)


def run(n: int, server_total: int, repeat: int = 3) -> list[Row]:
    from tempodb.testing_postgres import missing_binaries, start_cluster

    missing = missing_binaries()
    if missing:
        return [Row("postgres", "skipped", 0, "", note=f"no PostgreSQL binaries on PATH ({', '.join(missing)})")]
    rows: list[Row] = []
    cluster = start_cluster(durable=True)
    try:
        with tempfile.TemporaryDirectory(prefix="tempodb-bench-pg-") as directory:
            url = cluster.new_database()
            sqlite_path = str(Path(directory) / "bench.db")
            data = _data(n)
            from tempodb.server.factory import open_store

            pg, lite = open_store(url), open_store(sqlite_path)
            try:
                pg_write = timed(lambda: _store_write(pg, "bench", data), repeat)
                lite_write = timed(lambda: _store_write(lite, "bench", data), repeat)
                _raw_tables(url)
                series = iter(range(1, 1000))
                copy = timed(lambda: _raw_copy(url, data, next(series)), repeat)
                many = timed(lambda: _raw_executemany(url, data, next(series)), repeat)
                rows += [
                    Row("postgres", "store write, PostgreSQL", n / pg_write, "points/s", lite_write / pg_write, "SQLite store write"),
                    Row("postgres", "store write vs raw COPY", n / pg_write, "points/s", copy / pg_write, "raw COPY"),
                    Row("postgres", "store write vs raw executemany", n / pg_write, "points/s", many / pg_write, "raw executemany upsert"),
                    Row("postgres", "raw COPY", n / copy, "points/s"),
                    Row("postgres", "raw executemany upsert", n / many, "points/s"),
                    Row("postgres", "store write, SQLite", n / lite_write, "points/s"),
                ]
                pg_series = pg.find_series("bench", SeriesFilter())[0].id
                lite_series = lite.find_series("bench", SeriesFilter())[0].id
                end = T0_MS + n * 1000
                pg_read = timed(lambda: pg.read_points("bench", pg_series, T0_MS, end), repeat)
                lite_read = timed(lambda: lite.read_points("bench", lite_series, T0_MS, end), repeat)
                raw_read = timed(lambda: _raw_select(url, 1, n), repeat)
                rows += [
                    Row("postgres", "store read, PostgreSQL", n / pg_read, "points/s", lite_read / pg_read, "SQLite store read"),
                    Row("postgres", "store read vs raw SELECT", n / pg_read, "points/s", raw_read / pg_read, "raw range SELECT"),
                    Row("postgres", "store read, SQLite", n / lite_read, "points/s"),
                ]
            finally:
                pg.close()
                lite.close()
            pg_rollup = _rollup_latency(cluster.new_database(), n, repeat * 3)
            lite_rollup = _rollup_latency(str(Path(directory) / "rollup.db"), n, repeat * 3)
            rows.append(
                Row("postgres", "rollup 1hour mean, PostgreSQL", pg_rollup * 1000, "ms", pg_rollup / lite_rollup,
                    "SQLite rollup (cost ratio)", extra={"points": n, "sqlite_ms": lite_rollup * 1000})
            )
            base = None
            for workers in (1, 2, 4):
                target = cluster.new_database()
                with run_server(Path(directory) / f"w{workers}", db_path=target, extra_args=["--workers", str(workers)]) as proc:
                    rate = asyncio.run(_server_writers(proc.info.host, proc.info.port, server_total))
                base = rate if base is None else base
                rows.append(
                    Row("postgres", f"{workers} server process{'es' if workers > 1 else ''}", rate, "points/s", rate / base,
                        "1 server process", extra={"writers": WRITERS, "batch": SERVER_BATCH, "total_points": server_total})
                )
            rows[-1].note = (
                "all processes (servers, PostgreSQL backends and this load generator) share the machine's "
                "cores: past one process per core the servers only compete for CPU"
            )
    finally:
        cluster.destroy()
    return rows
