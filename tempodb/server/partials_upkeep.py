"""When and how a store's partials change with its points: the rules, written once for every backend.

A backend gives a :class:`Grains` view of one series inside its write transaction (the SQL it takes
to read a grain's points and store or drop partials); these functions decide, cheapest first and
all exact (``storage.Store`` states the rules):

- a grain without a partial, given points without repeated timestamps: ``partial_of`` of them
  (for an increment too: onto an empty grain the amounts ARE the values);
- a plain write whose timestamps all lie outside the stored ``[first, last]``: merge (appends);
- anything else (an overwrite, an increment onto stored points, a cut by a range delete): the
  grain's points are read back and its partial recomputed (at most 900,000 points at 1 ms).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter, lt
from typing import Protocol

from tempodb.server.partials import GrainFolder, ceil_grain, floor_grain, merge, partial_of
from tempodb.server.storage import GRAIN_MS, Partial, Point

__all__ = ["Grains", "build", "delete_range", "recompute", "written"]

_FIRST, _SECOND = itemgetter(0), itemgetter(1)


class Grains(Protocol):
    """One series' points and partials, as its store reads and writes them inside a transaction."""

    def stored(self, low: int, high: int) -> dict[int, Partial]:
        """The stored partials of grains ``low <= grain <= high``, by grain."""
        ...

    def points(self, grain: int) -> list[Point]:
        """The stored points of one grain, in time order."""
        ...

    def save(self, parts: Sequence[Partial]) -> None:
        """Store these partials, replacing those of the same grains."""
        ...

    def drop(self, low: int, high: int) -> None:
        """Remove the partials of grains ``low <= grain < high``."""
        ...


def recompute(grains: Grains, grain: int) -> Partial | None:
    """The grain's partial from its stored points (None, and no partial, when it has none)."""
    rows = grains.points(grain)
    if not rows:
        grains.drop(grain, grain + 1)
        return None
    part = partial_of(grain, list(map(_FIRST, rows)), list(map(_SECOND, rows)))
    grains.save([part])
    return part


def written(grains: Grains, points: Sequence[Point], *, increment: bool) -> None:
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
    stored = grains.stored(floor_grain(stamps[0]), floor_grain(stamps[-1]))
    fresh: list[Partial] = []
    i, n = 0, len(stamps)
    while i < n:
        grain = floor_grain(stamps[i])
        j = bisect_left(stamps, grain + GRAIN_MS, i)
        old = stored.get(grain)
        if distinct and old is None:
            fresh.append(partial_of(grain, stamps[i:j], values[i:j]))
        elif distinct and not increment and old is not None and _outside(stamps, i, j, old):
            fresh.append(merge([old, partial_of(grain, stamps[i:j], values[i:j])]))
        else:
            recompute(grains, grain)
        i = j
    grains.save(fresh)


def _outside(stamps: list[int], i: int, j: int, old: Partial) -> bool:
    """Whether ``stamps[i:j]`` all lie outside ``[old.first, old.last]``, so none replaced a stored point."""
    k = bisect_left(stamps, old.first, i, j)
    return k == j or stamps[k] > old.last


def delete_range(grains: Grains, start: int, end: int) -> None:
    """After the points in ``[start, end)`` were deleted: drop the grains wholly inside, recompute the cut ones."""
    if start >= end:
        return
    grains.drop(ceil_grain(start), floor_grain(end))
    for grain in {floor_grain(start), floor_grain(end - 1)}:
        if not (start <= grain and grain + GRAIN_MS <= end):
            recompute(grains, grain)


def build(grains: Grains, chunks: Iterable[Sequence[Point]]) -> None:
    """Every partial of a series that has none yet, from all its points (``chunks`` in time order)."""
    grains.drop(floor_grain(-(2**62)), floor_grain(2**62))
    folder = GrainFolder()
    for rows in chunks:
        folder.feed(list(map(_FIRST, rows)), list(map(_SECOND, rows)))
        grains.save(folder.parts)  # complete grains go out chunk by chunk: memory stays flat
        folder.parts = []
    grains.save(folder.finish())
