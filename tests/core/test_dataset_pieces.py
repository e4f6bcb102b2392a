"""Reading a data set piece by piece (as the httpx transport receives it) gives what reading the
joined body gives, for any cut of any body: our server's layout, other layouts, the lenient
timestamp forms, ``null`` values, and broken bodies (a ResponseError either way)."""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempodb._core.errors import ResponseError
from tempodb._core.models import DataSet
from tempodb._core.protocol import parse_answer, parse_dataset, parse_dataset_pieces
from tempodb._wire.endpoints import Answer
from tempodb._wire.http import ChunkedResponse

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def stamp(ms: int, form: str) -> str:
    moment = EPOCH + timedelta(milliseconds=ms)
    if form == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    local = moment.astimezone(timezone(timedelta(hours=-8)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}"
    return text + ("-0800" if form == "-0800" else "-08:00" if form == "-08:00" else "")  # "" : naive


point = st.fixed_dictionaries(
    {
        "t": st.builds(stamp, st.integers(0, 4_000_000_000_000), st.sampled_from(["Z", "Z", "Z", "-0800", "-08:00", ""])),
        "v": st.one_of(st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), st.none()),
    }
)


def body_of(points: list[dict[str, Any]], spaced: bool) -> bytes:
    found = {
        "series": {"id": "i", "key": "k", "name": "", "attributes": {"data": "x"}, "tags": ["data"]},
        "start": "2012-01-01T00:00:00.000Z",
        "end": "2012-01-02T00:00:00.000Z",
        "data": points,
        "rollup": None,
        "summary": {"count": len(points), "sum": 1.5},
    }
    if spaced:
        return json.dumps(found, indent=1).encode()
    return json.dumps(found, separators=(",", ":")).encode()


def cut(body: bytes, at: list[int]) -> list[bytes]:
    edges = [0, *sorted({min(a, len(body)) for a in at}), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


def outcome(read: Any) -> Any:
    try:
        found: DataSet = read()
    except ResponseError as exc:
        return ResponseError, "could not be read" in str(exc) or "unreadable" in str(exc) or "malformed" in str(exc)
    return (
        found.series, found.start, found.end, found.rollup, found.summary,
        [(p.ts, p.ts.utcoffset(), type(p.value), repr(p.value)) for p in found.data],
    )  # fmt: skip


@given(st.lists(point, max_size=30), st.booleans(), st.lists(st.integers(0, 3000), max_size=12))
def test_pieces_read_as_the_joined_body(points: list[dict[str, Any]], spaced: bool, at: list[int]) -> None:
    body = body_of(points, spaced)
    assert outcome(lambda: parse_dataset_pieces(cut(body, at))) == outcome(lambda: parse_dataset(body))


@given(st.lists(point, min_size=1, max_size=30), st.lists(st.integers(0, 3000), max_size=12), st.data())
def test_broken_bodies_fail_alike(points: list[dict[str, Any]], at: list[int], data: st.DataObject) -> None:
    body = body_of(points, False)
    body = body[: data.draw(st.integers(0, len(body) - 1))]
    assert outcome(lambda: parse_dataset_pieces(cut(body, at)))[0] is ResponseError
    assert outcome(lambda: parse_dataset(body))[0] is ResponseError


def test_the_pieces_are_freed_and_the_body_is_then_gone() -> None:
    body = body_of([{"t": stamp(i * 1000, "Z"), "v": i} for i in range(2000)], False)
    response = ChunkedResponse(200, {}, chunks=cut(body, list(range(0, len(body), 4096))), size=len(body))
    assert response.body == body
    found = parse_answer(Answer.DATASET, response)
    assert len(found.data) == 2000 and not math.isnan(found.data[-1].value)
    assert response.chunks == []
    with pytest.raises(RuntimeError, match="taken"):
        _ = response.body
