"""Data sets handed over in process: the points of a read as the engine holds them, not as JSON.

Over HTTP a read's points are rendered to JSON by the server and parsed back by the client: half
the time of an embedded read went there.  In one process neither is needed, so the in-process
transport answers a read with a :class:`ColumnsResponse`: each data set's points as two columns
(epoch milliseconds and values) plus the UTC offset every point is written at, and everything
else of the data set (series, start, end, rollup, summary) as the JSON the server would send.

It stays a :class:`~tempodb._wire.http.Response`: whoever reads ``body`` gets the very bytes the
HTTP path sends (rendered on access), so a caller that knows nothing of columns is served as
before, and the client core, which knows, skips the rendering and the parsing of the points.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from tempodb._wire.http import Response

__all__ = ["ColumnsResponse", "DataColumns"]

Number = int | float  # an infinity (a rollup past the float range) is ``null`` in JSON, NaN once read


class DataColumns(msgspec.Struct, frozen=True):
    """One data set: ``head`` is its JSON with an empty ``data`` array; its points are the
    ``stamps`` (epoch ms) and ``values``, in the chunks the engine read them in (a reader may empty
    each chunk once used, so the points are never held twice), and ``offsets`` lists ``(first index,
    seconds east of UTC)`` for each run of points the JSON writes at one offset (indexes counted
    across chunks; one entry when the whole set has one offset)."""

    head: bytes
    stamps: list[list[int]]
    values: list[list[Number]]
    offsets: list[tuple[int, int]]


class ColumnsResponse(Response, frozen=True):
    """A 200 read answer carried in process: ``datasets`` in answer order, ``many`` when the answer
    is a list of data sets (``GET /data/``) rather than one.

    ``body`` is produced on access by ``render`` (the server's own renderer over these columns),
    byte for byte the body of the same read over HTTP.
    """

    datasets: list[DataColumns] = msgspec.field(default_factory=list)
    many: bool = False
    render: Callable[[], bytes] | None = None

    @property  # type: ignore[misc]  # a rendered body in place of the stored (empty) one
    def body(self) -> bytes:
        return b"" if self.render is None else self.render()

    def __repr__(self) -> str:
        points = sum(len(chunk) for d in self.datasets for chunk in d.stamps)
        return f"ColumnsResponse(status_code={self.status_code}, headers={self.headers!r}, {len(self.datasets)} data sets, {points} points)"
