"""The narrow storage interface the engine talks to, and the values that cross it.

A backend (SQLite today, PostgreSQL later) implements :class:`Store`; the engine never sees SQL.
Every method takes the database name, which is the API key: databases never see each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import msgspec

from tempodb._wire.keys import SeriesRef
from tempodb._wire.query import Direction, SeriesFilter

__all__ = [
    "GRAIN_MS",
    "AnswerExistsError",
    "AnswerStore",
    "Direction",
    "IdempotentAnswer",
    "Partial",
    "Point",
    "PointBatch",
    "SeriesExistsError",
    "SeriesNotFoundError",
    "SeriesRecord",
    "Store",
    "Value",
]

#: A stored value: integers stay integers, floats stay floats.
Value = int | float
#: The range of a stored integer (and of an increment, which adds as a 64-bit long).
#: One stored point: (epoch milliseconds, value).
Point = tuple[int, Value]


#: The grain of the pre-aggregated partials: 15 minutes, aligned to the UTC epoch.  Every zone's
#: offset today is a whole number of quarter hours, so every calendar bucket boundary of an interval
#: that is a multiple of 15 minutes (hours, days, weeks, months, years) falls on a grain boundary.
GRAIN_MS = 900_000


class Partial(msgspec.Struct, frozen=True, gc=False):
    """What a rollup needs of the points of one grain (or of any set of points), without the points.

    ``total`` is the EXACT sum of the values (each converted to float as ``math.fsum`` does) as a
    non-overlapping expansion: doubles whose real sum is the sum, largest first, usually one or two
    (``tempodb.server.partials.expansion``).  ``m2`` is the sum of squared deviations from the
    points' own exact mean.  A grain with a value too large or too small for that exact arithmetic
    (``partials.admitted``: past 2**480 in magnitude, or nonzero below 2**-400) has ``total == ()`` and ``m2 is None``: "raw only", any rollup
    touching it reads the points.  ``grain`` is the grain's start (epoch ms, a multiple of
    :data:`GRAIN_MS`); ``first``/``last`` the first and last timestamps in it.
    """

    grain: int
    count: int
    low: Value  # the minimum, as stored (an int stays an int)
    high: Value  # the maximum, as stored
    total: tuple[float, ...]
    m2: float | None
    first: int
    last: int

    @property
    def exact(self) -> bool:
        """True unless the grain is raw only."""
        return self.m2 is not None


class SeriesRecord(msgspec.Struct):
    """A series as the server stores and sends it (the client's model is ``tempodb.Series``).

    The field order is the wire order (``id, key, name, tags, attributes``): msgspec writes the fields
    in declaration order, so it must not change.
    """

    id: str
    key: str
    name: str = ""
    tags: list[str] = msgspec.field(default_factory=list)
    attributes: dict[str, str] = msgspec.field(default_factory=dict)


class PointBatch(msgspec.Struct, frozen=True):
    """Points for one series.

    With ``create`` a missing series is created (by key: a new id; by id: key = id); without it a
    missing series makes the whole write fail with :class:`SeriesNotFoundError`.
    """

    points: Sequence[Point]
    series: SeriesRef
    create: bool = True


class IdempotentAnswer(msgspec.Struct, frozen=True):
    """The answer given to a request that carried an ``Idempotency-Key``, kept to replay for its repeats.

    ``fingerprint`` identifies the request (method, target, body), so a key reused for another
    request is told apart from a retry.  The record lives until ``expires_ms`` (epoch milliseconds).
    """

    key: str
    fingerprint: str
    status: int
    content_type: str  # "" when the answer has no body
    body: bytes
    created_ms: int
    expires_ms: int


class AnswerExistsError(Exception):
    """A live answer is already kept for this key: another request with it committed first."""


class SeriesExistsError(Exception):
    """A series with this key (or id) already exists in the database."""

    def __init__(self, database: str, key: str) -> None:
        super().__init__(f"Unique constraint violated, key {key} and database id {database} pair already exist")
        self.key = key


class SeriesNotFoundError(Exception):
    """A write named a series that does not exist and may not be created."""


class Store(Protocol):
    """Persistent series and points, partitioned by database (the API key).

    Partials: a backend keeps, for every series and every grain (``[g, g + GRAIN_MS)`` with ``g`` a
    multiple of :data:`GRAIN_MS`) that holds points, one :class:`Partial` equal to
    ``tempodb.server.partials.partial_of`` of that grain's values in time order (count, low, high,
    first, last and the exact sum identical; ``m2`` within rounding), and none for a grain without
    points.  Every method that changes points (``write_points`` in both modes,
    ``delete_points``, ``delete_series``) brings the partials of the grains it touched up to date in
    the SAME transaction, so a read never sees a stale partial and no background job exists; a
    backend may instead build a series' partials on its first :meth:`read_partials` (databases made
    before partials existed), as long as that read answers current partials.  The cheap ways to keep
    a grain current, all exact: a grain with no partial and new points without repeated timestamps
    gets ``partial_of(new values)``; a plain write whose timestamps all lie outside the stored
    partial's ``[first, last]`` merges (``partials.merge``); anything else (overwrites, increments
    onto stored points, range deletes cutting a grain) recomputes ``partial_of`` from the grain's
    stored points.  A SQL backend stores the fields as columns (``total`` as an array of doubles).
    """

    # Secrets cross this interface only as records made by ``tempodb.server.secret_hash``
    # (salted hashes): a backend stores them as opaque text and never sees a secret.

    def secret_record(self, database: str) -> str | None:
        """The secret record of ``database``, or None when it has none yet."""
        ...

    def register_secret(self, database: str, record: str) -> str:
        """The secret record of ``database``; ``record`` becomes it when there is none yet (atomically)."""
        ...

    def set_secret(self, database: str, record: str) -> None:
        """Make ``record`` the secret record of ``database``, replacing any other."""
        ...

    def create_series(self, database: str, series: SeriesRecord, *, remember: IdempotentAnswer | None = None) -> None:
        """Store a new series; raises :class:`SeriesExistsError` when its key or id is taken.

        With ``remember``, keep that answer in the same transaction (see :class:`AnswerStore`)."""
        ...

    def get_series(self, database: str, series: SeriesRef) -> SeriesRecord | None:
        ...

    def update_series(self, database: str, series: SeriesRecord) -> bool:
        """Replace name, tags and attributes of the series with ``series.id``; False if unknown."""
        ...

    def find_series(self, database: str, selection: SeriesFilter) -> list[SeriesRecord]:
        """The matching series, ordered by key."""
        ...

    def delete_series(self, database: str, selection: SeriesFilter) -> int:
        """Delete the matching series and their points (an empty filter deletes all); the count."""
        ...

    def write_points(
        self, database: str, batches: Sequence[PointBatch], *, increment: bool, remember: IdempotentAnswer | None = None
    ) -> None:
        """Apply every batch in one transaction: replace values, or atomically add integers.

        With ``remember``, keep that answer in the same transaction (see :class:`AnswerStore`)."""
        ...

    def read_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Point]:
        """Points with ``start_ms <= t < end_ms``, ordered by t."""
        ...

    def iter_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> Iterator[list[Point]]:
        """The points of :meth:`read_points` in chunks, all from one snapshot of the store.

        A generator, so a read of millions of points never holds them all: close it to stop early.
        It may be resumed from any thread (the server sends a response's blocks from worker threads).
        """
        ...

    def read_partials(self, database: str, series_id: str, start_ms: int, end_ms: int) -> list[Partial]:
        """The partials of the grains lying wholly inside ``[start_ms, end_ms)``, ordered by grain.

        Current with every committed write (see the class docstring); empty for an unknown series.
        """
        ...

    def delete_points(self, database: str, series_id: str, start_ms: int, end_ms: int) -> bool:
        """Delete points with ``start_ms <= t < end_ms``; False when the series is unknown."""
        ...

    def single_point(self, database: str, series_id: str, ts_ms: int, direction: Direction) -> Point | None:
        """The point at ``ts_ms``, or the neighbour the direction asks for (ties: the earlier)."""
        ...

    def close(self) -> None:
        ...


@runtime_checkable
class AnswerStore(Protocol):
    """What a :class:`Store` adds to honour ``Idempotency-Key`` (``tempodb.server.idempotency`` decides;
    the store only keeps answers).  A store without these methods still serves: the engine then
    neither advertises nor honours keys, and clients keep their old caution.

    A backend that offers them also honours ``remember`` in ``create_series`` and ``write_points``:

    - the answer is stored in the SAME transaction as the effect: both commit, or neither;
    - (database, answer.key) is unique: when a record with that key exists whose ``expires_ms`` is
      after ``answer.created_ms``, the write raises :class:`AnswerExistsError` and changes nothing
      (a concurrent duplicate, perhaps in another process, committed first); an expired one is
      replaced;
    - records of one database are invisible to another.
    """

    def recall(self, database: str, key: str) -> IdempotentAnswer | None:
        """The answer kept for ``key`` in ``database`` (expired or not), or None."""
        ...

    def forget_answers(self, expired_by_ms: int) -> int:
        """Delete every kept answer whose ``expires_ms`` is at or before ``expired_by_ms``; the count."""
        ...
