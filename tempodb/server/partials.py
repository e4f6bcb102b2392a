"""Pre-aggregated partials: the pure arithmetic that lets a rollup read one row per grain, not per point.

A :class:`~tempodb.server.storage.Partial` holds what every rollup function needs of a set of
points, and two partials merge into the partial of the union, so a bucket is the merge of the
grains inside it (plus partials of the raw points at its ragged edges, made by the same
:func:`partial_of`).  The answers are those of the raw path (``tempodb.server.rollups``):

- ``count``, ``min`` and ``max`` are exact (the stored low/high, as stored);
- ``sum`` and ``mean`` are bit-identical: the partial keeps the EXACT sum as an expansion (doubles
  whose real sum is the sum), and ``math.fsum`` of the union of the expansions is the correctly
  rounded exact sum, which is what ``math.fsum`` over the raw values gives;
- ``ss`` and ``stddev`` agree within a few ulps: ``m2`` (squares about the exact mean) merges by
  Chan's rule, with every mean difference computed from the exact sums (:func:`_deviation`), so no
  term cancels; the raw path squares about the *rounded* mean, which adds ``n * (rounding)**2``,
  and :func:`summary_of` adds that back the same way.

That exactness needs values whose squares and sums stay in the float range and whose products with
a count stay exact: :func:`admitted` (|v| <= 2**480 and every nonzero |v| >= 2**-400).  A grain
with any other value is "raw only" (``total == ()``, ``m2 is None``): its count, min and max are
still good, every other function over it is computed from the raw points.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import chain

from tempodb._wire.intervals import Function
from tempodb.server.rollups import spread
from tempodb.server.storage import GRAIN_MS, Partial, Value

__all__ = [
    "GrainFolder",
    "admitted",
    "ceil_grain",
    "expansion",
    "floor_grain",
    "fold_partials",
    "merge",
    "partial_of",
    "partials_of",
    "summary_of",
]

# Past 2**480 a square (times any count) could overflow; below 2**-400 a square of a difference
# could underflow into subnormals, where it loses the bits the 1e-12 agreement needs.
_HUGE = 2.0**480
_TINY = 2.0**-400


def floor_grain(ms: int) -> int:
    """The start of the grain holding ``ms``."""
    return ms - ms % GRAIN_MS


def ceil_grain(ms: int) -> int:
    """The first grain start at or after ``ms``."""
    return -(-ms // GRAIN_MS) * GRAIN_MS


def _smallest(values: Iterable[Value]) -> float:
    """The smallest nonzero magnitude among ``values`` (infinity when there is none)."""
    # filter(None, ...) drops the zeros: the whole scan runs in C.
    return min(filter(None, map(abs, values)), default=math.inf)


def admitted(values: Sequence[Value], low: Value, high: Value) -> float | None:
    """When the exact arithmetic of this module holds for ``values`` (whose min and max are given),
    their smallest nonzero magnitude (infinity when all are 0); None when it does not."""
    if low < -_HUGE or high > _HUGE:
        return None
    # All of one sign (most series): the smallest magnitude is an end, with no scan.
    smallest = low if low > 0 else -high if high < 0 else _smallest(values)
    return smallest if smallest >= _TINY else None


def expansion(values: Sequence[Value], smallest: float | None = None) -> tuple[float, ...]:
    """The exact sum of ``values`` as doubles ``t1, t2, ...`` (largest first) whose real sum it is.

    ``t1 = fsum(values)`` is the correctly rounded sum; ``t2 = fsum(values + [-t1])`` the correctly
    rounded remainder, and so on until nothing remains: each term is below half an ulp of the one
    before, so a sum of doubles this module admits needs a handful at most (one or two usually).

    Every value, hence the sum and every term, is a multiple of ``q``, the ulp of the smallest
    nonzero magnitude (``smallest``, found when not given); what remains after a term ``t`` is at
    most half an ulp of ``t``, so once ``ulp(t) <= q`` nothing does: that saves the last pass.
    """
    quantum = math.ulp(_smallest(values) if smallest is None else smallest)
    rest = list(values)
    terms: list[float] = []
    while term := math.fsum(rest):
        terms.append(term)
        if math.ulp(term) <= quantum:
            break
        rest.append(-term)
    return tuple(terms)


def _pieces(mean: float, count: int) -> list[float]:
    """``mean`` as doubles of few enough significant bits that ``n * piece`` is exact for each
    (for every ``n <= count``): ``53 - bit_length(count)`` bits a piece."""
    bits = max(53 - count.bit_length(), 1)
    pieces: list[float] = []
    while mean:
        mantissa, exponent = math.frexp(mean)
        head = math.ldexp(math.trunc(math.ldexp(mantissa, bits)), exponent - bits)
        pieces.append(head)
        mean -= head  # exact: ``head`` is ``mean`` with its low bits cut
    return pieces


def _deviation(total: Iterable[float], count: int, pieces: Sequence[float]) -> float:
    """``sum / count - mean`` to within an ulp, from the exact ``total`` and the ``pieces`` of the mean
    (:func:`_pieces`, for a count at least this one): ``fsum`` of the exact terms of
    ``sum - count * mean`` (no cancellation is left to rounding), then one division."""
    return math.fsum(chain(total, [-count * piece for piece in pieces])) / count


def partial_of(grain: int, stamps: Sequence[int], values: Sequence[Value]) -> Partial:
    """The partial of points in time order (at least one); ``grain`` labels it."""
    n = len(values)
    low, high = min(values), max(values)
    smallest = admitted(values, low, high)
    if smallest is None:
        return Partial(grain, n, low, high, (), None, stamps[0], stamps[-1])
    total = expansion(values, smallest)
    mean = math.fsum(total) / n
    # ``spread`` squares about the rounded mean: take away what the rounding added.
    rounded_ss = spread(values, mean)[0]
    offset = _deviation(total, n, _pieces(mean, n))
    return Partial(grain, n, low, high, total, _without_offset(rounded_ss, n, offset), stamps[0], stamps[-1])


def _without_offset(ss: float, count: int, offset: float) -> float:
    """The squares about the exact mean, from those about a mean ``offset`` away from it."""
    return max(ss - count * offset * offset, 0.0)


def merge(parts: Sequence[Partial]) -> Partial:
    """The partial of the union of the points of ``parts`` (disjoint sets, any order; at least one)."""
    if len(parts) == 1:
        return parts[0]
    count = sum(p.count for p in parts)
    low, high = min(p.low for p in parts), max(p.high for p in parts)
    grain, first, last = min(p.grain for p in parts), min(p.first for p in parts), max(p.last for p in parts)
    if not all(p.exact for p in parts):
        return Partial(grain, count, low, high, (), None, first, last)
    total = expansion([term for p in parts for term in p.total])
    mean = math.fsum(total) / count
    # Chan's rule about the rounded mean (every term >= 0), then without that mean's own offset.
    pieces = _pieces(mean, count)  # one cut of the mean serves every part: each count is <= the total
    between = [p.count * _deviation(p.total, p.count, pieces) ** 2 for p in parts]
    rounded_ss = math.fsum(chain((p.m2 or 0.0 for p in parts), between))
    m2 = _without_offset(rounded_ss, count, _deviation(total, count, pieces))
    return Partial(grain, count, low, high, total, m2, first, last)


def _rounded_ss(part: Partial) -> float:
    """``ss`` as the raw path defines it: the squares about the rounded mean."""
    assert part.m2 is not None
    mean = math.fsum(part.total) / part.count
    offset = _deviation(part.total, part.count, _pieces(mean, part.count))
    return part.m2 + part.count * offset * offset


def _stddev(ss: float, count: int) -> float:
    return 0.0 if count < 2 else math.sqrt(ss) / math.sqrt(count - 1)


def fold_partials(function: Function, parts: Sequence[Partial]) -> Value | None:
    """One bucket's value from the partials of all its points, as ``rollups.fold`` gives it from the
    values; None when the function needs exact partials and one is raw only (fold the raw points)."""
    # List comprehensions, not generators: this runs once per bucket, 8,760 times for a year hourly.
    if function is Function.COUNT:
        return sum([p.count for p in parts])
    if function is Function.MIN:
        return float(min([p.low for p in parts]))
    if function is Function.MAX:
        return float(max([p.high for p in parts]))
    if None in [p.m2 for p in parts]:  # a raw-only part
        return None
    if function is Function.SUM:
        return math.fsum([term for p in parts for term in p.total])
    if function is Function.MEAN or function is Function.AVG:
        return math.fsum([term for p in parts for term in p.total]) / sum([p.count for p in parts])
    ss = _rounded_ss(merge(parts))
    return ss if function is Function.SS else _stddev(ss, sum([p.count for p in parts]))


def summary_of(part: Partial) -> dict[str, Value] | None:
    """``rollups.summarize`` from an exact partial (None for a raw-only one), same keys, same order."""
    if not part.exact:
        return None
    total = math.fsum(part.total)
    ss = _rounded_ss(part)
    return {
        "sum": total,
        "mean": total / part.count,
        "max": float(part.high),
        "min": float(part.low),
        "stddev": _stddev(ss, part.count),
        "ss": ss,
        "count": part.count,
    }


def partials_of(stamps: Sequence[int], values: Sequence[Value]) -> list[Partial]:
    """The partial of every grain of points in time order."""
    out: list[Partial] = []
    i, n = 0, len(stamps)
    while i < n:
        grain = floor_grain(stamps[i])
        j = bisect_left(stamps, grain + GRAIN_MS, i)
        out.append(partial_of(grain, stamps[i:j], values[i:j]))
        i = j
    return out


class GrainFolder:
    """Partials of points fed in time order, chunk by chunk: memory follows the grains, not the points.

    The last grain of a chunk may go on in the next one, so its points wait until it is complete.
    """

    def __init__(self) -> None:
        self.parts: list[Partial] = []
        self._stamps: list[int] = []
        self._values: list[Value] = []

    def feed(self, stamps: Sequence[int], values: Sequence[Value]) -> None:
        if not stamps:
            return
        self._stamps += stamps
        self._values += values
        split = bisect_left(self._stamps, floor_grain(self._stamps[-1]))
        if split:
            self.parts += partials_of(self._stamps[:split], self._values[:split])
            del self._stamps[:split], self._values[:split]

    def finish(self) -> list[Partial]:
        self.parts += partials_of(self._stamps, self._values)
        self._stamps, self._values = [], []
        return self.parts
