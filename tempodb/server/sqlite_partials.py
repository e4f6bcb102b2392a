"""The SQLite store's partials: one row per series and 15-minute grain, kept current by every write.

Every function here runs inside the caller's transaction (``SQLiteStore`` opens it): the partials
change in the same transaction as the points, so a read never sees stale ones, nothing runs in the
background, and a crash leaves both or neither.  When a partial changes, and how, is decided by the
rules every backend shares (``partials_upkeep``); this module is their SQL for SQLite.

Series from a database made before partials existed are marked not ready (``series.partials = 0``):
writes leave their partials alone, and the first :func:`read` builds them from the points in one
write transaction (no manual step, nothing lost).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Sequence
from typing import Any

from tempodb.server import partials_upkeep
from tempodb.server.partials import ceil_grain
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


class _Grains:
    """One series' partials in the SQLite tables, for the shared rules (``partials_upkeep``)."""

    def __init__(self, conn: sqlite3.Connection, sid: int) -> None:
        self.conn, self.sid = conn, sid

    def stored(self, low: int, high: int) -> dict[int, Partial]:
        return _stored(self.conn, self.sid, low, high)

    def points(self, grain: int) -> list[Point]:
        sql = "SELECT t, v FROM points WHERE series = ? AND t >= ? AND t < ? ORDER BY t"
        return self.conn.execute(sql, (self.sid, grain, grain + GRAIN_MS)).fetchall()

    def save(self, parts: Sequence[Partial]) -> None:
        self.conn.executemany(_UPSERT, [_row(self.sid, p) for p in parts])

    def drop(self, low: int, high: int) -> None:
        self.conn.execute("DELETE FROM partials WHERE series = ? AND grain >= ? AND grain < ?", (self.sid, low, high))


def recompute(conn: sqlite3.Connection, sid: int, grain: int) -> Partial | None:
    """The grain's partial from its stored points (None, and no row, when it has none)."""
    return partials_upkeep.recompute(_Grains(conn, sid), grain)


def written(conn: sqlite3.Connection, sid: int, points: Sequence[Point], *, increment: bool) -> None:
    """Bring the partials of the grains ``points`` touched up to date, after they were upserted."""
    partials_upkeep.written(_Grains(conn, sid), points, increment=increment)


def delete_range(conn: sqlite3.Connection, sid: int, start: int, end: int) -> None:
    """After the points in ``[start, end)`` were deleted: drop the grains wholly inside, recompute the cut ones."""
    partials_upkeep.delete_range(_Grains(conn, sid), start, end)


def build(conn: sqlite3.Connection, sid: int) -> None:
    """Every partial of a series that has none yet, from its points; then mark it ready."""
    cursor = conn.execute("SELECT t, v FROM points WHERE series = ? ORDER BY t", (sid,))
    partials_upkeep.build(_Grains(conn, sid), iter(lambda: cursor.fetchmany(_CHUNK), []))
    conn.execute("UPDATE series SET partials = 1 WHERE sid = ?", (sid,))


def read(conn: sqlite3.Connection, sid: int, start: int, end: int) -> list[Partial]:
    """The stored partials of the grains wholly inside ``[start, end)``, ordered by grain."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM partials WHERE series = ? AND grain >= ? AND grain <= ? ORDER BY grain",
        (sid, ceil_grain(start), end - GRAIN_MS),
    )
    return _partials(rows)
