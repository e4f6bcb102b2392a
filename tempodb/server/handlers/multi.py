"""Multi writes: points for many series and timestamps in one body, each item judged on its own;
the good ones are written and a 207 lists what was wrong with the others (docs/protocol.md §6.10).

The cost of an answer is bounded whatever the body holds: a 207 carries one status per item, so a
small gzip body of many tiny bad items (``[1,1,1,...]``) could otherwise ask for an answer thousands
of times its size.  A body of more than :data:`MAX_ITEMS` items is refused (413) before any is
judged, and one with more than :data:`MAX_REFUSED` bad items is refused whole (400, nothing written,
the first problems named) instead of answered item by item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tempodb._wire.http import Response
from tempodb._wire.keys import SeriesRef
from tempodb.server import codec
from tempodb.server.codec import multistatus_response
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.handlers._writes import apply_each
from tempodb.server.storage import Point
from tempodb.server.validation import item_checker, problem_text

__all__ = ["MAX_ITEMS", "MAX_REFUSED", "write_multi"]

#: Items one multi request may hold (ten times the client's default chunk of 10,000).
MAX_ITEMS = 100_000
#: Bad items a 207 lists; with more, the request is refused whole with 400.
MAX_REFUSED = 1_000
_NAMED = 3  # problems quoted in that 400


def write_multi(ctx: Context, *, increment: bool = False) -> Response:
    body = ctx.body_bytes()
    # The common body (every item plainly valid) takes the typed fast path, which groups as it
    # reads; any other is judged item by item, which also names each problem.
    plain = codec.plain_series_points(body, ctx.naive_zone, increment=increment)
    grouped: dict[SeriesRef, list[Point]]
    item_refs: Callable[[], Sequence[SeriesRef | None]]
    statuses: list[list[str]]  # empty while every item is good
    if plain is not None:
        _check_size(len(plain))
        grouped, item_refs, statuses = plain.grouped, plain.item_refs, []
    else:
        refs, points, statuses = _judged(ctx, codec.decode_json(body), increment=increment)
        grouped = {}
        for ref, point in zip(refs, points, strict=True):
            if ref is not None:
                grouped.setdefault(ref, []).append(point)
        item_refs = lambda: refs  # noqa: E731
    if not grouped:
        return multistatus_response(statuses) if any(statuses) else Response(200)

    def answer(refused_series: dict[SeriesRef, str]) -> Response:
        # The store may still refuse a series (an unknown id equal to another series' key): only its
        # items.  Built before each try of the write, so the answer can be kept with it (idempotency).
        final = statuses
        if refused_series:
            each = item_refs()
            final = [
                [refused_series[ref]] if ref is not None and ref in refused_series else (statuses[i] if statuses else [])
                for i, ref in enumerate(each)
            ]
        return multistatus_response(final) if any(final) else Response(200)

    return apply_each(ctx, grouped, increment=increment, answer=answer)


def _check_size(items: int) -> None:
    if items > MAX_ITEMS:
        fail(413, f"the body holds {items} items, over the limit of {MAX_ITEMS} per request; send fewer points per request")


def _judged(ctx: Context, body: Any, *, increment: bool) -> tuple[list[SeriesRef | None], list[Point], list[list[str]]]:
    """Each item's series (None for a refused one), point and problems (none: it is good), item by
    item; a body with more than :data:`MAX_REFUSED` bad items is refused whole."""
    if not isinstance(body, list):
        fail(400, 'the body must be a JSON array such as [{"t": "2012-01-01T00:00:00.000Z", "key": "k", "v": 1}]')
    _check_size(len(body))
    check = item_checker(increment=increment, naive_zone=ctx.naive_zone, now=ctx.now_ms(), by_series=True)
    refs: list[SeriesRef | None] = []
    points: list[Point] = []
    statuses: list[list[str]] = []
    refused: list[str] = []
    for index, item in enumerate(body):
        checked = check(item)
        if isinstance(checked, list):
            refused.append(problem_text(f"item {index}", checked))
            if len(refused) > MAX_REFUSED:
                _refuse_all(refused, len(body))
            refs.append(None)
            points.append((0, 0))  # a placeholder: a refused item's point is never written
            statuses.append(checked)
            continue
        refs.append(checked[0])
        points.append(checked[1])
        statuses.append([])
    return refs, points, statuses


def _refuse_all(refused: list[str], total: int) -> None:
    first = "; ".join(refused[:_NAMED])
    fail(
        400,
        f"more than {MAX_REFUSED} of the {total} items are invalid, so nothing was written "
        f"(a 207 lists at most {MAX_REFUSED}); first: {first}; fix the items, or send fewer points per request",
    )
