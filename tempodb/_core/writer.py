"""The batching writer's brain, with no I/O: the bounded buffer, when to flush, and what a flush
sent, refused, or left for later.  The sync and async writers only add a lock, a timer and a driver.

A flush takes the whole buffer and sends it as ``write_multi`` / ``increment_multi`` operations:
one request per kind (writes, then increments), split only where order matters, that is where one
flush both writes and increments the same series reference at the same time (so those apply in
the order given), and at every ``session.chunk_size`` points (so every request's fate is known on
its own).  The first failure stops the flush: what was not acknowledged goes back to the head of the
buffer for the next flush, except increments that may have landed, which are set aside as
*uncertain* and never resent.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from typing import Literal, TypeGuard

import msgspec

from tempodb._core import ops
from tempodb._core.effects import Operation
from tempodb._core.errors import (
    BufferFullError,
    InvalidInputError,
    MultiStatusError,
    PartialWriteError,
    TempoDBError,
    UndeliveredError,
)
from tempodb._core.models import PointStatus
from tempodb._core.protocol import Items, MultiItem, check_multi, plain_item
from tempodb._core.session import Session

__all__ = [
    "BufferedPoint",
    "Flush",
    "FlushResult",
    "Kind",
    "RefusedPoint",
    "WriterCore",
    "WriterStats",
    "warn_unflushed",
]

Kind = Literal["write", "increment"]
OnFull = Literal["block", "raise"]

DEFAULT_MAX_POINTS = 5_000
DEFAULT_MAX_BYTES = 1 << 20
#: Seconds of nothing but failed flushes after which a writer stops trying (a server that is gone).
DEFAULT_GIVE_UP_AFTER = 10.0
# What one point costs in a multi body besides its series name: {"t":"<32 chars>","key":"","v":<~20>},
_POINT_OVERHEAD = 64
_ITEM, _ITEM_KEY, _ITEM_ID = attrgetter("item"), attrgetter("item.key"), attrgetter("item.id")


class BufferedPoint(msgspec.Struct, frozen=True, gc=False):
    """A point waiting in (or returned by) a writer: ``kind`` and the validated multi ``item``."""

    # Not tracked by the garbage collector (a kind and an item cannot form a cycle): a full buffer
    # of tracked points made the collections walk them all: about 1 µs a point of `tempodb import`.

    kind: str
    item: MultiItem

    @property
    def series(self) -> str:
        """The series the point is for: its id, or its key."""
        return self.item.id if self.item.id is not None else (self.item.key or "")


class RefusedPoint(msgspec.Struct, frozen=True):
    """A point the server refused in a 207, with its status and messages."""

    point: BufferedPoint
    status: PointStatus


@dataclass
class WriterStats:
    """Running totals: points accepted, acknowledged, sent again after a failed try (each time), and
    given up on."""

    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass
class FlushResult:
    """What one flush achieved.

    ``acknowledged`` points were applied; ``refused`` were answered with a non-2xx status in a 207;
    ``pending`` is how many points could not be delivered and wait in the buffer for the next flush
    (``error`` says why); ``uncertain`` are increments of unknown fate, set aside, never resent.
    """

    acknowledged: int = 0
    refused: list[RefusedPoint] = field(default_factory=list)
    pending: int = 0
    uncertain: list[BufferedPoint] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """Everything taken by this flush was applied."""
        return not (self.refused or self.pending or self.uncertain)


class Flush:
    """One flush in progress: the points it took, and how far it got.

    ``operation`` sends them; ``interrupt`` accounts for a flush abandoned part way (cancelled, or
    a driver error that is not a ``TempoDBError``).  Either way ``WriterCore.finish`` settles it.
    """

    def __init__(self, points: list[BufferedPoint]) -> None:
        self.points = _grouped_by_kind(points)
        self.result = FlushResult()
        self._cursor = 0  # points before it are settled (acknowledged, refused or uncertain)
        self._in_flight = 0  # size of the chunk being sent at the cursor
        self._stopped = False
        #: Of the points going back to the buffer, how many (at its head) were already sent once.
        self.tried = 0

    def operation(self, session: Session) -> Operation[FlushResult]:
        points, size = self.points, session.chunk_size
        while self._cursor < len(points):
            kind = points[self._cursor].kind
            end = self._cursor + 1
            while end < len(points) and end - self._cursor < size and points[end].kind == kind:
                end += 1
            chunk = points[self._cursor : end]
            self._in_flight = len(chunk)
            items = list(map(_ITEM, chunk))
            try:
                # Checked when queued (``point``); points queued one by one: the last of a
                # millisecond wins, as in separate writes.
                yield from ops.multi_checked(session, "write_multi" if kind == "write" else "increment_multi", items)
            except MultiStatusError as exc:
                if exc.unmatched_points:
                    # Statuses that cannot be matched to points: a write is resent later as it is;
                    # an increment may have landed in part, so it is set aside as uncertain.
                    if kind == "increment":
                        self.result.uncertain.extend(chunk)
                        self._settle(len(chunk), exc)
                    else:
                        self._settle(0, exc)
                    return self.result
                for point, status in zip(chunk, exc.statuses, strict=False):
                    if status.ok:
                        self.result.acknowledged += 1
                    else:
                        self.result.refused.append(RefusedPoint(point, status))
            except PartialWriteError as exc:
                # A single request: only an increment of unknown fate gets here (ops._chunked).
                self.result.uncertain.extend(chunk[i] for i in exc.uncertain)
                self._settle(len(chunk), exc.cause)
                return self.result
            except TempoDBError as exc:
                self._settle(0, exc)
                return self.result
            else:
                self.result.acknowledged += len(chunk)
            self._cursor = end
            self._in_flight = 0
        return self.result

    def _settle(self, settled: int, error: BaseException | None) -> None:
        self._cursor += settled
        self.tried = 0 if settled else self._in_flight
        self._in_flight = 0
        self._stopped = True
        if error is not None:
            self.result.error = error

    def interrupt(self, error: BaseException | None = None) -> None:
        """The flush was abandoned mid-request: an increment in flight may have landed."""
        if self._stopped:
            return
        chunk = self.points[self._cursor : self._cursor + self._in_flight]
        if chunk and chunk[0].kind == "increment":
            self.result.uncertain.extend(chunk)
            self._settle(len(chunk), error)
        else:
            self._settle(0, error)

    def unsent(self) -> list[BufferedPoint]:
        return self.points[self._cursor :]


def _grouped_by_kind(points: list[BufferedPoint]) -> list[BufferedPoint]:
    """``points`` with the writes of each stretch moved before its increments, so a flush sends one
    request per kind.  A stretch ends where a point's (series, time) was already given the other
    kind in it: only there does order change the result (write-then-add differs from add-then-write).
    Within a kind, order is kept (the last write of a point wins, as given)."""
    if len({p.kind for p in points}) < 2:
        return points
    out: list[BufferedPoint] = []
    writes: list[BufferedPoint] = []
    increments: list[BufferedPoint] = []
    seen: dict[str, set[tuple[str | None, str | None, object]]] = {"write": set(), "increment": set()}
    for point in points:
        item = point.item
        spot = (item.id, item.key, item.t)
        other = "increment" if point.kind == "write" else "write"
        if spot in seen[other]:
            out += writes
            out += increments
            writes, increments = [], []
            seen = {"write": set(), "increment": set()}
        seen[point.kind].add(spot)
        (writes if point.kind == "write" else increments).append(point)
    out += writes
    out += increments
    return out


def _common(ts: object, kind: str, value: object, key: object, series_id: object) -> TypeGuard[datetime]:
    """Whether a point is of the common shape that needs no further check: a known kind and a plain
    item (``protocol.plain_item``, the rule ``check_multi`` uses); anything else goes through
    ``check_multi``, which decides."""
    return (kind == "write" or kind == "increment") and plain_item(ts, value, key, series_id)


def _positive(name: str, value: object, allow_float: bool = False) -> None:
    kinds = (int, float) if allow_float else (int,)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise InvalidInputError(f"{name} must be a positive {'number' if allow_float else 'integer'}, not {value!r}")


class WriterCore:
    """The buffer and its rules.  Not thread-safe: the front ends serialise access."""

    def __init__(
        self,
        max_points: int = DEFAULT_MAX_POINTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        flush_interval: float | None = None,
        on_full: OnFull = "block",
        max_buffer: int | None = None,
        give_up_after: float | None = DEFAULT_GIVE_UP_AFTER,
    ) -> None:
        _positive("max_points", max_points)
        if give_up_after is not None:
            _positive("give_up_after", give_up_after, allow_float=True)
        _positive("max_bytes", max_bytes)
        if flush_interval is not None:
            _positive("flush_interval", flush_interval, allow_float=True)
        if on_full not in ("block", "raise"):
            raise InvalidInputError(f"on_full must be 'block' or 'raise', not {on_full!r}")
        if max_buffer is None:
            max_buffer = 4 * max_points
        _positive("max_buffer", max_buffer)
        if max_buffer < max_points:
            raise InvalidInputError(f"max_buffer ({max_buffer}) must be at least max_points ({max_points})")
        self.max_points = max_points
        self.max_bytes = max_bytes
        self.flush_interval = flush_interval
        self.on_full = on_full
        self.max_buffer = max_buffer
        self.give_up_after = give_up_after
        self._failing_since: float | None = None  # when the flushes that all failed since began
        self.stats = WriterStats()
        self.closed = False
        self._points: list[BufferedPoint] = []
        # Counted since the last flush attempt, so a failing server is not retried on every write.
        self._fresh_points = 0
        self._fresh_bytes = 0
        self._uncertain: list[BufferedPoint] = []
        self._tried_head = 0  # points at the buffer's head that a failed flush already sent once
        self._in_flight = 0  # points taken by the flush under way
        self._refused: list[RefusedPoint] = []
        self._last_error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._points)

    @property
    def pending(self) -> list[BufferedPoint]:
        """A copy of the points waiting to be sent, oldest first."""
        return list(self._points)

    @property
    def full(self) -> bool:
        """The writer holds ``max_buffer`` points: a flush must make room before the next ``add``.

        Points of a flush in flight count: a failed flush puts them back, so a buffer refilled
        meanwhile by concurrent producers would otherwise pass the bound."""
        return len(self._points) + self._in_flight >= self.max_buffer

    @property
    def due(self) -> bool:
        """A flush should run now (size thresholds; the timer is the front end's business)."""
        return self._fresh_points >= self.max_points or self._fresh_bytes >= self.max_bytes

    @staticmethod
    def point(
        kind: Kind, ts: datetime | date, value: float, key: str | None = None, series_id: str | None = None
    ) -> BufferedPoint:
        """A validated point (raises ``InvalidInputError`` at the caller's line, not at flush time)."""
        if _common(ts, kind, value, key, series_id):
            return BufferedPoint(kind, MultiItem(v=value, t=ts, key=key))
        if kind not in ("write", "increment"):
            raise InvalidInputError(f"kind must be 'write' or 'increment', not {kind!r}")
        if key is not None and series_id is not None:
            raise InvalidInputError("give the series key or its id, not both")
        return BufferedPoint(kind, check_multi(({"t": ts, "v": value, "key": key, "id": series_id},))[0])

    @staticmethod
    def points(kind: Kind, data: Items) -> list[BufferedPoint]:
        """Validated points of multi items (``{"t", "key" | "id", "v"}`` or ``MultiItem``s), all
        checked before any is queued, as ``write_multi`` checks them before sending."""
        if kind not in ("write", "increment"):
            raise InvalidInputError(f"kind must be 'write' or 'increment', not {kind!r}")
        return [BufferedPoint(kind, item) for item in check_multi(data)]

    def queue(self, kind: Kind, ts: datetime | date, value: float, key: str | None, series_id: str | None) -> bool | None:
        """Queue the common point (see ``_common``) in one step, when the writer is open and has room:
        then whether a flush is now ``due``.  None, with nothing queued, sends the caller the careful
        way (``point``, ``check_accepting``, ``add``), which also raises the right error.

        A writer spends most of its time per point, not per request: this is ``point`` + ``add`` with
        only the checks and the bookkeeping the common point needs."""
        if (
            type(key) is str  # for mypy: _common checks it too
            and _common(ts, kind, value, key, series_id)
            and not self.closed
            and len(self._points) + self._in_flight < self.max_buffer
        ):
            self._points.append(BufferedPoint(kind, MultiItem(v=value, t=ts, key=key)))
            self.stats.queued += 1
            self._fresh_points += 1
            self._fresh_bytes += _POINT_OVERHEAD + len(key)
            return self._fresh_points >= self.max_points or self._fresh_bytes >= self.max_bytes
        return None

    @property
    def room(self) -> int:
        """How many points ``add`` takes before the buffer is ``full``."""
        return max(0, self.max_buffer - len(self._points) - self._in_flight)

    @property
    def wanted(self) -> int:
        """How many points ``add`` takes before a flush is ``due`` by count (at least 1)."""
        return max(1, self.max_points - self._fresh_points)

    def check_open(self) -> None:
        if self.closed:
            raise InvalidInputError("this writer is closed")

    def check_accepting(self) -> None:
        """Raise if no point may be queued now: ``InvalidInputError`` once closed, ``BufferFullError``
        when the buffer is ``full`` and ``on_full="raise"``.  With ``on_full="block"`` a full buffer
        is the caller's to flush before ``add``."""
        self.check_open()
        if self.full and self.on_full == "raise":
            self._overflow()

    def _overflow(self) -> None:
        raise BufferFullError(
            f"the writer's buffer holds {len(self._points)} points (max_buffer={self.max_buffer}) "
            "and could not be flushed"
        ) from self._last_error

    def add(self, points: Iterable[BufferedPoint]) -> None:
        """Queue points; a full buffer raises ``BufferFullError`` (the caller applies ``on_full`` first)
        once the points that fit are queued."""
        self.check_open()
        batch = points if isinstance(points, list) else list(points)
        if set(map(type, batch)) - {BufferedPoint}:  # checked in one C pass; the loop finds the culprit
            for point in batch:
                if not isinstance(point, BufferedPoint):
                    raise InvalidInputError(f"expected a BufferedPoint, not {type(point).__name__}")
        taken = batch[: self.room]
        self._points += taken
        self._fresh_points += len(taken)
        # An item names its series by key or by id (never both once checked): their lengths, in C loops.
        named = sum(map(len, filter(None, map(_ITEM_KEY, taken)))) + sum(map(len, filter(None, map(_ITEM_ID, taken))))
        self._fresh_bytes += _POINT_OVERHEAD * len(taken) + named
        self.stats.queued += len(taken)
        if len(taken) < len(batch):
            self._overflow()

    def begin(self) -> Flush | None:
        """Take the whole buffer for one flush (None when there is nothing to send)."""
        self._fresh_points = self._fresh_bytes = 0
        if not self._points:
            return None
        taken, self._points = self._points, []
        self._in_flight = len(taken)
        # Retried: points sent again after a failed try (the failed chunk went back to the head).
        self.stats.retried += self._tried_head
        self._tried_head = 0
        return Flush(taken)

    @property
    def last_error(self) -> BaseException | None:
        """Why the last failed flush failed."""
        return self._last_error

    def given_up(self, now: float) -> bool:
        """Whether flushes have done nothing but fail for ``give_up_after`` seconds up to ``now``
        (front-end clock seconds): then the writer sends no more, and closing it reports at once."""
        since = self._failing_since
        return self.give_up_after is not None and since is not None and now - since >= self.give_up_after

    def finish(self, flush: Flush, started: float | None = None) -> FlushResult:
        """Settle a flush: count it and put back what must be tried again, ahead of newer points.

        ``started`` (front-end clock seconds) is when the flush began, for ``given_up``."""
        result = flush.result
        if started is not None:
            failed = result.error is not None and not result.acknowledged
            self._failing_since = (self._failing_since if self._failing_since is not None else started) if failed else None
        self._in_flight = 0
        unsent = flush.unsent()
        self._points[:0] = unsent
        result.pending = len(unsent)
        self.stats.sent += result.acknowledged
        self._tried_head = flush.tried
        self.stats.failed += len(result.refused) + len(result.uncertain)
        self._uncertain.extend(result.uncertain)
        if result.error is not None:
            self._last_error = result.error
        return result

    def report(self, result: FlushResult) -> None:
        """Refusals of a flush nobody saw (a size- or timer-triggered one) are kept for ``close``."""
        self._refused.extend(result.refused)

    def close(self) -> UndeliveredError | None:
        """Mark the writer closed and hand over everything it still holds (None when that is nothing).

        The points move into the error: whoever gets it owns them, and the writer no longer warns.
        """
        self.closed = True
        points, self._points = self._points, []
        uncertain, self._uncertain = self._uncertain, []
        refused, self._refused = self._refused, []
        if not (points or uncertain or refused):
            return None
        self.stats.failed += len(points)
        return UndeliveredError(points, uncertain, refused, self._last_error)

    def resend(self, points: Sequence[BufferedPoint]) -> None:
        """Queue points handed back by an ``UndeliveredError`` (or a ``FlushResult``) again."""
        self.add(points)


def warn_unflushed(core: WriterCore) -> None:
    """Called for a writer collected (or alive at interpreter exit) without being closed."""
    held = len(core) + len(core._uncertain) + len(core._refused)
    if held and not core.closed:
        warnings.warn(
            f"a tempodb batching writer was never closed: {held} points were not delivered "
            "(use it as a context manager, or call close())",
            UserWarning,
            stacklevel=2,
        )
