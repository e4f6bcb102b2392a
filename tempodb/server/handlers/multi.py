"""Multi writes: points for many series and timestamps in one body, each item judged on its own;
the good ones are written and a 207 lists what was wrong with the others (docs/protocol.md §6.10).

The cost of an answer is bounded whatever the body holds: a 207 carries one status per item, so a
small gzip body of many tiny bad items (``[1,1,1,...]``) could otherwise ask for an answer thousands
of times its size.  A body of more than :data:`MAX_ITEMS` items is refused (413) before any is
judged, and one with more than :data:`MAX_REFUSED` bad items is refused whole (400, nothing written,
the first problems named) instead of answered item by item.
"""

from __future__ import annotations

from tempodb._wire.http import Response
from tempodb._wire.keys import SeriesRef
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
    body = ctx.body_json()
    if not isinstance(body, list):
        fail(400, 'the body must be a JSON array such as [{"t": "2012-01-01T00:00:00.000Z", "key": "k", "v": 1}]')
    if len(body) > MAX_ITEMS:
        fail(413, f"the body holds {len(body)} items, over the limit of {MAX_ITEMS} per request; send fewer points per request")
    check = item_checker(increment=increment, naive_zone=ctx.naive_zone, now=ctx.now_ms(), by_series=True)
    statuses: list[list[str]] = []
    grouped: dict[SeriesRef, list[Point]] = {}
    refs: list[SeriesRef | None] = []  # each item's series, None for a refused item
    refused: list[str] = []
    for index, item in enumerate(body):
        checked = check(item)
        if isinstance(checked, list):
            refused.append(problem_text(f"item {index}", checked))
            if len(refused) > MAX_REFUSED:
                _refuse_all(refused, len(body))
            statuses.append(checked)
            refs.append(None)
            continue
        ref, point = checked
        grouped.setdefault(ref, []).append(point)  # type: ignore[arg-type]  # by_series: never None
        statuses.append([])
        refs.append(ref)
    if not grouped:
        return multistatus_response(statuses) if any(statuses) else Response(200)

    def answer(refused_series: dict[SeriesRef, str]) -> Response:
        # The store may still refuse a series (an unknown id equal to another series' key): only its items.
        final = [[refused_series[ref]] if ref is not None and ref in refused_series else problems
                 for ref, problems in zip(refs, statuses, strict=True)]
        return multistatus_response(final) if any(final) else Response(200)

    return apply_each(ctx, grouped, increment=increment, answer=answer)


def _refuse_all(refused: list[str], total: int) -> None:
    first = "; ".join(refused[:_NAMED])
    fail(
        400,
        f"more than {MAX_REFUSED} of the {total} items are invalid, so nothing was written "
        f"(a 207 lists at most {MAX_REFUSED}); first: {first}; fix the items, or send fewer points per request",
    )
