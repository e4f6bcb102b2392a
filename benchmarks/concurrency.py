"""Section ``concurrency``: async writers against one ``tempodb serve`` on loopback.

W writers (1, 4, 16, 64) share one ``tempodb.aio.Client`` (pool sized to W) and each writes its
own series in batches of ``BATCH`` points; the total number of points is fixed, so every run does
the same work.  Runs on asyncio and on trio.  The ratio is points/s against one writer on the same
event loop: how much concurrency buys when SQLite serialises the writes behind the server.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta

import anyio
import trio

import tempodb.aio
from benchmarks._common import T0, Row, points
from benchmarks._server import server

BATCH = 1_000


async def _run_writers(host: str, port: int, writers: int, total: int) -> float:
    """Seconds for ``writers`` tasks to write ``total`` points between them."""
    per_writer = max(BATCH, total // writers)
    data = points(per_writer)
    batches = [data[i : i + BATCH] for i in range(0, per_writer, BATCH)]
    # A fresh database per run (open mode: a new key is a new database), so no run sees another's rows.
    key = secrets.token_hex(8)
    async with tempodb.aio.Client(key, "bench", host, port, secure=False, pool_maxsize=max(writers, 10)) as client:
        await client.write_key("warm-up", [data[0]])  # the connection and database exist before timing

        async def writer(index: int) -> None:
            for batch in batches:
                await client.write_key(f"writer-{index}", batch)

        begin = time.perf_counter()
        async with anyio.create_task_group() as group:
            for index in range(writers):
                group.start_soon(writer, index)
        elapsed = time.perf_counter() - begin
        # A spot check that the writes really landed (outside the timed region).
        found = await client.read_key("writer-0", T0, T0 + timedelta(seconds=per_writer), interval="raw")
        assert len(found.data) == per_writer, (len(found.data), per_writer)
    return per_writer * writers / elapsed


def run(writer_counts: Sequence[int], total: int) -> list[Row]:
    rows: list[Row] = []
    with server() as proc:
        host, port = proc.info.host, proc.info.port
        for loop in ("asyncio", "trio"):
            base = None
            for writers in writer_counts:
                if loop == "asyncio":
                    rate = asyncio.run(_run_writers(host, port, writers, total))
                else:
                    rate = trio.run(_run_writers, host, port, writers, total)
                base = rate if base is None else base
                rows.append(
                    Row("concurrency", f"{loop}, {writers} writer{'s' if writers > 1 else ''}", rate, "points/s",
                        rate / base, f"{writer_counts[0]} writer", extra={"batch": BATCH, "total_points": total})
                )
    return rows
