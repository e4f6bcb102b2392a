"""The writer's one-step path for the common point (``WriterCore.queue``) and its batches
(``write_multi`` / ``increment_multi``): the same decisions as the careful way, the same bounds."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tempodb
from tempodb import BufferFullError, InvalidInputError
from tempodb._core.protocol import check_multi
from tempodb._core.writer import BufferedPoint, WriterCore
from tempodb.testing import run_server

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)

kinds = st.sampled_from(["write", "increment", "Write", "delete"])
keys = st.one_of(st.text(max_size=6), st.none(), st.integers(), st.just(""), st.just("a\x00b"), st.just("\x85"))
ids = st.one_of(st.none(), st.none(), st.text(max_size=3))
values = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=3),
)
zones = st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-6)), timezone(timedelta(hours=14))])
times = st.one_of(
    st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), zones),
    st.dates(), st.none(), st.text(max_size=3),
)


def careful(kind: Any, ts: Any, value: Any, key: Any, series_id: Any) -> BufferedPoint | str:
    """What the full checks make of a point: the rules ``point`` had before its fast path."""
    if kind not in ("write", "increment") or (key is not None and series_id is not None):
        return "refused"
    try:
        return BufferedPoint(kind, check_multi(({"t": ts, "v": value, "key": key, "id": series_id},))[0])
    except InvalidInputError:
        return "refused"


def queued(core: WriterCore, kind: Any, ts: Any, value: Any, key: Any, series_id: Any) -> BufferedPoint | str | None:
    """What ``queue`` made of a point (None: it sent the caller the careful way)."""
    if core.queue(kind, ts, value, key, series_id) is None:
        return None
    return core.pending[-1]


@given(kinds, times, values, keys, ids)
def test_point_and_queue_decide_as_the_full_check(kind: Any, ts: Any, value: Any, key: Any, series_id: Any) -> None:
    want = careful(kind, ts, value, key, series_id)
    try:
        got: BufferedPoint | str = WriterCore.point(kind, ts, value, key, series_id)
    except InvalidInputError:
        got = "refused"
    assert got == want
    # queue takes only what the full check accepts, and queues exactly what it would.
    fast = queued(WriterCore(), kind, ts, value, key, series_id)
    assert fast is None or fast == want


def test_the_common_point_is_queued_in_one_step_and_others_are_not() -> None:
    core = WriterCore(max_points=2, max_buffer=3)
    assert core.queue("write", T0, 1.5, "a", None) is False
    assert core.queue("increment", T0, 2, "a", None) is True  # max_points reached: a flush is due
    assert [(p.kind, p.item.v) for p in core.pending] == [("write", 1.5), ("increment", 2)]
    assert core.stats.queued == 2
    for odd in (("write", T0, 1, None, "an-id"), ("write", T0, math.nan, "a", None), ("write", date(2012, 1, 1), 1, "a", None),
                ("write", T0, True, "a", None), ("write", T0.replace(tzinfo=None), 1, "a", None)):
        assert core.queue(*odd) is None  # the careful way decides (and may accept: an id, a date)
    assert core.queue("write", T0, 3, "a", None) is True  # still due: nobody flushed
    assert core.full
    assert core.queue("write", T0, 4, "a", None) is None  # full: nothing queued
    assert len(core) == 3
    core.close()
    assert core.queue("write", T0, 5, "a", None) is None  # closed


def test_add_takes_what_fits_then_refuses_the_rest() -> None:
    core = WriterCore(max_points=2, max_buffer=3)
    with pytest.raises(BufferFullError):
        core.add([WriterCore.point("write", T0 + timedelta(seconds=i), i, key="a") for i in range(5)])
    assert [p.item.v for p in core.pending] == [0, 1, 2]
    with pytest.raises(InvalidInputError, match="expected a BufferedPoint"):
        WriterCore(max_points=2).add([WriterCore.point("write", T0, 1, key="a"), "not a point"])  # type: ignore[list-item]


class Counting:
    """The embedded transport, counting requests and their points (multi bodies are JSON lists)."""

    def __init__(self, path: str) -> None:
        from tempodb.server.local import LocalTransport

        self.inner = LocalTransport.open(path)
        self.sizes: list[tuple[str, int]] = []

    def send(self, request: Any) -> Any:
        if "/multi/" in request.url:
            import msgspec

            self.sizes.append((request.url.split("/v1/")[1], len(msgspec.json.decode(request.body))))
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()


def test_write_multi_batches_go_out_in_flushes_of_max_points(tmp_path: Any) -> None:
    transport = Counting(str(tmp_path / "w.db"))
    items = [{"key": f"s{i % 3}", "t": T0 + timedelta(seconds=i), "v": i} for i in range(250)]
    with tempodb.Client("k", "s", "localhost", 80, False, transport=transport, gzip_threshold=None) as client:
        with client.writer(max_points=100) as w:
            w.write_multi(items[:130])
            w.increment_multi([{"key": "counter", "t": T0, "v": 1}] * 3)
            w.write_multi(items[130:])
            assert w.stats.queued == 253
        # Three flushes of 100, 100 and 53 points; the second one request per kind.
        assert transport.sizes == [("multi/", 100), ("multi/", 97), ("multi/increment/", 3), ("multi/", 53)]
        got = client.read_key("s0", T0, T0 + timedelta(hours=1), interval="raw").data
        assert [p.value for p in got] == list(range(0, 250, 3))
        assert [p.value for p in client.read_key("counter", T0, T0 + timedelta(seconds=1), interval="raw").data] == [3]


def test_a_bad_item_refuses_the_whole_batch(tmp_path: Any) -> None:
    with tempodb.Client.local(str(tmp_path / "w.db")) as client, client.writer() as w:
        with pytest.raises(InvalidInputError, match="item 1"):
            w.write_multi([{"key": "a", "t": T0, "v": 1}, {"key": "a", "t": T0, "v": math.inf}])
        assert w.pending == []


@pytest.mark.anyio
async def test_write_multi_respects_max_buffer_when_the_server_is_gone(connect: Callable[..., Any], tmp_path: Any) -> None:
    # Every flush fails, so a batch may fill the buffer but never pass it; nothing is lost.
    with run_server(tmp_path / "gone") as server:
        server.stop()
        client = connect("k", "s", server.info, retry=False)
    w = client.writer(max_points=10, max_buffer=25, on_full="raise")
    with pytest.raises(BufferFullError):
        await w.write_multi([{"key": "a", "t": T0 + timedelta(seconds=i), "v": i} for i in range(40)])
    assert [p.item.v for p in w.pending] == list(range(25))
    with pytest.raises(tempodb.UndeliveredError) as caught:
        await w.aclose()
    assert len(caught.value.points) == 25
    await client.aclose()
