"""The server migrates an older PostgreSQL schema by itself: a version-1 database (before partials)
opens at the current version, and its series get their partials on the first rollup."""

from __future__ import annotations

from typing import Any

import psycopg

from tempodb.server.factory import open_engine
from tempodb.server.partials import partials_of
from tempodb.server.postgres import PostgresStore
from tempodb.server.postgres_schema import MIGRATIONS, SCHEMA_VERSION

T0 = 1_356_998_400_000  # 2013-01-01T00:00Z, a grain boundary


def _version_one(cluster: Any, url: str) -> list[tuple[int, int | float]]:
    """A database as the first PostgreSQL tempodb left it, with one series of points."""
    name = url.rsplit("/", 1)[1]
    cluster.sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    cluster.sql(f'CREATE DATABASE "{name}"')
    points: list[tuple[int, int | float]] = [(T0 + 1000 * i, i if i % 3 else i / 7) for i in range(3_000)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE tempodb_schema (version integer NOT NULL)")
        conn.execute(MIGRATIONS[0].encode())
        conn.execute("INSERT INTO tempodb_schema VALUES (1)")
        sid = conn.execute("INSERT INTO series (database, id, key) VALUES ('key', 'old-id', 'k') RETURNING sid").fetchone()
        assert sid is not None
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO points (database, series, t, vi, vf) VALUES ('key', %s, %s, %s, %s)",
                [(sid[0], t, v if type(v) is int else None, v if type(v) is float else None) for t, v in points],
            )
    return points


def test_a_version_one_database_is_migrated_and_its_partials_built(postgres_cluster: Any, postgres_url: str, caller: Any) -> None:
    points = _version_one(postgres_cluster, postgres_url)
    engine = open_engine(postgres_url)
    try:
        with psycopg.connect(postgres_url) as conn:
            assert conn.execute("SELECT max(version) FROM tempodb_schema").fetchone() == (SCHEMA_VERSION,)
            assert conn.execute("SELECT partials FROM series").fetchall() == [(False,)]
        api = caller(engine)
        api.ok("POST", "/v1/series/key/k/data/", [{"t": "2013-01-01T03:00:00Z", "v": 9.5}])  # before any rollup
        points.append((T0 + 3 * 3_600_000, 9.5))
        hourly = api.ok("GET", "/v1/series/key/k/data/?start=2012-12-31&end=2013-01-02&interval=1hour&function=count")
        assert sum(p["v"] for p in hourly["data"]) == len(points)
        store: PostgresStore = engine.store  # type: ignore[assignment]
        got = store.read_partials("key", "old-id", -(2**62), 2**62)
        want = partials_of([t for t, _ in points], [v for _, v in points])
        assert [(p.grain, p.count, p.low, p.high, p.first, p.last) for p in got] == [
            (p.grain, p.count, p.low, p.high, p.first, p.last) for p in want
        ]
        with psycopg.connect(postgres_url) as conn:
            assert conn.execute("SELECT partials FROM series").fetchall() == [(True,)]
    finally:
        engine.close()
