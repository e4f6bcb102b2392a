"""DataFrame figures: ``python -m benchmarks.frames`` (``--quick`` for a smoke run).

A frame of 100 series (a column each, one row a minute, 10% of the cells NaN) on the embedded
server, in a temporary directory:

- write: ``client.write_frame`` against ``write_multi`` calls of the same points in batches of the
  same size (the dicts built inside the timing, as a user would), points/s, and the peak traced
  memory of the frame write per point (bounded: it walks the frame a block of rows at a time);
- read: ``client.read_frame`` (wide, one request; and window by window) against the per-series
  columnar read (``read_key_columns`` for each series, joined with ``to_pandas``), points/s, and
  bytes per point retained by the frame and at the peak while reading (response body included).

Every figure is measured in the same run as the one it is compared with.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta

import numpy as np
import pandas as pd

import tempodb
from benchmarks._common import timed, traced_peak
from benchmarks.bigdata import T0

SERIES = 100
BATCH = 5_000


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(16)
    values = rng.normal(20.0, 5.0, (rows, SERIES))
    values[rng.random((rows, SERIES)) < 0.1] = np.nan
    index = pd.date_range(T0, periods=rows, freq="min")
    return pd.DataFrame(values, index=index, columns=[f"sensor.{i:03d}" for i in range(SERIES)])


def bench_write(directory: str, data: pd.DataFrame) -> None:
    n = int(data.notna().sum().sum())

    def with_frame() -> None:
        with tempodb.Client.local(os.path.join(directory, f"f-{time.monotonic_ns()}.db")) as client:
            client.write_frame(data, batch_size=BATCH)

    def with_multi() -> None:
        stamps = data.index.to_pydatetime()
        with tempodb.Client.local(os.path.join(directory, f"m-{time.monotonic_ns()}.db")) as client:
            batch: list[dict[str, object]] = []
            for column in data.columns:
                for ts, value in zip(stamps, data[column].tolist(), strict=True):
                    if value == value:  # not NaN
                        batch.append({"t": ts, "key": column, "v": value})
                        if len(batch) == BATCH:
                            client.write_multi(batch)
                            batch = []
            if batch:
                client.write_multi(batch)

    t_frame, t_multi = timed(with_frame, 2), timed(with_multi, 2)
    peak = traced_peak(with_frame)
    print(f"write  write_frame                {n / t_frame:>12,.0f} points/s  ({n:,} points, {SERIES} series)")
    print(f"write  write_multi calls          {n / t_multi:>12,.0f} points/s  (write_frame: {t_multi / t_frame:.2f}x)")
    print(f"write  write_frame peak traced    {peak / n:>12.1f} B/point   ({peak / 2**20:.1f} MiB; the frame: "
          f"{data.memory_usage().sum() / n:.1f} B/point)")  # fmt: skip


def bench_read(directory: str, data: pd.DataFrame) -> None:
    n = int(data.notna().sum().sum())
    end = data.index[-1] + timedelta(minutes=1)
    with tempodb.Client.local(os.path.join(directory, "read.db")) as client:
        client.write_frame(data, batch_size=BATCH)
        keys = list(data.columns)

        def wide() -> pd.DataFrame:
            return client.read_frame(T0, end, "raw")

        def windowed() -> pd.DataFrame:
            return client.read_frame(T0, end, "raw", window=timedelta(days=1))

        def per_series() -> pd.DataFrame:
            columns = [client.read_key_columns(key, T0, end, "raw").to_pandas() for key in keys]
            return pd.concat(columns, axis=1, sort=True)

        t_wide, t_windowed, t_series = timed(wide), timed(windowed), timed(per_series)
        kept = wide()
        assert kept.shape == data.shape
        peak_wide, peak_windowed, peak_series = traced_peak(wide), traced_peak(windowed), traced_peak(per_series)
    print(f"read   read_frame (one request)   {n / t_wide:>12,.0f} points/s  (embedded: server included)")
    print(f"read   read_frame (1-day windows) {n / t_windowed:>12,.0f} points/s")
    print(f"read   read_key_columns x {SERIES}     {n / t_series:>12,.0f} points/s  "
          f"(read_frame: {t_series / t_wide:.2f}x)")  # fmt: skip
    print(f"read   frame retained             {kept.memory_usage().sum() / n:>12.1f} B/point   (wide: NaN cells count)")
    print(f"read   peak traced: read_frame    {peak_wide / n:>12.1f} B/point   (response body included)")
    print(f"read   peak traced: 1-day windows {peak_windowed / n:>12.1f} B/point")
    print(f"read   peak traced: per series    {peak_series / n:>12.1f} B/point")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.frames", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few seconds")
    parser.add_argument("--rows", type=int, help="rows of the 100-series frame (default 10,000; 500 with --quick)")
    args = parser.parse_args(argv)
    data = frame(args.rows or (500 if args.quick else 10_000))
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-") as directory:
        bench_write(directory, data)
        bench_read(directory, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
