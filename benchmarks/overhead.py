"""Section ``overhead``: what one small call costs through our client over a bare httpx client.

The call is ``get_series_by_key`` on a one-series database served by ``tempodb serve`` on
loopback; the bare client sends the same GET with the same Basic auth header and decodes the JSON.
Variants run in interleaved blocks (ours, bare, bare, ours, ...) so drift in machine load hits both
alike; each block's mean per-call time is one sample and the table shows medians of the samples.
Goal: ours / bare <= 1.25.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable

import httpx
import trio

import tempodb
import tempodb.aio
from benchmarks._common import Row, check_goal, median
from benchmarks._server import server

KEY, SECRET, SERIES = "bench-key", "bench-secret", "bench-series"
GOAL = 1.25


def _auth() -> dict[str, str]:
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _interleave_sync(ours: Callable[[], object], bare: Callable[[], object], rounds: int, block: int) -> tuple[float, float]:
    samples: dict[str, list[float]] = {"ours": [], "bare": []}
    for r in range(rounds):
        # Alternate the order each round: whichever runs second in a round is never favoured.
        order = [("ours", ours), ("bare", bare)] if r % 2 == 0 else [("bare", bare), ("ours", ours)]
        for name, fn in order:
            begin = time.perf_counter()
            for _ in range(block):
                fn()
            samples[name].append((time.perf_counter() - begin) / block)
    return median(samples["ours"]), median(samples["bare"])


async def _interleave_async(
    ours: Callable[[], Awaitable[object]], bare: Callable[[], Awaitable[object]], rounds: int, block: int
) -> tuple[float, float]:
    samples: dict[str, list[float]] = {"ours": [], "bare": []}
    for r in range(rounds):
        order = [("ours", ours), ("bare", bare)] if r % 2 == 0 else [("bare", bare), ("ours", ours)]
        for name, fn in order:
            begin = time.perf_counter()
            for _ in range(block):
                await fn()
            samples[name].append((time.perf_counter() - begin) / block)
    return median(samples["ours"]), median(samples["bare"])


def _rows(label: str, ours: float, bare: float, rounds: int, block: int) -> list[Row]:
    extra = {"rounds": rounds, "block": block}
    return [
        Row("overhead", f"{label}: bare httpx", bare * 1e6, "us/call", 1.0, "bare httpx", extra=extra),
        check_goal(
            Row("overhead", f"{label}: ours", ours * 1e6, "us/call", ours / bare, "bare httpx (cost ratio)", extra=extra),
            "<=", GOAL,
        ),
    ]


def run(rounds: int, block: int) -> list[Row]:
    rows: list[Row] = []
    with server() as proc:
        info = proc.info
        url = f"{info.url.rstrip('/')}/series/key/{SERIES}/"
        headers = _auth()
        with tempodb.Client(KEY, SECRET, info.host, info.port, secure=False) as client, httpx.Client() as bare:
            client.create_series(SERIES)

            def ours_sync() -> object:
                return client.get_series_by_key(SERIES)

            def bare_sync() -> object:
                response = bare.get(url, headers=headers)
                response.raise_for_status()
                return response.json()

            _interleave_sync(ours_sync, bare_sync, 2, block)  # warm up connections and code paths
            rows += _rows("sync", *_interleave_sync(ours_sync, bare_sync, rounds, block), rounds, block)

        async def async_pair() -> tuple[float, float]:
            async with (
                tempodb.aio.Client(KEY, SECRET, info.host, info.port, secure=False) as client,
                httpx.AsyncClient() as bare,
            ):

                async def ours_async() -> object:
                    return await client.get_series_by_key(SERIES)

                async def bare_async() -> object:
                    response = await bare.get(url, headers=headers)
                    response.raise_for_status()
                    return response.json()

                await _interleave_async(ours_async, bare_async, 2, block)
                return await _interleave_async(ours_async, bare_async, rounds, block)

        rows += _rows("asyncio", *asyncio.run(async_pair()), rounds, block)
        rows += _rows("trio", *trio.run(async_pair), rounds, block)
    return rows
