"""Two ``tempodb serve`` processes on one PostgreSQL database: stateless servers that give the same
answers, exact sums under concurrent increments, and no acknowledged write lost when a server is
killed or PostgreSQL restarts under load."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

import tempodb
import tempodb.aio
from tempodb import DataPoint, RetryPolicy, TempoDBError
from tempodb.testing import ServerProcess, run_server

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

T0 = datetime(2013, 1, 1, tzinfo=timezone.utc)
KEY, SECRET = "tenant", "tenant-secret"
#: Retries that ride out a short outage (a restart of PostgreSQL takes about a second).
PATIENT = RetryPolicy(attempts=8, base=0.1, cap=1.0, budget=15.0)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(run_server(tmp_path / name, db_path=postgres_url, credentials={KEY: SECRET}))
            for name in ("a", "b")
        ]


def _client(server: ServerProcess, **options: Any) -> tempodb.aio.Client:
    return tempodb.aio.Client(KEY, SECRET, server.info.host, server.info.port, False, **options)


def _read(server: ServerProcess, key: str, minutes: int) -> list[DataPoint]:
    with tempodb.Client(KEY, SECRET, server.info.host, server.info.port, False) as client:
        return client.read_key(key, T0, T0 + timedelta(minutes=minutes)).data


async def test_concurrent_increments_through_two_servers_sum_exactly(servers: list[ServerProcess]) -> None:
    tasks, rounds = 16, 15
    clients = [_client(server) for server in servers]
    try:

        async def work(n: int) -> None:
            client = clients[n % 2]
            for i in range(rounds):
                # Two timestamps: one every task adds to, one per task parity (row contention and spread).
                await client.increment_key("counter", [DataPoint(T0, n), DataPoint(T0 + timedelta(minutes=1 + n % 2), 1)])
                if i % 5 == 0:
                    await client.increment_key(f"counter-{n % 3}", [DataPoint(T0, 1)])  # racing get-or-create

        async with anyio.create_task_group() as group:
            for n in range(1, tasks + 1):
                group.start_soon(work, n)
    finally:
        for client in clients:
            await client.aclose()
    expected = [rounds * sum(range(1, tasks + 1)), rounds * (tasks // 2), rounds * (tasks // 2)]
    for server in servers:  # both servers give the same answer
        assert [p.value for p in _read(server, "counter", 3)] == expected
        # Partials were kept exact while the servers took turns on the series: a grain-aligned rollup
        # (answered from them) adds up to the points.
        with tempodb.Client(KEY, SECRET, server.info.host, server.info.port, False) as client:
            hourly = client.read_key("counter", T0, T0 + timedelta(hours=1), interval="1hour", function="sum").data
        assert [p.value for p in hourly] == [sum(expected)]
        with tempodb.Client(KEY, SECRET, server.info.host, server.info.port, False) as client:
            assert sorted(s.key for s in client.get_series()) == ["counter", "counter-0", "counter-1", "counter-2"]


async def _writer(client: tempodb.aio.Client, key: str, count: int, acknowledged: list[int]) -> None:
    """Write one point a call; remember those answered 200.  Typed errors are allowed, never silence."""
    for i in range(count):
        try:
            await client.write_key(key, [DataPoint(T0 + timedelta(minutes=i), i)])
        except TempoDBError:
            continue
        acknowledged.append(i)


async def test_killing_one_server_loses_no_acknowledged_write(servers: list[ServerProcess]) -> None:
    first, second = servers
    acked: dict[str, list[int]] = {"via-a": [], "via-b": []}
    clients = [_client(first, retry=False, timeout=2.0), _client(second, retry=PATIENT)]
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_writer, clients[0], "via-a", 400, acked["via-a"])
            group.start_soon(_writer, clients[1], "via-b", 400, acked["via-b"])
            while len(acked["via-a"]) < 50:
                await anyio.sleep(0.01)
            first.kill()  # SIGKILL, mid-load
    finally:
        for client in clients:
            await client.aclose()
    assert len(acked["via-b"]) == 400, "the other server kept serving"
    assert 50 <= len(acked["via-a"]) < 400
    for key, acknowledged in acked.items():
        stored = {int(p.value) for p in _read(second, key, 400)}
        assert set(acknowledged) <= stored, f"{key}: acknowledged writes lost"


async def test_a_postgresql_restart_loses_nothing_and_servers_reconnect(
    servers: list[ServerProcess], postgres_cluster: Any
) -> None:
    acked: dict[str, list[int]] = {"a": [], "b": []}
    clients = [_client(server, retry=PATIENT, timeout=5.0) for server in servers]
    try:
        async with anyio.create_task_group() as group:
            for name, client in zip("ab", clients, strict=True):
                group.start_soon(_writer, client, name, 300, acked[name])
            while min(len(v) for v in acked.values()) < 30:
                await anyio.sleep(0.01)
            await anyio.to_thread.run_sync(postgres_cluster.stop)  # fast shutdown: connections are cut
            await anyio.sleep(0.5)
            await anyio.to_thread.run_sync(postgres_cluster.start)
    finally:
        for client in clients:
            await client.aclose()
    for server in servers:  # reconnected by themselves: a fresh request is answered
        deadline = time.monotonic() + 20
        while True:
            try:
                _read(server, "a", 1)
                break
            except TempoDBError:
                assert time.monotonic() < deadline, "a server did not reconnect"
                time.sleep(0.2)
    for name, acknowledged in acked.items():
        assert len(acknowledged) > 30
        stored = {int(p.value) for p in _read(servers[0], name, 300)}
        assert set(acknowledged) <= stored, f"{name}: acknowledged writes lost"
