"""``tempodb migrate --from A --to B``: copy every database (API key), secret, series and point between stores.

Either side is a SQLite file or a PostgreSQL URL.  The copy is idempotent, so an interrupted run is
finished by running it again: a series already in the target (same id) gets the source's name,
tags and attributes, and points are written by replacing (same timestamp, same value).  Then each
series is verified: its point count and a checksum over (t, kind, value) must match on both sides.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import Any, Protocol

from tempodb._cli.progress import Mode, Progress
from tempodb._core.errors import InvalidInputError
from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import SeriesFilter
from tempodb._wire.timestamps import MAX_MS, MIN_MS
from tempodb.server.postgres_url import is_postgres_url, redact
from tempodb.server.storage import Point, PointBatch, SeriesExistsError, SeriesRecord, Store

__all__ = ["MigrationError", "SeriesCheck", "add_migrate_command", "cmd_migrate", "migrate", "series_check"]


class _Source(Store, Protocol):
    def databases(self) -> list[str]: ...


class MigrationError(Exception):
    """The copy could not be made or does not verify; the message says what to do."""


class SeriesCheck:
    """The point count and a checksum of one series' points (kind-aware: 1 and 1.0 differ)."""

    def __init__(self) -> None:
        self.count = 0
        self._hash = hashlib.sha256()

    def add(self, points: Iterable[Point]) -> None:
        for t, v in points:
            self.count += 1
            self._hash.update(f"{t}:{'i' if type(v) is int else 'f'}:{v!r};".encode())

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeriesCheck) and (self.count, self.digest) == (other.count, other.digest)

    __hash__ = None  # type: ignore[assignment]


def _chunks(store: Store, database: str, series_id: str) -> Iterator[list[Point]]:
    return store.iter_points(database, series_id, MIN_MS, MAX_MS + 1)


def series_check(store: Store, database: str, series_id: str) -> SeriesCheck:
    check = SeriesCheck()
    with closing(_chunks(store, database, series_id)) as chunks:  # type: ignore[type-var]
        for chunk in chunks:
            check.add(chunk)
    return check


def _copy_series(source: Store, target: Store, database: str, series: SeriesRecord) -> None:
    found = target.get_series(database, SeriesRef("id", series.id))
    if found is None:
        try:
            target.create_series(database, series)
        except SeriesExistsError:
            raise MigrationError(
                f"database {database!r}: the target already has another series with key {series.key!r}; "
                "migrate into an empty database (or delete that series there) and run again"
            ) from None
    elif found.key != series.key:
        raise MigrationError(
            f"database {database!r}: the target's series {series.id!r} has key {found.key!r}, not {series.key!r}; "
            "migrate into an empty database and run again"
        )
    else:
        target.update_series(database, series)
    ref = SeriesRef("id", series.id)
    with closing(_chunks(source, database, series.id)) as chunks:  # type: ignore[type-var]
        for chunk in chunks:
            target.write_points(database, [PointBatch(chunk, ref, create=False)], increment=False)


def migrate(source: _Source, target: Store, progress: Progress | None = None) -> tuple[int, int]:
    """Copy everything from ``source`` into ``target`` and verify it; ``(databases, series)`` copied."""
    databases = source.databases()
    plan = [(db, source.find_series(db, SeriesFilter())) for db in databases]
    if progress is not None:
        progress.total = 2 * sum(len(series) for _, series in plan)  # copied, then verified
    copied = 0
    for database, series_list in plan:
        record = source.secret_record(database)
        if record is not None:
            target.set_secret(database, record)
        for series in series_list:
            _copy_series(source, target, database, series)
            copied += 1
            if progress is not None:
                progress.advance()
    for database, series_list in plan:
        for series in series_list:
            there, here = series_check(source, database, series.id), series_check(target, database, series.id)
            if there != here:
                raise MigrationError(
                    f"database {database!r}, series {series.key!r}: the source has {there.count} points, the target "
                    f"{here.count} (or their values differ); the target held other points already: migrate into an "
                    "empty database"
                )
            if progress is not None:
                progress.advance()
    return len(databases), copied


def _open(target: str, *, must_exist: bool) -> Any:
    import os

    from tempodb.server.factory import open_store

    if must_exist and not is_postgres_url(target) and not os.path.exists(target):
        raise MigrationError(f"no database file {target!r} to migrate from: check --from")
    if target in ("", ":memory:"):
        raise MigrationError("an in-memory database cannot be migrated: give a SQLite file or a postgresql:// URL")
    return open_store(target)


def cmd_migrate(args: argparse.Namespace) -> int:
    if args.source == args.target:
        raise InvalidInputError("--from and --to name the same database")
    source = _open(args.source, must_exist=True)
    try:
        target = _open(args.target, must_exist=False)
        try:
            mode: Mode = "live" if args.progress else "auto"
            with Progress(0, sys.stderr, label="migrating", unit="series", mode=mode) as bar:
                databases, series = migrate(source, target, bar)
        finally:
            target.close()
    finally:
        source.close()
    print(
        f"migrated {series} series in {databases} databases from {redact(args.source)} to {redact(args.target)}; "
        "every series verified (point count and checksum)",
        file=sys.stderr,
    )
    return 0


def add_migrate_command(commands: Any) -> None:
    """Add ``migrate`` to the ``tempodb`` subcommands (``argparse`` subparsers)."""
    p = commands.add_parser(
        "migrate",
        help="copy every database, series and point between a SQLite file and PostgreSQL",
        description="Copy every database (API key) with its secret, series (name, tags, attributes) and points "
        "from --from to --to, each a SQLite file or a postgresql:// URL (password from PGPASSWORD or ~/.pgpass), "
        "then verify each series' point count and checksum. Safe to run again after an interruption: what "
        "was copied already is overwritten with the same data. Stop the servers writing to --from first.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="PATH|URL", help="the database to copy")
    p.add_argument("--to", dest="target", required=True, metavar="PATH|URL", help="the database to copy into")
    p.add_argument("--progress", action="store_true", help="draw the progress bar on stderr even when it is not a terminal")
    p.set_defaults(handler=cmd_migrate)
