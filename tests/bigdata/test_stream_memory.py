"""Streaming keeps memory flat: 200k points streamed peak far below the one-shot read's peak
(the 10M-point measurement is in benchmarks/bigdata.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import tempodb
from benchmarks._common import traced_peak

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
N = 200_000


@pytest.mark.slow  # ~6 s: 200k points written, then read twice under tracemalloc
def test_streaming_peak_is_far_below_the_one_shot_read() -> None:
    with tempodb.Client.local() as client:
        points = [tempodb.DataPoint(T0 + timedelta(seconds=i), float(i)) for i in range(N)]
        client.write_key("big", points)
        del points
        end = T0 + timedelta(seconds=N)

        def one_shot() -> None:
            assert len(client.read_key("big", T0, end, interval="raw").data) == N

        def streamed() -> None:
            count = 0
            for _ in client.stream_key("big", T0, end, window=timedelta(hours=2)):
                count += 1
            assert count == N

        whole, stream = traced_peak(one_shot), traced_peak(streamed)
        assert stream * 8 < whole, (stream, whole)
