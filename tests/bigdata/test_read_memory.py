"""A big read into models holds at most 140 bytes per point, at its peak and after, embedded and
over HTTP: the models themselves take 112 (DataPoint 32, datetime 48, float 24, list slot 8), so
neither the response body nor the columns may sit whole beside them (the 1M-point figures are in
``python -m benchmarks --only end_to_end``)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

import tempodb
from tempodb.testing import ServerInfo

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
N = 500_000
GOAL = 140  # bytes per point


def held(read: Callable[[], tempodb.DataSet]) -> tuple[float, float]:
    """(peak during, retained after) bytes per point of ``read``, by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        found = read()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found.data) == N
    return peak / N, retained / N


def write_and_measure(client: tempodb.Client) -> tuple[float, float]:
    client.write_key("big", [tempodb.DataPoint(T0 + timedelta(seconds=i), i * 0.5) for i in range(N)])
    client.read_key("big", T0, T0 + timedelta(seconds=10), interval="raw")  # warm: the first call's one-time costs
    return held(lambda: client.read_key("big", T0, T0 + timedelta(seconds=N), interval="raw"))


@pytest.mark.slow  # ~8 s: 500k points written, then read under tracemalloc
def test_an_embedded_read_holds_at_most_140_bytes_per_point(tmp_path: object) -> None:
    with tempodb.Client.local(str(tmp_path) + "/read.db") as client:
        peak, retained = write_and_measure(client)
    assert peak <= GOAL and retained <= GOAL, (peak, retained)


@pytest.mark.slow  # ~10 s: 500k points written over HTTP, then read under tracemalloc
def test_an_http_read_holds_at_most_140_bytes_per_point(tempodb_server: ServerInfo, tempodb_credentials: tuple[str, str]) -> None:
    key, secret = tempodb_credentials
    with tempodb.Client(key, secret, tempodb_server.host, tempodb_server.port, secure=False) as client:
        peak, retained = write_and_measure(client)
    assert peak <= GOAL and retained <= GOAL, (peak, retained)
