"""The batching writer against a real server, on the sync client, asyncio and trio."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

import tempodb
from tempodb import BufferFullError, InvalidInputError, UndeliveredError

pytestmark = pytest.mark.anyio

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)


async def read_all(client: Any, key: str) -> dict[datetime, float]:
    data = await client.read_key(key, T0, T0 + DAY, interval="raw")
    return {p.ts: p.value for p in data.data}


def expected_after(ops: list[tuple[str, str, int, float]]) -> dict[str, dict[datetime, float]]:
    """What the server should hold after applying (kind, key, minute, value) in order."""
    out: dict[str, dict[datetime, float]] = {}
    for kind, key, minute, value in ops:
        series = out.setdefault(key, {})
        ts = T0 + timedelta(minutes=minute)
        series[ts] = value if kind == "write" else series.get(ts, 0) + value
    return out


async def test_many_series_interleaved_crossing_every_threshold(client: Any) -> None:
    rng = random.Random(7)
    keys = [f"series-{i}" for i in range(6)]
    ops = [
        (rng.choice(("write", "increment")), rng.choice(keys), rng.randrange(40), rng.randrange(-50, 50))
        for _ in range(700)
    ]
    async with client.writer(max_points=37, max_bytes=2_000, max_buffer=100) as w:
        sent_before = []
        for kind, key, minute, value in ops:
            await w.add(kind, T0 + timedelta(minutes=minute), value, key=key)
            sent_before.append(w.stats.sent)
        # Size flushes happened along the way (max_bytes ~ 25 points here, max_points 37).
        assert 0 < sent_before[100] < 100
        assert len(w.pending) < 37
    assert w.stats.queued == w.stats.sent == 700
    assert (w.stats.retried, w.stats.failed) == (0, 0)
    want = expected_after(ops)
    for key in keys:
        assert await read_all(client, key) == want.get(key, {})


async def test_flush_returns_acknowledged_and_refused(client: Any) -> None:
    async with client.writer(max_points=1000) as w:
        await w.write(T0, 1, key="ok")
        await w.write(T0, 2**70, key="too-big")  # passes the client, refused by the server (422)
        await w.increment(T0, 3, key="ok")
        result = await w.flush()
        assert result.acknowledged == 2
        assert [(r.point.item.key, r.status.status) for r in result.refused] == [("too-big", 422)]
        assert result.pending == 0 and not result.ok
        assert (await w.flush()).ok  # nothing left
    assert await read_all(client, "ok") == {T0: 4}


async def test_refusals_of_size_flushes_are_reported_on_exit(client: Any) -> None:
    with pytest.raises(UndeliveredError) as caught:
        async with client.writer(max_points=2) as w:
            await w.write(T0, 1, key="a")
            await w.write(T0, 2**70, key="b")  # flushed here, refused
            await w.write(T0 + DAY / 2, 5, key="a")
    assert caught.value.points == [] and caught.value.uncertain == []
    assert [r.point.item.v for r in caught.value.refused] == [2**70]
    assert await read_all(client, "a") == {T0: 1, T0 + DAY / 2: 5}


async def test_exception_in_block_still_flushes(client: Any) -> None:
    with pytest.raises(ZeroDivisionError):
        async with client.writer() as w:
            await w.write(T0, 1.5, key="x")
            1 / 0  # noqa: B018
    assert await read_all(client, "x") == {T0: 1.5}


async def test_bad_input_raises_at_the_call(client: Any) -> None:
    async with client.writer() as w:
        with pytest.raises(InvalidInputError):
            await w.write(T0, float("nan"), key="x")
        with pytest.raises(InvalidInputError):
            await w.write(T0, 1)  # no series
        assert w.pending == []


async def test_timer_flushes_in_the_background(client: Any) -> None:
    async with client.writer(flush_interval=0.05) as w:
        await w.write(T0, 1, key="timed")
        with anyio.fail_after(5):
            while w.stats.sent == 0:
                await anyio.sleep(0.02)
    assert await read_all(client, "timed") == {T0: 1}


async def test_closing_the_client_closes_its_writers(connect: Callable[..., Any], tempodb_credentials: Any) -> None:
    client = connect(*tempodb_credentials)
    w = client.writer()
    await w.write(T0, 9, key="closing")
    await client.aclose()
    with pytest.raises(InvalidInputError, match="closed"):
        await w.write(T0, 1, key="closing")
    fresh = connect(*tempodb_credentials)
    try:
        assert await read_all(fresh, "closing") == {T0: 9}
    finally:
        await fresh.aclose()


async def test_full_buffer_policies_when_the_server_is_gone(connect: Callable[..., Any], tmp_path: Any) -> None:
    with tempodb.testing.run_server(tmp_path) as server:
        info = server.info
    # The server is stopped: every flush fails to connect.
    client = connect("k", "s", info, retry=False)
    try:
        w = client.writer(max_points=5, max_buffer=10, on_full="raise")
        for i in range(10):
            await w.write(T0 + timedelta(seconds=i), i, key="gone")
        with pytest.raises(BufferFullError):
            await w.write(T0, 0, key="gone")
        blocking = client.writer(max_points=5, max_buffer=10, on_full="block")
        for i in range(10):
            await blocking.write(T0 + timedelta(seconds=i), i, key="gone")
        with pytest.raises(BufferFullError) as caught:
            await blocking.write(T0, 0, key="gone")
        assert isinstance(caught.value.__cause__, tempodb.ConnectError)
        assert w.stats.retried > 0 and len(w.pending) == 10
        with pytest.raises(UndeliveredError) as undelivered:
            await client.aclose()
        assert len(undelivered.value.points) == 10
    finally:
        for writer in (w, blocking):
            if writer.undelivered is None:
                with pytest.raises(UndeliveredError):
                    await writer.aclose()
