"""The SQLite store's partials: one row per series and 15-minute grain, kept current by every write.

Every function here runs inside the caller's transaction (``SQLiteStore`` opens it): the partials
change in the same transaction as the points, so a read never sees stale ones, nothing runs in the
background, and a crash leaves both or neither.  A PostgreSQL backend can do the same in its write
transaction.  The rules (cheapest first, all exact; see ``storage.Store``):

- a grain without a partial, given points without repeated timestamps: ``partial_of`` of them
  (for an increment too: onto an empty grain the amounts ARE the values);
- a plain write whose timestamps all lie outside the stored ``[first, last]``: merge (appends);
- anything else (an overwrite, an increment onto stored points, a cut by a range delete): the
  grain's points are read back and its partial recomputed (at most 900,000 points at 1 ms).

Series from a database made before partials existed are marked not ready (``series.partials = 0``):
writes leave their partials alone, and the first :func:`read` builds them from the points in one
write transaction (no manual step, nothing lost).
"""

from __future__ import annotations

import sqlite3
import struct
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter, lt
from typing import Any

from tempodb.server.partials import ceil_grain, floor_grain, merge, partial_of, partials_of
from tempodb.server.storage import GRAIN_MS, Partial, Point

__all__ = ["SCHEMA", "build", "delete_range", "migrate", "read", "recompute", "written"]

SCHEMA = """
-- Pre-aggregated partials (tempodb.server.partials): one row per series and grain holding points.
-- total: the exact sum's expansion as little-endian doubles; total and m2 NULL: "raw only".
CREATE TABLE IF NOT EXISTS partials (
    series INTEGER NOT NULL,
    grain  INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    low    ANY NOT NULL,
    high   ANY NOT NULL,
    total  BLOB,
    m2     REAL,
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (series, grain)
) STRICT, WITHOUT ROWID;
"""

_UPSERT = "INSERT OR REPLACE INTO partials (series, grain, n, low, high, total, m2, first, last) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_COLUMNS = "grain, n, low, high, total, m2, first, last"
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
_CHUNK = 65_536


