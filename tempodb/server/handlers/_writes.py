"""Checked points into the store: the last step of every write handler."""

from __future__ import annotations

from collections.abc import Callable

from tempodb._wire.http import Response
from tempodb._wire.keys import SeriesRef
from tempodb.server.context import Context
from tempodb.server.edge import fail
from tempodb.server.storage import Point, PointBatch, SeriesExistsError, SeriesNotFoundError

__all__ = ["apply", "apply_each", "batches"]


def apply(ctx: Context, batches: list[PointBatch], *, increment: bool) -> Response:
    """Write (or add) every batch in one transaction; an unknown id is 403, a taken key 409.

    The answer (200) is kept with the write when the request carries an idempotency key."""
    done = Response(200)
    try:
        ctx.store.write_points(ctx.database, batches, increment=increment, remember=ctx.remember(done))
    except SeriesNotFoundError:
        fail(403)
    except SeriesExistsError as exc:
        fail(409, str(exc))
    return done


def batches(grouped: dict[SeriesRef, list[Point]]) -> list[PointBatch]:
    """One batch per series reference; missing series are created."""
    return [PointBatch(points, ref, create=True) for ref, points in grouped.items()]


def _uncreatable(ref: SeriesRef) -> str:
    return (
        f"Series id {ref.value} does not exist and cannot be created: its key {ref.value} belongs to "
        "another series; name that series by key, or use its id"
    )


def apply_each(
    ctx: Context,
    grouped: dict[SeriesRef, list[Point]],
    *,
    increment: bool,
    answer: Callable[[dict[SeriesRef, str]], Response],
) -> Response:
    """Write the multi write's groups, refusing only the series that cannot be created.

    An unknown id creates a series with key = id (docs/protocol.md §9.2); where that key is taken,
    that id's items are refused and the others written.  The answer is ``answer(refused)`` (series
    -> reason), built before each try so it can be kept with the write (idempotency keys).  The write
    itself finds such an id (it rolls back whole), and is tried again without it: no query is
    spent on the common case, where every series can be written.
    """
    refused: dict[SeriesRef, str] = {}
    for _ in range(len(grouped) + 1):
        todo = {ref: points for ref, points in grouped.items() if ref not in refused}
        if not todo:
            break
        response = answer(refused)
        try:
            ctx.store.write_points(ctx.database, batches(todo), increment=increment, remember=ctx.remember(response))
            return response
        except SeriesExistsError as exc:
            clash = SeriesRef("id", exc.key)
            if clash not in todo:  # not an id's key = id creation: the old whole-request answer
                fail(409, str(exc))
            refused[clash] = _uncreatable(clash)
        except SeriesNotFoundError:
            fail(403)
    return answer(refused)  # every series refused: nothing to write
