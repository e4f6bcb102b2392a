"""Frames in bounded memory: ``write_frame`` walks the frame a block at a time through the batching
writer, and a windowed ``read_frame`` holds one window's response, not the whole range's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

import tempodb
from benchmarks._common import traced_peak

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)
ROWS, SERIES = 8_000, 15  # 120k points


@pytest.mark.slow  # memory measurement under tracemalloc, ~20 s
def test_frames_are_written_and_read_in_bounded_memory() -> None:
    index = pd.date_range(T0, periods=ROWS, freq="min")
    frame = pd.DataFrame(np.random.default_rng(1).normal(size=(ROWS, SERIES)), index=index,
                         columns=[f"s{i}" for i in range(SERIES)])  # fmt: skip
    points = ROWS * SERIES
    with tempodb.Client.local() as client:
        written = traced_peak(lambda: client.write_frame(frame, batch_size=2_000))
        # A block of rows and one batch, whatever the frame's size: far below a Python object per point.
        assert written < 8 * 2**20, f"{written / points:.1f} B/point"
        end = index[-1] + timedelta(minutes=1)
        one_shot = traced_peak(lambda: client.read_frame(T0, end, "raw"))
        windowed = traced_peak(lambda: client.read_frame(T0, end, "raw", window=timedelta(hours=6)))
    # The one-shot read holds the whole response body (~60 B/point); windows hold one window's, plus
    # the result's columns (16 B/point) and the frame.
    assert windowed < one_shot / 2, (windowed / points, one_shot / points)
