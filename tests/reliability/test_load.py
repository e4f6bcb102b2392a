"""200 concurrent writers and incrementers against a ``tempodb serve`` of their own: no errors, no
lost points, exact sums.  Run with ``pytest -s`` to see the throughput."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import anyio
import pytest
from truth import T0, minutes

import tempodb
import tempodb.aio
from tempodb.testing import ServerInfo, run_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]  # ~7 s per backend

WRITERS = 100
INCREMENTERS = 100
ROUNDS = 3  # requests per task
POINTS = 150  # points per write request
COUNTERS = 20  # timestamps every incrementer bumps by 1 per round


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    with run_server(tmp_path_factory.mktemp("load")) as server:
        yield server.info


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_200_concurrent_writers_and_incrementers_lose_nothing(
    load_server: ServerInfo, anyio_backend: str
) -> None:
    key, secret = load_server.new_credentials()
    errors: list[BaseException] = []
    ones = minutes(COUNTERS, value=1)

    async def writer(client: tempodb.aio.Client, n: int) -> None:
        try:
            for r in range(ROUNDS):
                await client.write_key(f"w{n}", minutes(POINTS, start=r * POINTS))
        except Exception as exc:
            errors.append(exc)

    async def incrementer(client: tempodb.aio.Client) -> None:
        try:
            for _ in range(ROUNDS):
                await client.increment_key("counter", ones)
        except Exception as exc:
            errors.append(exc)

    # Retries off: under this load any 5xx or dropped connection must show up as a failure.
    async with tempodb.aio.Client(
        key,
        secret,
        load_server.host,
        load_server.port,
        False,
        pool_connections=64,
        pool_maxsize=64,
        retry=False,
        timeout=30.0,
    ) as client:
        began = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for n in range(WRITERS):
                tg.start_soon(writer, client, n)
            for _ in range(INCREMENTERS):
                tg.start_soon(incrementer, client)
        elapsed = time.perf_counter() - began

    assert errors == []
    sent = WRITERS * ROUNDS * POINTS + INCREMENTERS * ROUNDS * COUNTERS
    requests = (WRITERS + INCREMENTERS) * ROUNDS
    print(
        f"\nload[{anyio_backend}]: {WRITERS} writers + {INCREMENTERS} incrementers, {requests} requests, "
        f"{sent} points in {elapsed:.2f} s = {sent / elapsed:,.0f} points/s, {requests / elapsed:,.0f} requests/s"
    )

    with tempodb.Client(key, secret, load_server.host, load_server.port, False) as direct:
        end = T0 + timedelta(minutes=ROUNDS * POINTS)
        for n in range(WRITERS):
            assert direct.read_key(f"w{n}", T0, end).data == minutes(ROUNDS * POINTS)
        counter = direct.read_key("counter", T0, end).data
        assert [p.ts for p in counter] == [p.ts for p in ones]
        assert [p.value for p in counter] == [INCREMENTERS * ROUNDS] * COUNTERS