def migrate(conn: sqlite3.Connection) -> None:
    """Give a database made before partials its readiness column: its series start not ready."""
    if _has_ready_column(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _has_ready_column(conn):  # another process may have added it meanwhile
            conn.execute("ALTER TABLE series ADD COLUMN partials INTEGER NOT NULL DEFAULT 0")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _has_ready_column(conn: sqlite3.Connection) -> bool:
    return "partials" in {row[1] for row in conn.execute("PRAGMA table_info(series)")}


# Packers of 0..31 little-endian doubles (an expansion of admitted values has at most ~20 terms).
_PACKERS = [struct.Struct(f"<{k}d") for k in range(32)]


def _row(sid: int, p: Partial) -> tuple[object, ...]:
    total = _PACKERS[len(p.total)].pack(*p.total) if p.exact else None
    return (sid, p.grain, p.count, p.low, p.high, total, p.m2, p.first, p.last)


_UNPACKERS = [packer.unpack for packer in _PACKERS]


def _partials(rows: Iterable[tuple[Any, ...]]) -> list[Partial]:
    """Rows of ``_COLUMNS`` as partials (one comprehension, no call per row: a year is 35,040 rows)."""
    return [
        Partial(grain, n, low, high, () if total is None else _UNPACKERS[len(total) >> 3](total), m2, first, last)
        for grain, n, low, high, total, m2, first, last in rows
    ]


def _stored(conn: sqlite3.Connection, sid: int, low: int, high: int) -> dict[int, Partial]:
    """The stored partials of grains ``low <= grain <= high``."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM partials WHERE series = ? AND grain BETWEEN ? AND ?", (sid, low, high))
    return {p.grain: p for p in _partials(rows)}


def recompute(conn: sqlite3.Connection, sid: int, grain: int) -> Partial | None:
    """The grain's partial from its stored points (None, and no row, when it has none)."""
    rows = conn.execute("SELECT t, v FROM points WHERE series = ? AND t >= ? AND t < ? ORDER BY t", (sid, grain, grain + GRAIN_MS)).fetchall()
    if not rows:
        conn.execute("DELETE FROM partials WHERE series = ? AND grain = ?", (sid, grain))
        return None
    part = partial_of(grain, list(map(_FIRST, rows)), list(map(_SECOND, rows)))
    conn.execute(_UPSERT, _row(sid, part))
    return part


def written(conn: sqlite3.Connection, sid: int, points: Sequence[Point], *, increment: bool) -> None:
    """Bring the partials of the grains ``points`` touched up to date, after they were upserted."""
    if not points:
        return
    stamps = list(map(_FIRST, points))
    # Strictly increasing (the usual write, checked in one C pass) is sorted and without repeats.
    distinct = all(map(lt, stamps, islice(stamps, 1, None)))
    if not distinct:
        points = sorted(points, key=_FIRST)  # stable: of repeated timestamps the last written stays last
        stamps = list(map(_FIRST, points))
        # Repeated timestamps (the last one won, or an increment summed them): recompute those grains.
        distinct = len(set(stamps)) == len(stamps)
    values = list(map(_SECOND, points))
    stored = _stored(conn, sid, floor_grain(stamps[0]), floor_grain(stamps[-1]))
    fresh: list[tuple[object, ...]] = []
    i, n = 0, len(stamps)
    while i < n:
        grain = floor_grain(stamps[i])
        j = bisect_left(stamps, grain + GRAIN_MS, i)
        old = stored.get(grain)
        if distinct and old is None:
            fresh.append(_row(sid, partial_of(grain, stamps[i:j], values[i:j])))
        elif distinct and not increment and _outside(stamps, i, j, old):
            fresh.append(_row(sid, merge([old, partial_of(grain, stamps[i:j], values[i:j])])))  # type: ignore[list-item]  # old is set
        else:
            recompute(conn, sid, grain)
        i = j
    conn.executemany(_UPSERT, fresh)


def _outside(stamps: list[int], i: int, j: int, old: Partial | None) -> bool:
    """Whether ``stamps[i:j]`` all lie outside ``[old.first, old.last]``, so none replaced a stored point."""
    assert old is not None
    k = bisect_left(stamps, old.first, i, j)
    return k == j or stamps[k] > old.last


def delete_range(conn: sqlite3.Connection, sid: int, start: int, end: int) -> None:
    """After the points in ``[start, end)`` were deleted: drop the grains wholly inside, recompute the cut ones."""
    if start >= end:
        return
    conn.execute("DELETE FROM partials WHERE series = ? AND grain >= ? AND grain < ?", (sid, ceil_grain(start), floor_grain(end)))
    for grain in {floor_grain(start), floor_grain(end - 1)}:
        if not (start <= grain and grain + GRAIN_MS <= end):
            recompute(conn, sid, grain)


def build(conn: sqlite3.Connection, sid: int) -> None:
    """Every partial of a series that has none yet, from its points; then mark it ready."""
    conn.execute("DELETE FROM partials WHERE series = ?", (sid,))
    cursor = conn.execute("SELECT t, v FROM points WHERE series = ? ORDER BY t", (sid,))
    stamps: list[int] = []
    values: list[object] = []
    while rows := cursor.fetchmany(_CHUNK):
        stamps += map(_FIRST, rows)
        values += map(_SECOND, rows)
        # Every grain but the last is complete: store those, keep the last for the next chunk.
        split = bisect_left(stamps, floor_grain(stamps[-1]))
        conn.executemany(_UPSERT, [_row(sid, p) for p in partials_of(stamps[:split], values[:split])])  # type: ignore[arg-type]
        del stamps[:split], values[:split]
    conn.executemany(_UPSERT, [_row(sid, p) for p in partials_of(stamps, values)])  # type: ignore[arg-type]
    conn.execute("UPDATE series SET partials = 1 WHERE sid = ?", (sid,))


def read(conn: sqlite3.Connection, sid: int, start: int, end: int) -> list[Partial]:
    """The stored partials of the grains wholly inside ``[start, end)``, ordered by grain."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM partials WHERE series = ? AND grain >= ? AND grain <= ? ORDER BY grain",
        (sid, ceil_grain(start), end - GRAIN_MS),
    )
    return _partials(rows)
