"""A streamed raw read holds nothing per point: its summary folds the points grain by grain as they
pass (``partials.GrainFolder``) instead of keeping every value until the end (issue 11's goal)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tempodb._wire.http import Request, StreamedResponse
from tempodb._wire.keys import SeriesRef
from tempodb.server import open_engine, sqlite
from tempodb.server._timefmt import format_ms
from tempodb.server.storage import PointBatch

AUTH = {"Authorization": "Basic a2V5OnNlY3JldA=="}
T0 = 1_356_998_400_000
SMALL, LARGE = 50_000, 400_000


@pytest.mark.slow  # ~5 s: 400k points written, then streamed twice under tracemalloc
def test_a_streamed_raw_read_peaks_the_same_for_8x_the_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "_CHUNK", 2_000)  # small chunks: what is held per point would show
    engine = open_engine(str(tmp_path / "db.sqlite"))
    try:
        for begin in range(0, LARGE, 100_000):
            points = [(T0 + 1000 * i, i / 7) for i in range(begin, begin + 100_000)]
            engine.store.write_points("key", [PointBatch(points, SeriesRef("key", "k"))], increment=False)
        engine.handle(Request("GET", "http://h/v1/series/key/k/", AUTH, b""))  # the database's secret, once

        def peak(n: int) -> int:
            target = f"http://h/v1/series/key/k/data/?start={format_ms(T0)}&end={format_ms(T0 + 1000 * n)}&interval=raw"
            tracemalloc.start()
            try:
                response = engine.handle(Request("GET", target, AUTH, b""), stream=True)
                assert isinstance(response, StreamedResponse)
                sent = sum(len(block) for block in response.blocks)
                assert sent > 40 * n
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        small, large = peak(SMALL), peak(LARGE)
        # Keeping each value (8 bytes a point, as before) would add 2.8 MB for the 350k more points.
        assert large < small + 1_000_000, (small, large)
    finally:
        engine.close()
