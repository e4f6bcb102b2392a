"""The laws of the partials' arithmetic (``tempodb.server.partials``), against the raw path and exact fractions.

- an expansion is the exact sum (checked with ``Fraction``);
- however points are cut into partials and merged, the summary and every fold equal the raw path's
  (``rollups.summarize`` / ``rollups.fold``): count, min, max, sum and mean bit for bit, ``ss`` and
  ``stddev`` within 1e-12 relative (plus the raw path's own rounding floor, see :func:`close_spread`);
- values the exact arithmetic cannot hold make raw-only partials, whose count, min and max still hold.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import pairwise

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tempodb._wire.intervals import Function
from tempodb.server.partials import (
    GrainFolder,
    admitted,
    expansion,
    fold_partials,
    merge,
    partial_of,
    partials_of,
    summary_of,
)
from tempodb.server.rollups import fold, summarize
from tempodb.server.storage import GRAIN_MS, Value

# Ordinary values, the exact arithmetic's extremes, cancellations, and what is beyond it (huge
# near the float maximum, subnormal tiny): the last make raw-only partials.
ordinary = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([1e16, 1.0, -1e16, 0.1, 0.0, -0.0, 3.0, 2.0**-399, 2.0**479]),
)
extreme = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.7e308, -1.7e308, 5e-324, 2.0**-401, 2.0**481]),
)
values_strategy = st.lists(st.one_of(ordinary, ordinary, ordinary, extreme), min_size=1, max_size=60)


def close_spread(got: float, want: float, values: list[Value]) -> bool:
    """``ss``/``stddev`` agreement: 1e-12 relative, or within the floor below which the raw path's own
    figure is rounding (it squares about the rounded mean: ``n * ulp(max |v|) ** 2``)."""
    if got == want or math.isinf(want) or math.isinf(got):
        return got == want
    try:
        floor = len(values) * math.ulp(max(abs(float(v)) for v in values)) ** 2
    except OverflowError:  # values past the exact arithmetic's range: its answers are the raw path's
        floor = 0.0
    return abs(got - want) <= 1e-12 * abs(want) + 4 * floor


def _cut(values: list[Value], cuts: list[int]) -> list[list[Value]]:
    edges = sorted({c % (len(values) + 1) for c in cuts} | {0, len(values)})
    return [values[a:b] for a, b in pairwise(edges) if a < b]


@settings(max_examples=400, deadline=None)
@given(values=st.lists(ordinary, min_size=1, max_size=60))
def test_an_expansion_is_the_exact_sum(values: list[Value]) -> None:
    # Only admitted values get an expansion: past 2**480 the sum could leave the float range.
    assume(admitted(values, min(values), max(values)) is not None)
    terms = expansion(values)
    assert sum(map(Fraction, terms), Fraction(0)) == sum((Fraction(float(v)) for v in values), Fraction(0))
    assert math.fsum(terms) == math.fsum(values)
    assert all(abs(b) < abs(a) for a, b in pairwise(terms))


@settings(max_examples=400, deadline=None)
@given(values=values_strategy, cuts=st.lists(st.integers(0, 100), max_size=6))
def test_merged_partials_summarize_as_the_raw_values(values: list[Value], cuts: list[int]) -> None:
    parts = [partial_of(0, list(range(len(piece))), piece) for piece in _cut(values, cuts)]
    merged = merge(parts)
    assert (merged.count, merged.low, merged.high) == (len(values), min(values), max(values))
    raw = summarize(values)
    ours = summary_of(merged)
    if admitted(values, min(values), max(values)) is None:
        assert ours is None and not merged.exact
        return
    assert ours is not None
    assert list(ours) == list(raw)
    for name in ("sum", "mean", "max", "min", "count"):
        assert ours[name] == raw[name], name
    for name in ("ss", "stddev"):
        assert close_spread(ours[name], raw[name], values), (name, ours[name], raw[name])


@settings(max_examples=400, deadline=None)
@given(values=values_strategy, cuts=st.lists(st.integers(0, 100), max_size=6), function=st.sampled_from(list(Function)))
def test_folds_from_partials_are_the_raw_folds(values: list[Value], cuts: list[int], function: Function) -> None:
    parts = [partial_of(0, list(range(len(piece))), piece) for piece in _cut(values, cuts)]
    got = fold_partials(function, parts)
    want = fold(function, values)
    if got is None:  # only where a raw-only partial meets a function that needs exact sums
        assert function not in (Function.COUNT, Function.MIN, Function.MAX)
        assert not all(p.exact for p in parts)
        return
    if function in (Function.SS, Function.STDDEV):
        assert close_spread(float(got), float(want), values), (got, want)
    else:
        assert got == want and type(got) is type(want)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(ordinary, min_size=1, max_size=40), order=st.randoms(use_true_random=False))
def test_merge_is_associative_and_commutative(values: list[Value], order: object) -> None:
    parts = [partial_of(0, [0], [v]) for v in values]
    flat = merge(parts)
    shuffled = list(parts)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    half = len(shuffled) // 2
    nested = merge([merge(shuffled[:half]), merge(shuffled[half:])]) if half else merge(shuffled)
    assert (nested.count, nested.low, nested.high) == (flat.count, flat.low, flat.high)
    assert math.fsum(nested.total) == math.fsum(flat.total)
    a, b = summary_of(nested), summary_of(flat)
    assume(a is not None and b is not None)
    assert a is not None and b is not None
    assert close_spread(a["ss"], b["ss"], values)


def test_cancellation_keeps_the_small_values() -> None:
    values: list[Value] = [1e16, 1.0, -1e16, 1.0, 2.0]
    parts = [partial_of(0, [0], [v]) for v in values]
    summary = summary_of(merge(parts))
    assert summary is not None
    assert summary["sum"] == 4.0 == summarize(values)["sum"]
    assert close_spread(summary["ss"], summarize(values)["ss"], values)


def test_a_raw_only_partial_still_counts_and_bounds() -> None:
    part = partial_of(0, [1, 2, 3], [1.0, 1.7e308, 5e-324])
    assert not part.exact and part.total == () and part.m2 is None
    assert (part.count, part.low, part.high, part.first, part.last) == (3, 5e-324, 1.7e308, 1, 3)
    assert fold_partials(Function.MAX, [part]) == 1.7e308
    assert fold_partials(Function.SUM, [part]) is None
    assert summary_of(part) is None


@settings(max_examples=100, deadline=None)
@given(
    stamps=st.lists(st.integers(0, 10 * GRAIN_MS), min_size=1, max_size=80, unique=True),
    chunk=st.integers(1, 30),
    data=st.data(),
)
def test_grains_folded_chunk_by_chunk_are_the_grains_of_the_whole(stamps: list[int], chunk: int, data: st.DataObject) -> None:
    stamps.sort()
    values = data.draw(st.lists(ordinary, min_size=len(stamps), max_size=len(stamps)))
    folder = GrainFolder()
    for low in range(0, len(stamps), chunk):
        folder.feed(stamps[low : low + chunk], values[low : low + chunk])
    assert folder.finish() == partials_of(stamps, values)
    assert [p.grain for p in partials_of(stamps, values)] == sorted({t - t % GRAIN_MS for t in stamps})
