"""Multi writes: points for many series and timestamps in one body, each item judged on its own;
the good ones are written and a 207 lists what was wrong with the others (docs/protocol.md §6.10)."""

from __future__ import annotations

from tempodb._wire.http import Response
from tempodb._wire.keys import SeriesRef
from tempodb.server.codec import multistatus_response
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.handlers._writes import apply_each
from tempodb.server.storage import Point
from tempodb.server.validation import item_checker

__all__ = ["write_multi"]


def write_multi(ctx: Context, *, increment: bool = False) -> Response:
    body = ctx.body_json()
    if not isinstance(body, list):
        fail(400, 'the body must be a JSON array such as [{"t": "2012-01-01T00:00:00.000Z", "key": "k", "v": 1}]')
    check = item_checker(increment=increment, naive_zone=ctx.naive_zone, now=ctx.now_ms(), by_series=True)
    statuses: list[list[str]] = []
    grouped: dict[SeriesRef, list[Point]] = {}
    refs: list[SeriesRef | None] = []
    for item in body:
        checked = check(item)
        if isinstance(checked, list):
            statuses.append(checked)
            refs.append(None)
            continue
        ref, point = checked
        grouped.setdefault(ref, []).append(point)  # type: ignore[arg-type]  # by_series: never None
        statuses.append([])
        refs.append(ref)
    refused = apply_each(ctx, grouped, increment=increment) if grouped else {}
    for index, ref in enumerate(refs):
        if ref is not None and ref in refused:
            statuses[index] = [refused[ref]]
    if not any(statuses):
        return Response(200)
    return multistatus_response(statuses)
