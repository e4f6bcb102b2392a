"""The shared backend: one PostgreSQL database (psycopg 3) behind any number of ``tempodb serve`` processes.

Same semantics as :mod:`tempodb.server.sqlite`, kept within what Citus can distribute: per-series
tables carry ``(database, series)``, no table references another (no foreign keys to cross shards),
and every statement on ``points`` names its series.  ``series``, ``tags``, ``attributes`` and
``credentials`` are small and may be Citus reference tables; ``points`` is distributed by ``series``
(docs/scaling.md).

Connections come from a ``psycopg_pool`` pool that checks each one before lending it, so a server
outlives a restart of PostgreSQL: requests during the outage get :class:`StoreUnavailableError`
(503, retried by clients) and the pool reconnects by itself.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

try:
    import psycopg
    import psycopg.errors
    from psycopg_pool import ConnectionPool, PoolTimeout
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the PostgreSQL backend needs psycopg 3 and psycopg_pool: pip install 'tempodb-revived[postgres]'"
    ) from exc

from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import SeriesFilter
from tempodb.server import partials_upkeep
from tempodb.server import postgres_answers as answers
from tempodb.server.postgres_partials import PostgresGrains, build, points_of_rows, read
from tempodb.server.postgres_schema import migrate
from tempodb.server.postgres_url import redact
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
from tempodb.server.store_rules import ReadOnlyStoreError, StoreUnavailableError, check_filter_terms, increment_overflow

__all__ = ["PostgresAccessError", "PostgresStore", "PostgresUnreachableError"]

_CHUNK = 65_536  # rows a streamed read fetches at a time
_T = TypeVar("_T")



class PostgresUnreachableError(ConnectionError):
    """PostgreSQL could not be reached (or refused the login) when the store was opened."""


class PostgresAccessError(PermissionError):
    """The role may connect but lacks the rights the store needs (to create or use its tables)."""


# The integer an increment adds to: SQLite's CAST(v AS INTEGER), which truncates a float toward zero
# and saturates outside the 64-bit range (a plain ::bigint would round, or fail).
_AS_INTEGER = (
    "COALESCE(points.vi, CASE WHEN points.vf >= 9223372036854775807::float8 THEN 9223372036854775807 "
    "WHEN points.vf <= -9223372036854775808::float8 THEN -9223372036854775808 ELSE trunc(points.vf)::bigint END)"
)
_REPLACE = "vi = excluded.vi, vf = excluded.vf"
_ADD = f"vi = {_AS_INTEGER} + excluded.vi, vf = NULL"  # bigint + overflows with 22003: the call is refused
# One statement for a whole batch: arrays in, one row each out.  ON CONFLICT may touch a row once per
# statement, so a batch that names one t twice is first reduced (replace) or written row by row (add).
_UPSERT_MANY = (
    "INSERT INTO points (database, series, t, vi, vf) "
    "SELECT %s, %s, t, vi, vf FROM unnest(%s::bigint[], %s::bigint[], %s::float8[]) AS u(t, vi, vf) "
    "ON CONFLICT (database, series, t) DO UPDATE SET {update}"
)
_UPSERT_ONE = (
    "INSERT INTO points (database, series, t, vi, vf) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (database, series, t) DO UPDATE SET {update}"
)
# The series of a points statement, named by its id (one lookup in the same statement and snapshot).
_SID = "(SELECT sid FROM series WHERE database = %(db)s AND id = %(id)s)"
_READ = f"SELECT t, vi, vf FROM points WHERE database = %(db)s AND series = {_SID} AND t >= %(lo)s AND t < %(hi)s ORDER BY t"
_SERIES_COLUMNS = (
    "s.id, s.key, s.name, "
    "ARRAY(SELECT tag FROM tags WHERE database = s.database AND series = s.sid ORDER BY pos), "
    "ARRAY(SELECT name FROM attributes WHERE database = s.database AND series = s.sid ORDER BY pos), "
    "ARRAY(SELECT value FROM attributes WHERE database = s.database AND series = s.sid ORDER BY pos)"
)


class PostgresStore:
    """A :class:`~tempodb.server.storage.Store` on one PostgreSQL database, safe for many processes."""

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 10.0) -> None:
        self._url = url
        self._check_reachable(url, timeout)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=timeout,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,  # a connection broken by a restart is replaced, not lent
            name="tempodb",
            open=False,
        )
        self._pool.open()
        self._closed = False
        self._close_lock = threading.Lock()

    def _check_reachable(self, url: str, timeout: float) -> None:
        """Connect once and bring the schema up to date, turning failures into messages that say what to do."""
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        except psycopg.OperationalError as exc:
            raise PostgresUnreachableError(
                f"cannot connect to PostgreSQL at {redact(url)}: {' '.join(str(exc).split())}; check that the server runs and "
                "accepts connections there, and the user, database and password (PGPASSWORD or ~/.pgpass)"
            ) from None
        with conn:
            try:
                migrate(conn)
            except psycopg.errors.InsufficientPrivilege as exc:
                user = conn.info.user
                raise PostgresAccessError(
                    f"the PostgreSQL role {user!r} lacks a right tempodb needs ({exc.diag.message_primary}): let it create "
                    f"tables once (GRANT CREATE ON SCHEMA public TO {user}) or run tempodb once as the database "
                    f"owner, and grant it SELECT, INSERT, UPDATE, DELETE on tempodb's tables"
                ) from None

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    # -- connections and transactions -------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection (autocommit); an outage before any change is StoreUnavailableError."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreUnavailableError(f"no PostgreSQL connection within the timeout: {exc}") from None

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction; an outage before COMMIT is StoreUnavailableError (PostgreSQL rolled back).

        A failure in COMMIT itself leaves the outcome unknown: it propagates as it is (a 500, which
        no client resends on its own).
        """
        committing = False
        with self._connection() as conn:
            try:
                with conn.transaction():
                    yield conn
                    committing = True
            except psycopg.errors.ReadOnlySqlTransaction as exc:  # a server pointed at a hot standby
                raise ReadOnlyStoreError(str(exc)) from None
            except psycopg.OperationalError as exc:
                if committing:
                    raise
                raise StoreUnavailableError(str(exc)) from None

    def _query(self, run: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """Run a read in autocommit (one statement, one snapshot); an outage is StoreUnavailableError."""
        with self._connection() as conn:
            try:
                return run(conn)
            except psycopg.OperationalError as exc:
                raise StoreUnavailableError(str(exc)) from None

    # -- secrets (records made by tempodb.server.secret_hash, never plain secrets) ------------

    def secret_record(self, database: str) -> str | None:
        row = self._query(
            lambda c: c.execute("SELECT hash FROM credentials WHERE database = %s", (database,)).fetchone()
        )
        return None if row is None else str(row[0])

    def register_secret(self, database: str, record: str) -> str:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO credentials (database, hash) VALUES (%s, %s) ON CONFLICT (database) DO NOTHING",
                (database, record),
            )
            row = conn.execute("SELECT hash FROM credentials WHERE database = %s", (database,)).fetchone()
        assert row is not None
        return str(row[0])

    def set_secret(self, database: str, record: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO credentials (database, hash) VALUES (%s, %s) "
                "ON CONFLICT (database) DO UPDATE SET hash = excluded.hash",
                (database, record),
            )

    def databases(self) -> list[str]:
        """Every database that has a secret or a series, sorted (``tempodb migrate`` copies each)."""
        sql = 'SELECT d FROM (SELECT database FROM credentials UNION SELECT database FROM series) AS u(d) ORDER BY d COLLATE "C"'
        return [str(row[0]) for row in self._query(lambda c: c.execute(sql).fetchall())]

    # -- answers kept for idempotency keys (tempodb.server.storage.AnswerStore) ------------------

    def recall(self, database: str, key: str) -> IdempotentAnswer | None:
        return self._query(lambda conn: answers.recall(conn, database, key))

    def forget_answers(self, expired_by_ms: int) -> int:
        with self._transaction() as conn:
            return answers.forget(conn, expired_by_ms)

    # -- series -----------------------------------------------------------------------------

    def create_series(self, database: str, series: SeriesRecord, *, remember: IdempotentAnswer | None = None) -> None:
        with self._transaction() as conn:
            if remember is not None:
                answers.remember(conn, database, remember)  # first: a duplicate creates nothing
            sid = self._claim(conn, database, series.id, series.key, series.name)
            if sid is None:
                raise SeriesExistsError(database, series.key)
            self._store_meta(conn, database, sid, series)

    @staticmethod
    def _claim(conn: psycopg.Connection[Any], database: str, id_: str, key: str, name: str = "") -> int | None:
        """Insert a series row; its sid, or None when its id or key is taken (by a racing server too).

        ON CONFLICT DO NOTHING waits for a racing insert of the same key to commit or roll back, so
        two servers creating one series never both succeed, and neither sees a unique-violation error
        (which would abort the whole transaction).
        """
        row = conn.execute(
            "INSERT INTO series (database, id, key, name, partials) VALUES (%s, %s, %s, %s, true) "
            "ON CONFLICT DO NOTHING RETURNING sid",
            (database, id_, key, name),
        ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _store_meta(conn: psycopg.Connection[Any], database: str, sid: int, series: SeriesRecord) -> None:
        tags = list(dict.fromkeys(series.tags))
        if tags:
            conn.execute(
                "INSERT INTO tags (database, series, tag, pos) "
                "SELECT %s, %s, tag, pos - 1 FROM unnest(%s::text[]) WITH ORDINALITY AS u(tag, pos)",
                (database, sid, tags),
            )
        if series.attributes:
            conn.execute(
                "INSERT INTO attributes (database, series, name, value, pos) "
                "SELECT %s, %s, name, value, pos - 1 FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(name, value, pos)",
                (database, sid, list(series.attributes), list(series.attributes.values())),
            )

    def get_series(self, database: str, series: SeriesRef) -> SeriesRecord | None:
        if series.by == "id":
            found = self.find_series(database, SeriesFilter(ids=(series.value,)))
        else:
            found = self.find_series(database, SeriesFilter(keys=(series.value,)))
        return found[0] if found else None

    def update_series(self, database: str, series: SeriesRecord) -> bool:
        with self._transaction() as conn:
            row = conn.execute(
                "UPDATE series SET name = %s WHERE database = %s AND id = %s RETURNING sid",
                (series.name, database, series.id),
            ).fetchone()
            if row is None:
                return False
            sid = int(row[0])
            conn.execute("DELETE FROM tags WHERE database = %s AND series = %s", (database, sid))
            conn.execute("DELETE FROM attributes WHERE database = %s AND series = %s", (database, sid))
            self._store_meta(conn, database, sid, series)
        return True

    @staticmethod
    def _where(database: str, selection: SeriesFilter) -> tuple[str, list[Any]]:
        """The WHERE clause of a series filter: the semantics of ``SQLiteStore._where``, lists as arrays."""
        clauses = ["s.database = %s"]
        params: list[Any] = [database]
        if selection.ids:
            clauses.append("s.id = ANY(%s::text[])")
            params.append(list(selection.ids))
        if selection.keys:
            clauses.append("s.key = ANY(%s::text[])")
            params.append(list(selection.keys))
        tags = list(dict.fromkeys(selection.tags))
        pairs = list(dict.fromkeys(selection.attributes))
        check_filter_terms(tags, pairs)
        # Every tag and attribute is required: count each series' matches (indexes tags_by_tag and
        # attributes_by_value find the candidates).
        if tags:
            clauses.append(
                "s.sid IN (SELECT series FROM tags WHERE database = %s AND tag = ANY(%s::text[]) "
                "GROUP BY series HAVING count(*) = %s)"
            )
            params.extend((database, tags, len(tags)))
        if pairs:
            # Two pairs with one name cannot both match a series (a name holds one value): no match.
            clauses.append(
                "s.sid IN (SELECT a.series FROM attributes a JOIN unnest(%s::text[], %s::text[]) AS j(name, value) "
                "ON a.name = j.name AND a.value = j.value WHERE a.database = %s GROUP BY a.series HAVING count(*) = %s)"
            )
            params.extend(([n for n, _ in pairs], [v for _, v in pairs], database, len(pairs)))
        return " AND ".join(clauses), params

    def find_series(self, database: str, selection: SeriesFilter) -> list[SeriesRecord]:
        where, params = self._where(database, selection)
        sql = f"SELECT {_SERIES_COLUMNS} FROM series s WHERE {where} ORDER BY s.key"
        rows = self._query(lambda c: c.execute(sql, params).fetchall())
        return [
            SeriesRecord(id=id_, key=key, name=name, tags=list(tags), attributes=dict(zip(names, values, strict=True)))
            for id_, key, name, tags, names, values in rows
        ]

    def delete_series(self, database: str, selection: SeriesFilter) -> int:
        where, params = self._where(database, selection)
        with self._transaction() as conn:
            sids = [row[0] for row in conn.execute(f"DELETE FROM series s WHERE {where} RETURNING s.sid", params)]
            if not sids:
                return 0
            for table in ("points", "partials", "tags", "attributes"):
                conn.execute(f"DELETE FROM {table} WHERE database = %s AND series = ANY(%s::bigint[])", (database, sids))
        return len(sids)

    # -- points -----------------------------------------------------------------------------

    def _resolve(self, conn: psycopg.Connection[Any], database: str, batch: PointBatch) -> int:
        """The sid of the batch's series, created when missing and allowed (get-or-create, race-safe)."""
        by, value = batch.series.by, batch.series.value
        column = "id" if by == "id" else "key"  # one of two literals: safe to inline
        select = f"SELECT sid FROM series WHERE database = %s AND {column} = %s"
        row = conn.execute(select, (database, value)).fetchone()
        if row is not None:
            return int(row[0])
        if not batch.create:
            raise SeriesNotFoundError(value)
        series_id = value if by == "id" else uuid.uuid4().hex
        sid = self._claim(conn, database, series_id, value)
        if sid is not None:
            return sid
        # Taken meanwhile: by a racing server creating the same series (use it), or, for an id, by
        # another series whose key equals that id (refused, as SQLite's unique constraint does).
        row = conn.execute(select, (database, value)).fetchone()
        if row is None:
            raise SeriesExistsError(database, value)
        return int(row[0])

    def write_points(
        self, database: str, batches: Sequence[PointBatch], *, increment: bool, remember: IdempotentAnswer | None = None
    ) -> None:
        """Write (or add) every batch in one transaction, and keep the series' partials with them.

        An increment whose sum leaves the 64-bit range refuses the whole call with
        :class:`InvalidInputError` (the server's 400) and nothing is written: PostgreSQL's bigint
        addition fails, which rolls the transaction back.
        """
        update = _ADD if increment else _REPLACE
        with self._transaction() as conn:
            if remember is not None:
                answers.remember(conn, database, remember)  # first: a duplicate writes nothing
            sids, kept = self._lock_series(conn, database, batches)
            for batch, sid in zip(batches, sids, strict=True):
                try:
                    self._upsert(conn, database, sid, batch.points, update, increment=increment)
                except psycopg.errors.NumericValueOutOfRange:
                    raise increment_overflow(batch.series) from None
                if kept[sid]:
                    partials_upkeep.written(PostgresGrains(conn, database, sid), batch.points, increment=increment)

    def _lock_series(
        self, conn: psycopg.Connection[Any], database: str, batches: Sequence[PointBatch]
    ) -> tuple[list[int], dict[int, bool]]:
        """The batches' sids (made where missing), each series row locked until the transaction ends,
        and whether each keeps partials.

        The lock makes writers of one series (in any server) take turns, as SQLite's write lock
        does, so partials are computed from a grain nobody else is changing.  Rows are locked in sid
        order, so two multi-series writes cannot deadlock over them; a series deleted between
        finding and locking it is looked up (or made) again.
        """
        while True:
            sids = [self._resolve(conn, database, batch) for batch in batches]
            rows = conn.execute(
                "SELECT sid, partials FROM series WHERE database = %s AND sid = ANY(%s::bigint[]) ORDER BY sid FOR UPDATE",
                (database, sorted(set(sids))),
            ).fetchall()
            kept = {int(sid): bool(flag) for sid, flag in rows}
            if len(kept) == len(set(sids)):
                return sids, kept

    @staticmethod
    def _upsert(
        conn: psycopg.Connection[Any], database: str, sid: int, points: Sequence[Point], update: str, *, increment: bool
    ) -> None:
        if not points:
            return
        distinct = {t: v for t, v in points}  # replace: the last value of a timestamp wins
        if increment and len(distinct) < len(points):
            # Adds to one timestamp apply in order, each checked against the 64-bit range as SQLite does.
            with conn.cursor() as cur:
                cur.executemany(
                    _UPSERT_ONE.format(update=update), [(database, sid, t, v, None) for t, v in points]
                )
            return
        ts = list(distinct)
        ints = [v if type(v) is int else None for v in distinct.values()]
        floats = [v if type(v) is float else None for v in distinct.values()]
        conn.execute(_UPSERT_MANY.format(update=update), (database, sid, ts, ints, floats))

    def read_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Point]:
        params = {"db": database, "id": series_id, "lo": start_ms, "hi": end_ms}
        return points_of_rows(self._query(lambda c: c.execute(_READ, params).fetchall()))

    def iter_points(
        self, database: str, series_id: str, start_ms: int, end_ms: int, chunk: int | None = None
    ) -> Iterator[list[Point]]:
        """The points in chunks through a server-side cursor: one statement, so one snapshot."""
        params = {"db": database, "id": series_id, "lo": start_ms, "hi": end_ms}
        chunk = chunk or _CHUNK
        with self._transaction() as conn, conn.cursor(name=f"tempodb_read_{uuid.uuid4().hex}") as cursor:
            cursor.execute(_READ, params)
            while rows := cursor.fetchmany(chunk):
                yield points_of_rows(rows)

    def delete_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> bool:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT sid, partials FROM series WHERE database = %s AND id = %s FOR UPDATE", (database, series_id)
            ).fetchone()
            if row is None:
                return False
            sid = int(row[0])
            conn.execute(
                "DELETE FROM points WHERE database = %s AND series = %s AND t >= %s AND t < %s",
                (database, sid, start_ms, end_ms),
            )
            if row[1]:
                partials_upkeep.delete_range(PostgresGrains(conn, database, sid), start_ms, end_ms)
        return True

    def read_partials(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Partial]:
        find = "SELECT sid, partials FROM series WHERE database = %s AND id = %s"
        row = self._query(lambda c: c.execute(find, (database, series_id)).fetchone())
        if row is None:
            return []
        sid = int(row[0])
        if not row[1]:
            # A series from before partials: build them once, its row locked (and the flag checked
            # again under the lock: another server may have built them meanwhile).
            with self._transaction() as conn:
                locked = conn.execute(find + " FOR UPDATE", (database, series_id)).fetchone()
                if locked is not None and not locked[1]:
                    build(conn, database, sid)
        return self._query(lambda c: read(c, database, sid, start_ms, end_ms))

    def single_point(self, database: str, series_id: str, ts_ms: int, direction: Direction) -> Point | None:
        params = {"db": database, "id": series_id, "ts": ts_ms}
        where = f"database = %(db)s AND series = {_SID}"
        exact = f"SELECT t, vi, vf FROM points WHERE {where} AND t = %(ts)s"
        before = f"SELECT t, vi, vf FROM points WHERE {where} AND t <= %(ts)s ORDER BY t DESC LIMIT 1"
        after = f"SELECT t, vi, vf FROM points WHERE {where} AND t >= %(ts)s ORDER BY t LIMIT 1"
        if direction == "nearest":
            # Both neighbours in one statement, so from one snapshot.
            sql = f"({before}) UNION ALL ({after})"
        else:
            sql = {"exact": exact, "before": before, "after": after}[direction]
        found = points_of_rows(self._query(lambda c: c.execute(sql, params).fetchall()))
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        low, high = found
        return low if ts_ms - low[0] <= high[0] - ts_ms else high
