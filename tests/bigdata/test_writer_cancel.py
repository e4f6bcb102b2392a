"""Writers and cancellation (asyncio and trio), a flush interrupted mid-request, and abandoned writers."""

from __future__ import annotations

import gc
import warnings
from datetime import datetime, timezone

import anyio
import pytest

import tempodb
import tempodb.aio
from tempodb import Request, Response
from tempodb.server.local import AsyncLocalTransport

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class SlowTransport:
    """The embedded engine, reached only after ``delay`` seconds (so a request can be cancelled)."""

    def __init__(self, delay: float) -> None:
        self.inner = AsyncLocalTransport.open()
        self.delay = delay
        self.sent: list[Request] = []

    async def send(self, request: Request) -> Response:
        self.sent.append(request)
        await anyio.sleep(self.delay)
        return await self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_cancelled_scope_keeps_points_and_warns() -> None:
    async with tempodb.aio.Client.local() as client:
        with anyio.move_on_after(0.05) as scope, pytest.warns(UserWarning, match="3 points were not delivered"):
            async with client.writer(flush_interval=60) as w:
                for i in range(3):
                    await w.write(T0, i, key="c")
                await anyio.sleep(5)
        assert scope.cancelled_caught
        assert w.undelivered is not None and [p.item.v for p in w.undelivered.points] == [0, 1, 2]
        assert await client.get_series(keys=["c"]) == []  # nothing was sent


@pytest.mark.anyio
async def test_cancel_mid_flush_requeues_writes_and_flags_increments() -> None:
    transport = SlowTransport(delay=10)
    client = tempodb.aio.Client("k", "s", "localhost", 80, False, transport=transport)
    with anyio.move_on_after(0.1), pytest.warns(UserWarning):
        async with client.writer(max_points=4) as w:
            await w.write(T0, 1, key="w")
            await w.write(T0, 2, key="w2")
            await w.increment(T0, 3, key="i")
            await w.increment(T0, 4, key="i2")  # due: the flush starts, and is cancelled in flight
    assert len(transport.sent) == 1  # the writes' request was in flight
    error = w.undelivered
    assert error is not None
    assert [p.item.v for p in error.points] == [1, 2, 3, 4]  # writes in flight: safe to resend
    assert error.uncertain == []
    await transport.aclose()

    transport = SlowTransport(delay=10)
    client = tempodb.aio.Client("k", "s", "localhost", 80, False, transport=transport)
    with anyio.move_on_after(0.1), pytest.warns(UserWarning):
        async with client.writer(max_points=2) as w:
            await w.increment(T0, 3, key="i")
            await w.increment(T0, 4, key="i2")
    error = w.undelivered
    assert error is not None and error.points == []
    assert [p.item.v for p in error.uncertain] == [3, 4]  # may have landed: never resent
    await transport.aclose()


@pytest.mark.anyio
async def test_timer_task_does_not_outlive_the_block() -> None:
    async with tempodb.aio.Client.local() as client:
        async with client.writer(flush_interval=0.01) as w:
            await w.write(T0, 1, key="t")
            await anyio.sleep(0.05)
        assert w._timer.group is None
        assert w.stats.sent == 1


def test_abandoned_sync_writer_warns_with_its_count() -> None:
    client = tempodb.Client.local()
    w = client.writer()
    w.write(T0, 1, key="lost")
    w.write(T0, 2, key="lost")
    with pytest.warns(UserWarning, match="2 points were not delivered"):
        del w
        gc.collect()
    client.close()


def test_sync_timer_thread_is_joined_on_close() -> None:
    with tempodb.Client.local() as client:
        w = client.writer(flush_interval=0.01)
        assert w._timer.thread is not None and w._timer.thread.is_alive()
        w.write(T0, 1, key="x")
        w.close()
        assert not w._timer.thread.is_alive()
        assert w.stats.sent == 1


def test_keyboard_interrupt_sends_nothing_more() -> None:
    with tempodb.Client.local() as client:
        with warnings.catch_warnings(record=True) as seen, pytest.raises(KeyboardInterrupt):
            warnings.simplefilter("always")
            with client.writer() as w:
                w.write(T0, 1, key="k")
                raise KeyboardInterrupt
        assert any("1 points were not delivered" in str(x.message) for x in seen)
        assert w.undelivered is not None and len(w.undelivered.points) == 1
        assert client.get_series(keys=["k"]) == []


def test_writer_options_are_validated() -> None:
    with tempodb.Client.local() as client:
        for bad in ({"max_points": 0}, {"on_full": "drop"}, {"max_points": 10, "max_buffer": 5}, {"flush_interval": -1}):
            with pytest.raises(tempodb.InvalidInputError):
                client.writer(**bad)  # type: ignore[arg-type]
