"""Each kind of write keeps the SQLite store's partials current, and a database made before partials
existed gets them built on its first rollup, with nothing lost and no manual step."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tempodb.server import Engine, open_engine
from tempodb.server._timefmt import format_ms as _iso
from tempodb.server.partials import partials_of
from tempodb.server.rollups import summarize
from tempodb.server.sqlite import SQLiteStore
from tempodb.server.storage import GRAIN_MS

T0 = 1_356_998_400_000  # 2013-01-01T00:00Z, a grain boundary
_MIN = -(2**62)
_MAX = 2**62


def _assert_current(store: SQLiteStore, series_id: str) -> None:
    """The stored partials are those of the stored points."""
    points = store.read_points("key", series_id, _MIN, _MAX)
    want = partials_of([t for t, _ in points], [v for _, v in points])
    got = store.read_partials("key", series_id, _MIN, _MAX)
    assert [(p.grain, p.count, p.low, p.high, p.first, p.last, math.fsum(p.total)) for p in got] == [
        (p.grain, p.count, p.low, p.high, p.first, p.last, math.fsum(p.total)) for p in want
    ]
    for a, b in zip(got, want, strict=True):
        assert a.m2 == b.m2 if b.m2 is None else a.m2 == pytest.approx(b.m2, rel=1e-12, abs=1e-300)


def _write(api: Any, points: list[tuple[int, float]], *, increment: bool = False) -> None:
    path = "increment" if increment else "data"
    api.ok("POST", f"/v1/series/key/k/{path}/", [{"t": _iso(t), "v": v} for t, v in points])


@pytest.fixture
def series_id(api: Any) -> str:
    _write(api, [(T0 + 1000 * i, i / 3) for i in range(0, 2000, 7)])  # three grains, the last partly
    return str(api.ok("GET", "/v1/series/key/k/")["id"])


def test_a_new_series_gets_its_partials_with_its_first_write(engine: Engine, series_id: str) -> None:
    assert len(engine.store.read_partials("key", series_id, _MIN, _MAX)) == 3
    _assert_current(engine.store, series_id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "points",
    [
        [(T0 + 1_999_000 + 1000 * i, 1.5) for i in range(100)],  # appended: merged into the last grain
        [(T0 - 5_000, 2.0), (T0 + 5_000_000, 3.0)],  # before the first grain, and into a new one
        [(T0 + 7_000, 100.0), (T0 + 8_000, -1.0)],  # an overwrite, and a point between stored ones
        [(T0 + 14_000, 1e16), (T0 + 14_000, 5.0)],  # a repeated timestamp: the last one wins
        [(T0 + 21_000, 1.7e308)],  # a value past the exact arithmetic: that grain becomes raw only
    ],
    ids=["append", "new-grains", "overwrite", "repeated", "huge"],
)
def test_writes_keep_the_partials(engine: Engine, api: Any, series_id: str, points: list[tuple[int, float]]) -> None:
    _write(api, points)
    _assert_current(engine.store, series_id)  # type: ignore[arg-type]


def test_increments_keep_the_partials(engine: Engine, api: Any, series_id: str) -> None:
    _write(api, [(T0 + 7_000, 5), (T0 + 3 * GRAIN_MS + 1, 2), (T0 + 3 * GRAIN_MS + 1, 2)], increment=True)
    _assert_current(engine.store, series_id)  # type: ignore[arg-type]
    assert engine.store.read_points("key", series_id, T0 + 3 * GRAIN_MS, _MAX) == [(T0 + 3 * GRAIN_MS + 1, 4)]


@pytest.mark.parametrize(
    "span",
    [(T0 + 100_000, T0 + 200_000), (T0 + 100_000, T0 + GRAIN_MS + 5), (T0, T0 + GRAIN_MS), (_MIN, _MAX), (T0 + 7_000, T0 + 7_000)],
    ids=["inside-a-grain", "across-grains", "a-whole-grain", "everything", "one-point"],
)
def test_range_deletes_keep_the_partials(engine: Engine, api: Any, series_id: str, span: tuple[int, int]) -> None:
    start, end = span
    query = f"start={_iso(max(start, -62_135_596_800_000))}&end={_iso(min(end, 253_402_300_799_999))}"
    api.ok("DELETE", f"/v1/series/key/k/data/?{query}")
    _assert_current(engine.store, series_id)  # type: ignore[arg-type]


def test_deleting_a_series_deletes_its_partials(engine: Engine, api: Any, series_id: str) -> None:
    api.ok("DELETE", "/v1/series/key/k/")
    store: SQLiteStore = engine.store  # type: ignore[assignment]
    with store._connection() as conn:
        assert conn.execute("SELECT COUNT(*) FROM partials").fetchone()[0] == 0
    _write(api, [(T0, 1.0)])  # the key again: a new series, with a partial of its own only
    assert [p.count for p in store.read_partials("key", str(api.ok("GET", "/v1/series/key/k/")["id"]), _MIN, _MAX)] == [1]


# -- a database made before partials existed ------------------------------------------------------

# The tables of the store before partials (tempodb 0.x up to this change), as that code made them.
_OLD_SCHEMA = """
CREATE TABLE credentials (database TEXT PRIMARY KEY, hash TEXT NOT NULL) STRICT;
CREATE TABLE series (
    sid      INTEGER PRIMARY KEY,
    database TEXT NOT NULL,
    id       TEXT NOT NULL,
    key      TEXT NOT NULL,
    name     TEXT NOT NULL DEFAULT '',
    UNIQUE (database, key),
    UNIQUE (database, id)
) STRICT;
CREATE TABLE points (
    series INTEGER NOT NULL,
    t      INTEGER NOT NULL,
    v      ANY NOT NULL,
    PRIMARY KEY (series, t)
) STRICT, WITHOUT ROWID;
"""


def _old_database(path: Path) -> list[tuple[int, float | int]]:
    points: list[tuple[int, float | int]] = [(T0 + 1000 * i, i if i % 3 else i / 7) for i in range(5_000)]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(_OLD_SCHEMA)
    conn.execute("BEGIN")  # one transaction: 5,000 autocommits would be 5,000 fsyncs
    conn.execute("INSERT INTO series (database, id, key) VALUES ('key', 'old-id', 'k')")
    conn.executemany("INSERT INTO points (series, t, v) VALUES (1, ?, ?)", points)
    conn.execute("COMMIT")
    conn.close()
    return points


def test_an_old_database_gets_its_partials_on_the_first_rollup(tmp_path: Path, caller: Any) -> None:
    path = tmp_path / "old.sqlite"
    points = _old_database(path)
    engine = open_engine(str(path))
    try:
        api = caller(engine)
        # A write before any rollup leaves the (not yet built) partials alone...
        _write(api, [(T0 + 10_000_000, 9.0)])
        points.append((T0 + 10_000_000, 9.0))
        span = f"start={_iso(T0 - 1)}&end={_iso(T0 + 20_000_000)}"
        # ...and the first rollup builds them all, from every point.
        got = api.ok("GET", f"/v1/series/key/k/summary/?{span}")["summary"]
        want = summarize([v for _, v in points])
        assert {k: got[k] for k in ("count", "sum", "mean", "min", "max")} == {
            k: want[k] for k in ("count", "sum", "mean", "min", "max")
        }
        assert got["ss"] == pytest.approx(want["ss"], rel=1e-12)
        hourly = api.ok("GET", f"/v1/series/key/k/data/?{span}&interval=1hour&function=count")["data"]
        assert sum(p["v"] for p in hourly) == len(points)
        _assert_current(engine.store, "old-id")  # type: ignore[arg-type]
        _write(api, [(T0 + 500, 1.0)])  # from now on writes keep them
        _assert_current(engine.store, "old-id")  # type: ignore[arg-type]
    finally:
        engine.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT partials FROM series").fetchall() == [(1,)]
    assert json.dumps(conn.execute("SELECT COUNT(*) FROM points").fetchone()) == f"[{len(points) + 1}]"
    conn.close()
