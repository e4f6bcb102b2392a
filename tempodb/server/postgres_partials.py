"""The PostgreSQL store's partials: their SQL, for the rules every backend shares (``partials_upkeep``).

Everything runs inside the store's write transaction, with the series row locked (``FOR UPDATE``):
two servers writing one series take turns, so neither computes a partial from a grain the other is
changing.  The arithmetic is the shared Python (``tempodb.server.partials``): an exact sum as an
expansion has no SQL equivalent, and a second copy of the math would be a second place to be wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg

from tempodb.server import partials_upkeep
from tempodb.server.partials import ceil_grain
from tempodb.server.storage import GRAIN_MS, Partial, Point

__all__ = ["PostgresGrains", "build", "points_of_rows", "read"]

_COLUMNS = "grain, n, low_i, low_f, high_i, high_f, total, m2, first, last"
_UPSERT = (
    f"INSERT INTO partials (database, series, {_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::float8[], %s, %s, %s) "
    "ON CONFLICT (database, series, grain) DO UPDATE SET n = excluded.n, low_i = excluded.low_i, low_f = excluded.low_f, "
    "high_i = excluded.high_i, high_f = excluded.high_f, total = excluded.total, m2 = excluded.m2, "
    "first = excluded.first, last = excluded.last"
)
_CHUNK = 65_536


def _kinds(value: int | float) -> tuple[int | None, float | None]:
    return (value, None) if type(value) is int else (None, value)


def _partials(rows: Iterable[Sequence[Any]]) -> list[Partial]:
    """Rows of ``_COLUMNS`` as partials (one comprehension, no call per row: a year is 35,040 rows)."""
    return [
        Partial(grain, n, low_f if low_i is None else low_i, high_f if high_i is None else high_i,
                () if total is None else tuple(total), m2, first, last)
        for grain, n, low_i, low_f, high_i, high_f, total, m2, first, last in rows
    ]  # fmt: skip


def points_of_rows(rows: Sequence[tuple[int, int | None, float | None]]) -> list[Point]:
    """Points from ``(t, vi, vf)`` rows, where exactly one of vi (an integer) and vf (a float) is set."""
    return [(t, f if i is None else i) for t, i, f in rows]  # type: ignore[misc]


class PostgresGrains:
    """One series' partials in PostgreSQL, for ``partials_upkeep`` (inside the caller's transaction)."""

    def __init__(self, conn: psycopg.Connection[Any], database: str, sid: int) -> None:
        self.conn, self.database, self.sid = conn, database, sid

    def stored(self, low: int, high: int) -> dict[int, Partial]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM partials WHERE database = %s AND series = %s AND grain BETWEEN %s AND %s",
            (self.database, self.sid, low, high),
        ).fetchall()
        return {p.grain: p for p in _partials(rows)}

    def points(self, grain: int) -> list[Point]:
        rows = self.conn.execute(
            "SELECT t, vi, vf FROM points WHERE database = %s AND series = %s AND t >= %s AND t < %s ORDER BY t",
            (self.database, self.sid, grain, grain + GRAIN_MS),
        ).fetchall()
        return points_of_rows(rows)

    def save(self, parts: Sequence[Partial]) -> None:
        if not parts:
            return
        rows = [
            (self.database, self.sid, p.grain, p.count, *_kinds(p.low), *_kinds(p.high),
             list(p.total) if p.exact else None, p.m2, p.first, p.last)
            for p in parts
        ]  # fmt: skip
        with self.conn.cursor() as cur:
            cur.executemany(_UPSERT, rows)

    def drop(self, low: int, high: int) -> None:
        self.conn.execute(
            "DELETE FROM partials WHERE database = %s AND series = %s AND grain >= %s AND grain < %s",
            (self.database, self.sid, low, high),
        )


def build(conn: psycopg.Connection[Any], database: str, sid: int) -> None:
    """Every partial of a series made before partials existed, from its points; then mark it kept."""

    def chunks() -> Iterator[list[Point]]:
        with conn.cursor(name=f"tempodb_build_{uuid.uuid4().hex}") as cursor:
            cursor.execute(
                "SELECT t, vi, vf FROM points WHERE database = %s AND series = %s ORDER BY t", (database, sid)
            )
            while rows := cursor.fetchmany(_CHUNK):
                yield points_of_rows(rows)

    partials_upkeep.build(PostgresGrains(conn, database, sid), chunks())
    conn.execute("UPDATE series SET partials = true WHERE database = %s AND sid = %s", (database, sid))


def read(conn: psycopg.Connection[Any], database: str, sid: int, start: int, end: int) -> list[Partial]:
    """The stored partials of the grains wholly inside ``[start, end)``, ordered by grain."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM partials WHERE database = %s AND series = %s AND grain >= %s AND grain <= %s ORDER BY grain",
        (database, sid, ceil_grain(start), end - GRAIN_MS),
    ).fetchall()
    return _partials(rows)
