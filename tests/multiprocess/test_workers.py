"""``tempodb serve --workers N``: N processes on one port and one database (a SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tempodb
from tempodb.testing import ServerProcess, run_server

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker pids from /proc")

T = datetime(2012, 1, 1, tzinfo=timezone.utc)


def _workers(server: ServerProcess) -> list[int]:
    pid = server.process.pid
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as file:
        return [int(p) for p in file.read().split()]


def _increment_many(server: ServerProcess, threads: int, rounds: int) -> None:
    def work(n: int) -> None:
        with tempodb.Client(server.info.key, server.info.secret, server.info.host, server.info.port, False) as client:
            for _ in range(rounds):
                client.increment_key("counter", [tempodb.DataPoint(T, n)])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(1, threads + 1)))


def _total(server: ServerProcess) -> object:
    with tempodb.Client(server.info.key, server.info.secret, server.info.host, server.info.port, False) as client:
        data = client.read_key("counter", T, datetime(2012, 1, 2, tzinfo=timezone.utc)).data
    return [p.value for p in data]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_workers_share_one_port_and_one_database(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    db = str(tmp_path / "w.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    with run_server(tmp_path, db_path=db, extra_args=["--workers", "2"]) as server:
        workers = _workers(server)
        assert len(workers) == 2
        _increment_many(server, threads=6, rounds=20)
        assert _total(server) == [20 * sum(range(1, 7))]
        # A worker killed outright is replaced; the port keeps answering meanwhile.
        os.kill(workers[0], signal.SIGKILL)
        _increment_many(server, threads=2, rounds=5)
        deadline = time.monotonic() + 20
        while len(_workers(server)) < 2 or workers[0] in _workers(server):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.1)
        assert _total(server) == [20 * sum(range(1, 7)) + 5 * 3]
        survivors = _workers(server)
        assert server.stop() == 0
        assert not any(_alive(pid) for pid in survivors), "stopping the parent stops its workers"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            return file.read().split()[2] != "Z"
    except OSError:
        return False


def test_memory_database_refuses_workers(tmp_path: Path) -> None:
    refused = pytest.raises(RuntimeError, match="--workers > 1 needs a database the workers share")
    with refused, run_server(tmp_path, db_path=":memory:", extra_args=["--workers", "2"]):
        pass
