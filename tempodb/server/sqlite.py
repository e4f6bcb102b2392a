"""The default storage backend: one SQLite file in WAL mode, safe to share between threads and processes.

Durability: ``synchronous=FULL`` so a write answered 200 is on disk before the answer (in WAL mode
``NORMAL`` may lose the last transactions on power loss or kernel crash).  Each thread gets its own
connection (``threading.local``) with a busy timeout, so readers run in parallel with the writer and
several server processes can share the file.  ``":memory:"`` is one connection behind a lock instead:
SQLite's shared-cache mode (the only way to share an in-memory database) reports table locks as
immediate ``SQLITE_LOCKED`` errors that the busy timeout does not cover.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import SeriesFilter
from tempodb.server import _sqlite_answers as answers
from tempodb.server import sqlite_partials
from tempodb.server.secret_hash import hash_secret
from tempodb.server.storage import (
    Direction,
    IdempotentAnswer,
    Partial,
    Point,
    PointBatch,
    SeriesExistsError,
    SeriesNotFoundError,
    SeriesRecord,
)
from tempodb.server.store_rules import MAX_FILTER_TERMS, check_filter_terms, increment_overflow

__all__ = ["MAX_FILTER_TERMS", "SQLiteStore"]

_CHUNK = 65_536  # rows a streamed read fetches at a time

_SCHEMA = """
-- hash: a salted scrypt record (tempodb.server.secret_hash), never the secret.  Databases made
-- before secrets were hashed have a plain "secret" column instead; opening one migrates it.
CREATE TABLE IF NOT EXISTS credentials (
    database TEXT PRIMARY KEY,
    hash     TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS series (
    sid      INTEGER PRIMARY KEY,
    database TEXT NOT NULL,
    id       TEXT NOT NULL,
    key      TEXT NOT NULL,
    name     TEXT NOT NULL DEFAULT '',
    -- 1 when the series' partials are kept (sqlite_partials): every series made by this version
    partials INTEGER NOT NULL DEFAULT 0,
    UNIQUE (database, key),
    UNIQUE (database, id)
) STRICT;
CREATE TABLE IF NOT EXISTS tags (
    series INTEGER NOT NULL,
    tag    TEXT NOT NULL,
    pos    INTEGER NOT NULL,
    PRIMARY KEY (series, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (tag, series);
CREATE TABLE IF NOT EXISTS attributes (
    series INTEGER NOT NULL,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    pos    INTEGER NOT NULL,
    PRIMARY KEY (series, name)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attributes_by_value ON attributes (name, value, series);
-- v is ANY in a STRICT table: SQLite keeps 1 and 1.0 apart (a NUMERIC column would merge them).
CREATE TABLE IF NOT EXISTS points (
    series INTEGER NOT NULL,
    t      INTEGER NOT NULL,
    v      ANY NOT NULL,
    PRIMARY KEY (series, t)
) STRICT, WITHOUT ROWID;
"""

# The sum of an increment, or NULL where SQLite's integer add overflowed (its result is then a REAL).
_INCREMENT = (
    "CASE WHEN typeof(CAST(v AS INTEGER) + excluded.v) = 'integer' THEN CAST(v AS INTEGER) + excluded.v END"
)


class SQLiteStore:
    """A :class:`~tempodb.server.storage.Store` on one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str = ":memory:", *, timeout: float = 30.0) -> None:
        self._path = path
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        self._shared_lock: threading.Lock | None = None
        self._readers: list[sqlite3.Connection] = []  # idle connections of streamed reads
        self._readers_lock = threading.Lock()
        if path == ":memory:":
            self._shared_lock = threading.Lock()
            self._shared = self._connect()
        else:
            first = self._connect()
            first.execute("PRAGMA journal_mode=WAL")
            self._local.conn = first
            self._shared = first
        with self._connection() as conn:
            self._hash_plain_secrets(conn)
            conn.executescript(_SCHEMA + sqlite_partials.SCHEMA + answers.SCHEMA)
            sqlite_partials.migrate(conn)

    # -- connections and transactions -------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        with self._all_lock:
            if self._closed:
                conn.close()
                raise sqlite3.ProgrammingError("the store is closed")
            self._all.append(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared_lock is not None:
            with self._shared_lock:
                yield self._shared
            return
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        yield conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so read-modify-write (increments, get-or-create)
        # cannot interleave with another process; reads use a deferred snapshot.
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._all_lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    # -- secrets (records made by tempodb.server.secret_hash, never plain secrets) ------------

    @staticmethod
    def _plain_credentials(conn: sqlite3.Connection) -> bool:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(credentials)")}
        return "secret" in columns

    def _hash_plain_secrets(self, conn: sqlite3.Connection) -> None:
        """Turn an old credentials table of plain secrets into salted hashes, once, in one transaction.

        The hashing (tens of ms per key) runs before the write lock is taken, so other processes
        sharing the file wait only for the swap; rows added meanwhile are hashed under the lock.
        ``secure_delete`` zeroes the dropped pages and the checkpoint empties the WAL, so the plain
        secrets leave the files too.
        """
        if not self._plain_credentials(conn):
            return
        conn.execute("PRAGMA secure_delete=ON")
        try:
            self._swap_in_hashes(conn)
        finally:
            conn.execute("PRAGMA secure_delete=OFF")
        if self._path != ":memory:":
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _swap_in_hashes(self, conn: sqlite3.Connection) -> None:
        try:
            plain = conn.execute("SELECT database, secret FROM credentials").fetchall()
        except sqlite3.OperationalError:  # migrated by another process since the check
            plain = []
        hashed = {database: (secret, hash_secret(secret)) for database, secret in plain}
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._plain_credentials(conn):  # another process may have migrated it meanwhile
                conn.execute("CREATE TABLE credentials_hashed (database TEXT PRIMARY KEY, hash TEXT NOT NULL) STRICT")
                rows = []
                for database, secret in conn.execute("SELECT database, secret FROM credentials").fetchall():
                    known = hashed.get(database)
                    rows.append((database, known[1] if known is not None and known[0] == secret else hash_secret(secret)))
                conn.executemany("INSERT INTO credentials_hashed (database, hash) VALUES (?, ?)", rows)
                conn.execute("DROP TABLE credentials")
                conn.execute("ALTER TABLE credentials_hashed RENAME TO credentials")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def secret_record(self, database: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute("SELECT hash FROM credentials WHERE database = ?", (database,)).fetchone()
        return None if row is None else str(row[0])

    def register_secret(self, database: str, record: str) -> str:
        with self._transaction(write=True) as conn:
            conn.execute("INSERT OR IGNORE INTO credentials (database, hash) VALUES (?, ?)", (database, record))
            row = conn.execute("SELECT hash FROM credentials WHERE database = ?", (database,)).fetchone()
        return str(row[0])

    def set_secret(self, database: str, record: str) -> None:
        with self._transaction(write=True) as conn:
            conn.execute(
                "INSERT INTO credentials (database, hash) VALUES (?, ?) ON CONFLICT (database) DO UPDATE SET hash = excluded.hash",
                (database, record),
            )

    def databases(self) -> list[str]:
        """Every database that has a secret or a series, sorted (``tempodb migrate`` copies each)."""
        with self._connection() as conn:
            rows = conn.execute("SELECT database FROM credentials UNION SELECT database FROM series ORDER BY 1").fetchall()
        return [str(row[0]) for row in rows]

    # -- series -----------------------------------------------------------------------------

    def create_series(self, database: str, series: SeriesRecord, *, remember: IdempotentAnswer | None = None) -> None:
        with self._transaction(write=True) as conn:
            if remember is not None:
                answers.remember(conn, database, remember)
            self._insert_series(conn, database, series)

    def _insert_series(self, conn: sqlite3.Connection, database: str, series: SeriesRecord) -> int:
        try:
            cur = conn.execute(
                "INSERT INTO series (database, id, key, name, partials) VALUES (?, ?, ?, ?, 1)",
                (database, series.id, series.key, series.name),
            )
        except sqlite3.IntegrityError:
            raise SeriesExistsError(database, series.key) from None
        sid = cur.lastrowid
        assert sid is not None
        self._store_meta(conn, sid, series)
        return sid

    @staticmethod
    def _store_meta(conn: sqlite3.Connection, sid: int, series: SeriesRecord) -> None:
        tags = list(dict.fromkeys(series.tags))
        conn.executemany("INSERT INTO tags (series, tag, pos) VALUES (?, ?, ?)", [(sid, t, i) for i, t in enumerate(tags)])
        conn.executemany(
            "INSERT INTO attributes (series, name, value, pos) VALUES (?, ?, ?, ?)",
            [(sid, n, v, i) for i, (n, v) in enumerate(series.attributes.items())],
        )

    def get_series(self, database: str, series: SeriesRef) -> SeriesRecord | None:
        if series.by == "id":
            found = self.find_series(database, SeriesFilter(ids=(series.value,)))
        else:
            found = self.find_series(database, SeriesFilter(keys=(series.value,)))
        return found[0] if found else None

    def update_series(self, database: str, series: SeriesRecord) -> bool:
        with self._transaction(write=True) as conn:
            row = conn.execute("SELECT sid FROM series WHERE database = ? AND id = ?", (database, series.id)).fetchone()
            if row is None:
                return False
            sid = int(row[0])
            conn.execute("UPDATE series SET name = ? WHERE sid = ?", (series.name, sid))
            conn.execute("DELETE FROM tags WHERE series = ?", (sid,))
            conn.execute("DELETE FROM attributes WHERE series = ?", (sid,))
            self._store_meta(conn, sid, series)
        return True

    @staticmethod
    def _where(database: str, selection: SeriesFilter) -> tuple[str, list[Any]]:
        # Lists travel as one JSON parameter (json_each), so no filter can exceed SQLite's variable limit.
        clauses = ["s.database = ?"]
        params: list[Any] = [database]
        if selection.ids:
            clauses.append("s.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(selection.ids)))
        if selection.keys:
            clauses.append("s.key IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(selection.keys)))
        # Every tag and attribute is required: one subquery per kind counts the matches of each series
        # (a clause per term made SQLite's expression tree too deep past ~1000 terms).
        tags = list(dict.fromkeys(selection.tags))
        pairs = list(dict.fromkeys(selection.attributes))
        check_filter_terms(tags, pairs)
        if tags:
            clauses.append(
                "s.sid IN (SELECT series FROM tags WHERE tag IN (SELECT value FROM json_each(?)) "
                "GROUP BY series HAVING COUNT(*) = ?)"
            )
            params.extend((json.dumps(tags), len(tags)))
        if pairs:
            # Two pairs with one name cannot both match a series (a name holds one value): no match.
            clauses.append(
                "s.sid IN (SELECT a.series FROM attributes a JOIN json_each(?) j "
                "ON a.name = json_extract(j.value, '$[0]') AND a.value = json_extract(j.value, '$[1]') GROUP BY a.series HAVING COUNT(*) = ?)"
            )
            params.extend((json.dumps(pairs), len(pairs)))
        return " AND ".join(clauses), params

    def find_series(self, database: str, selection: SeriesFilter) -> list[SeriesRecord]:
        where, params = self._where(database, selection)
        with self._transaction(write=False) as conn:
            rows = conn.execute(f"SELECT s.sid, s.id, s.key, s.name FROM series s WHERE {where} ORDER BY s.key", params).fetchall()
            if not rows:
                return []
            by_sid = {sid: SeriesRecord(id=id_, key=key, name=name) for sid, id_, key, name in rows}
            sids = json.dumps(list(by_sid))
            for sid, tag in conn.execute(
                "SELECT series, tag FROM tags WHERE series IN (SELECT value FROM json_each(?)) ORDER BY series, pos", (sids,)
            ):
                by_sid[sid].tags.append(tag)
            for sid, name, value in conn.execute(
                "SELECT series, name, value FROM attributes WHERE series IN (SELECT value FROM json_each(?)) ORDER BY series, pos",
                (sids,),
            ):
                by_sid[sid].attributes[name] = value
        return list(by_sid.values())

    def delete_series(self, database: str, selection: SeriesFilter) -> int:
        where, params = self._where(database, selection)
        with self._transaction(write=True) as conn:
            sids = [row[0] for row in conn.execute(f"SELECT s.sid FROM series s WHERE {where}", params)]
            if not sids:
                return 0
            packed = json.dumps(sids)
            for table, column in (("points", "series"), ("partials", "series"), ("tags", "series"), ("attributes", "series"), ("series", "sid")):
                conn.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))", (packed,))
        return len(sids)

    # -- points -----------------------------------------------------------------------------

    def _resolve(self, conn: sqlite3.Connection, database: str, batch: PointBatch) -> tuple[int, bool]:
        """The series' sid, and whether its partials are kept (see ``sqlite_partials``)."""
        by, value = batch.series.by, batch.series.value
        column = "id" if by == "id" else "key"  # one of two literals: safe to inline
        row = conn.execute(f"SELECT sid, partials FROM series WHERE database = ? AND {column} = ?", (database, value)).fetchone()
        if row is None and batch.create:
            series_id = value if by == "id" else uuid.uuid4().hex
            return self._insert_series(conn, database, SeriesRecord(id=series_id, key=value)), True
        if row is None:
            raise SeriesNotFoundError(value)
        return int(row[0]), bool(row[1])

    def write_points(
        self, database: str, batches: Sequence[PointBatch], *, increment: bool, remember: IdempotentAnswer | None = None
    ) -> None:
        """Write (or add) every batch in one transaction.

        An increment whose sum leaves the 64-bit range refuses the whole call with
        :class:`InvalidInputError` (the server's 400), and nothing is written: SQLite turns an
        overflowing integer sum into a float, which the ``CASE`` makes NULL, which the ``NOT NULL``
        column refuses, which rolls the transaction back.
        """
        update = _INCREMENT if increment else "excluded.v"
        with self._transaction(write=True) as conn:
            if remember is not None:
                answers.remember(conn, database, remember)  # first: a duplicate writes nothing
            for batch in batches:
                sid, kept = self._resolve(conn, database, batch)
                # sid is an integer from our own table, so inlining it is safe; it lets executemany take
                # the caller's (t, v) tuples as they are, without building a million new tuples.
                try:
                    conn.executemany(
                        f"INSERT INTO points (series, t, v) VALUES ({sid:d}, ?, ?) "
                        f"ON CONFLICT (series, t) DO UPDATE SET v = {update}",
                        batch.points,
                    )
                except sqlite3.IntegrityError:
                    if not increment:
                        raise
                    raise increment_overflow(batch.series) from None
                if kept:
                    sqlite_partials.written(conn, sid, batch.points, increment=increment)

    # -- answers kept for idempotency keys (tempodb.server.storage.AnswerStore) ------------------

    def recall(self, database: str, key: str) -> IdempotentAnswer | None:
        with self._connection() as conn:
            return answers.recall(conn, database, key)

    def forget_answers(self, expired_by_ms: int) -> int:
        with self._transaction(write=True) as conn:
            return answers.forget(conn, expired_by_ms)

    def _sid(self, conn: sqlite3.Connection, database: str, series_id: str) -> int | None:
        row = conn.execute("SELECT sid FROM series WHERE database = ? AND id = ?", (database, series_id)).fetchone()
        return None if row is None else int(row[0])

    _READ_POINTS = (
        "SELECT p.t, p.v FROM points p JOIN series s ON p.series = s.sid "
        "WHERE s.database = ? AND s.id = ? AND p.t >= ? AND p.t < ? ORDER BY p.t"
    )

    def read_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Point]:
        with self._connection() as conn:
            rows: list[Point] = conn.execute(self._READ_POINTS, (database, series_id, start_ms, end_ms)).fetchall()
        return rows

    def iter_points(
        self, database: str, series_id: str, start_ms: int, end_ms: int, chunk: int | None = None
    ) -> Iterator[list[Point]]:
        params = (database, series_id, start_ms, end_ms)
        chunk = chunk or _CHUNK
        if self._shared_lock is not None:
            # One shared in-memory connection: holding its lock while the blocks go out would stall
            # every other request (and could wait on them for a worker thread), so read it at once.
            rows = self.read_points(*params)
            for low in range(0, len(rows), chunk):
                yield rows[low : low + chunk]
            return
        conn = self._reader()
        cursor = None
        try:
            conn.execute("BEGIN")  # one snapshot for the whole read, however long the sending takes
            cursor = conn.execute(self._READ_POINTS, params)
            while rows := cursor.fetchmany(chunk):
                yield rows
        finally:
            try:
                if cursor is not None:
                    cursor.close()
                conn.execute("ROLLBACK")  # a read: nothing to keep
            except sqlite3.ProgrammingError:
                pass  # the store was closed meanwhile, and the connection with it: not one to reuse
            else:
                with self._readers_lock:
                    self._readers.append(conn)

    def _reader(self) -> sqlite3.Connection:
        """A connection of its own for a streamed read: it may move between threads, block by block."""
        with self._readers_lock:
            if self._readers:
                return self._readers.pop()
        return self._connect()

    def delete_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> bool:
        with self._transaction(write=True) as conn:
            sid = self._sid(conn, database, series_id)
            if sid is None:
                return False
            conn.execute("DELETE FROM points WHERE series = ? AND t >= ? AND t < ?", (sid, start_ms, end_ms))
            if self._kept(conn, sid):
                sqlite_partials.delete_range(conn, sid, start_ms, end_ms)
        return True

    @staticmethod
    def _kept(conn: sqlite3.Connection, sid: int) -> bool:
        return bool(conn.execute("SELECT partials FROM series WHERE sid = ?", (sid,)).fetchone()[0])

    def read_partials(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Partial]:
        with self._connection() as conn:
            row = conn.execute("SELECT sid, partials FROM series WHERE database = ? AND id = ?", (database, series_id)).fetchone()
        if row is None:
            return []
        sid, kept = int(row[0]), bool(row[1])
        if not kept:
            # A series from before partials: build them once, under the write lock (the check again
            # inside it: another thread or process may have built them meanwhile).
            with self._transaction(write=True) as conn:
                if not self._kept(conn, sid):
                    sqlite_partials.build(conn, sid)
        with self._connection() as conn:
            return sqlite_partials.read(conn, sid, start_ms, end_ms)

    def single_point(self, database: str, series_id: str, ts_ms: int, direction: Direction) -> Point | None:
        with self._transaction(write=False) as conn:
            sid = self._sid(conn, database, series_id)
            if sid is None:
                return None

            def one(sql: str) -> Point | None:
                row = conn.execute(sql, (sid, ts_ms)).fetchone()
                return None if row is None else (int(row[0]), row[1])

            at_or_before = "SELECT t, v FROM points WHERE series = ? AND t <= ? ORDER BY t DESC LIMIT 1"
            at_or_after = "SELECT t, v FROM points WHERE series = ? AND t >= ? ORDER BY t LIMIT 1"
            if direction == "exact":
                return one("SELECT t, v FROM points WHERE series = ? AND t = ?")
            if direction == "before":
                return one(at_or_before)
            if direction == "after":
                return one(at_or_after)
            before, after = one(at_or_before), one(at_or_after)
        if before is None or after is None:
            return before or after
        return before if ts_ms - before[0] <= after[0] - ts_ms else after
