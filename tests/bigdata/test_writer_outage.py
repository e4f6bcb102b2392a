"""The server goes away before a writer is closed: the error holds exactly what was not delivered,
and re-sending it once the server is back (same database file) completes the data, no duplicates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from tempodb import ConnectError, UndeliveredError
from tempodb.testing import run_server

pytestmark = pytest.mark.anyio

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)


async def test_outage_then_resend_completes_without_duplicates(connect: Callable[..., Any], tmp_path: Any) -> None:
    db = tmp_path / "outage.db"
    # Increments: a point sent twice would show as a doubled value.
    amounts = {(key, i): i + 1 for key in ("a", "b", "c") for i in range(50)}
    order = list(amounts)
    with run_server(tmp_path / "first", db_path=db) as server:
        client = connect("outage", "secret", server.info, retry=False)
        w = client.writer(max_points=40)
        for key, i in order[:100]:
            await w.increment(T0 + timedelta(minutes=i), amounts[key, i], key=key)
        assert w.stats.sent == 80  # two size flushes landed
        server.stop()
        for key, i in order[100:]:
            await w.increment(T0 + timedelta(minutes=i), amounts[key, i], key=key)
        with pytest.raises(UndeliveredError) as caught:
            await w.aclose()
        await client.aclose()
    error = caught.value
    assert error.uncertain == [] and error.refused == []  # connection refused: provably not sent
    left = [(p.item.key, p.item.t) for p in error.points]
    assert left == [(key, T0 + timedelta(minutes=i)) for key, i in order[80:]]
    assert all(p.kind == "increment" for p in error.points)
    assert w.stats.failed == 70 and w.stats.sent == 80

    with run_server(tmp_path / "second", db_path=db) as server:
        client = connect("outage", "secret", server.info)
        try:
            async with client.writer() as again:
                await again.resend(error.points)
            for key in ("a", "b", "c"):
                data = await client.read_key(key, T0, T0 + timedelta(days=1), interval="raw")
                assert {p.ts: p.value for p in data.data} == {
                    T0 + timedelta(minutes=i): amounts[key, i] for i in range(50)
                }
        finally:
            await client.aclose()


async def test_a_writer_facing_a_dead_server_gives_up_and_reports_everything(
    connect: Callable[..., Any], tmp_path: Any
) -> None:
    with run_server(tmp_path / "gone") as server:
        client = connect("gone", "secret", server.info, retry=False)
    # The server is stopped: every flush fails; after give_up_after nothing more is tried.
    w = client.writer(max_points=10, give_up_after=0.05)
    for i in range(30):
        await w.write(T0 + timedelta(minutes=i), float(i), key="k")
    await anyio.sleep(0.06)
    await w.write(T0 + timedelta(minutes=30), 30.0, key="k")  # queued: no flush is attempted now
    with pytest.raises(UndeliveredError) as caught:
        await w.aclose()
    await client.aclose()
    assert [p.item.v for p in caught.value.points] == [float(i) for i in range(31)]
    assert caught.value.uncertain == [] and isinstance(caught.value.cause, ConnectError)
