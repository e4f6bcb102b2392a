"""The formatter's lazily built tables are shared by the server's worker threads: a thread must
never see one half built (the console's first page load sends several reads at once)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from tempodb.server import _timefmt


@pytest.fixture
def fresh_tables() -> Iterator[None]:
    saved = list(_timefmt._HMS)
    _timefmt._HMS.clear()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to hit a half-built table
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        _timefmt._HMS[:] = saved or _timefmt._HMS


def test_first_use_from_many_threads_at_once(fresh_tables: None) -> None:
    last_second_of_a_day = [86_399_000]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def render() -> None:
        start.wait()
        try:
            assert _timefmt.format_many(last_second_of_a_day) == ["1970-01-01T23:59:59.000Z"]
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=render) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
