"""Multi writes: points for many series and timestamps in one body, each item judged on its own;
the good ones are written and a 207 lists what was wrong with the others (§6.10)."""

from __future__ import annotations

from tempodb._core._http import Response
from tempodb._core.errors import InvalidInputError
from tempodb.server.codec import MISSING, multistatus_response
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.handlers._writes import apply, batches
from tempodb.server.storage import Point
from tempodb.server.validation import NO_SERIES, NUMERIC, increment_amount, point_time, series_ref, value

__all__ = ["write_multi"]


def write_multi(ctx: Context, *, increment: bool = False) -> Response:
    body = ctx.body_json()
    if not isinstance(body, list):
        fail(400, 'the body must be a JSON array such as [{"t": "2012-01-01T00:00:00.000Z", "key": "k", "v": 1}]')
    now = ctx.now_ms()
    statuses: list[list[str]] = []
    grouped: dict[tuple[str, str], list[Point]] = {}
    for item in body:
        messages: list[str] = []
        if type(item) is not dict:
            statuses.append([NUMERIC, NO_SERIES])
            continue
        checked = value(item.get("v", MISSING))
        if checked is not None and increment:
            checked = increment_amount(checked)
        if checked is None:
            messages.append(NUMERIC)
        ref = series_ref(item)
        if ref is None:
            messages.append(NO_SERIES)
        ts = now
        try:
            ts = point_time(item.get("t"), ctx.naive_zone, now)
        except InvalidInputError as exc:
            messages.append(f"Must provide a valid timestamp: {exc}")
        if not messages and ref is not None and checked is not None:
            grouped.setdefault(ref, []).append((ts, checked))
        statuses.append(messages)
    if grouped:
        apply(ctx, batches(grouped), increment=increment)
    if not any(statuses):
        return Response(200)
    return multistatus_response(statuses)
