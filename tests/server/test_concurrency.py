"""Increments stay exact when many threads (and connections) hit the same point at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tempodb.server import open_engine

THREADS, ROUNDS = 8, 40


def _hammer(api: Any) -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(ROUNDS):
                response = api("POST", "/v1/series/key/counter/increment/", [{"t": "2012-01-01T00:00:00Z", "v": n + 1}])
                assert response.status_code == 200, response.body
                if i % 10 == 0:
                    multi = [{"t": "2012-01-01T00:00:00Z", "key": "counter", "v": 1}]
                    assert api("POST", "/v1/multi/increment/", multi).status_code == 200
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.parametrize("backend", ["memory", "file", "postgresql"])
def test_concurrent_increments_are_exact(tmp_path: Any, caller: Any, backend: str, request: pytest.FixtureRequest) -> None:
    targets = {"memory": lambda: ":memory:", "file": lambda: str(tmp_path / "c.db"), "postgresql": lambda: request.getfixturevalue("postgres_url")}
    engine = open_engine(targets[backend]())
    try:
        api = caller(engine)
        _hammer(api)
        data = api.ok("GET", "/v1/series/key/counter/data/?start=2012-01-01&end=2012-01-02")["data"]
        expected = ROUNDS * sum(range(1, THREADS + 1)) + THREADS * (ROUNDS // 10)
        assert data == [{"t": "2012-01-01T00:00:00.000Z", "v": expected}]
        assert len(api.ok("GET", "/v1/series/")) == 1  # concurrent auto-create made one series
    finally:
        engine.close()


@pytest.mark.parametrize("backend", ["file", "postgresql"])
def test_two_engines_on_one_database_share_data(tmp_path: Any, caller: Any, backend: str, request: pytest.FixtureRequest) -> None:
    path = str(tmp_path / "shared.db") if backend == "file" else request.getfixturevalue("postgres_url")
    first, second = open_engine(path), open_engine(path)
    try:
        caller(first).ok("POST", "/v1/series/key/k/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 2}])
        caller(second).ok("POST", "/v1/series/key/k/increment/", [{"t": "2012-01-01T00:00:00Z", "v": 3}])
        data = caller(first).ok("GET", "/v1/series/key/k/data/?start=2012-01-01&end=2012-01-02")["data"]
        assert data == [{"t": "2012-01-01T00:00:00.000Z", "v": 5}]
    finally:
        first.close()
        second.close()
