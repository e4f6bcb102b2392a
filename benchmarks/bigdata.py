"""Big-data figures: ``python -m benchmarks.bigdata`` (``--quick`` for a smoke run).

- writer: the batching writer's points/s against plain ``write_multi`` calls of the same size;
- columnar: ``read_key_columns`` against ``read_key`` (models): points/s, and bytes per point
  (retained by the result, and the peak while reading, response body included);
- streaming: peak traced memory while streaming N points (10M by default) against the one-shot
  read's peak at a size it can afford.

Everything runs on the embedded server (``Client.local``) in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import tempodb
from benchmarks._common import timed, traced_peak

T0 = datetime(2012, 1, 1, tzinfo=timezone.utc)


def fill(client: tempodb.Client, key: str, n: int, step: timedelta = timedelta(seconds=1)) -> datetime:
    """``n`` points one ``step`` apart from T0, written in 100k blocks; returns the end of the range."""
    for begin in range(0, n, 100_000):
        block = range(begin, min(begin + 100_000, n))
        client.write_key(key, [tempodb.DataPoint(T0 + step * i, float(i % 1000) / 7) for i in block])
    return T0 + step * n


def bench_writer(directory: str, n: int, batch: int) -> None:
    keys = [f"w{i}" for i in range(20)]
    stamps = [T0 + timedelta(seconds=i // len(keys)) for i in range(n)]

    def batched() -> None:
        path = os.path.join(directory, f"w-{time.monotonic_ns()}.db")
        with tempodb.Client.local(path) as client, client.writer(max_points=batch, max_bytes=1 << 30) as writer:
            for i in range(n):
                writer.write(stamps[i], i, key=keys[i % 20])

    def plain() -> None:
        with tempodb.Client.local(os.path.join(directory, f"p-{time.monotonic_ns()}.db")) as client:
            for begin in range(0, n, batch):
                client.write_multi(
                    [{"t": stamps[i], "key": keys[i % 20], "v": i} for i in range(begin, min(begin + batch, n))]
                )

    t_writer, t_plain = timed(batched, 2), timed(plain, 2)
    print(f"writer     batching writer          {n / t_writer:>12,.0f} points/s  ({n:,} points, batches of {batch})")
    print(f"writer     plain write_multi calls  {n / t_plain:>12,.0f} points/s  (ratio {t_plain / t_writer:.2f}x)")


def bench_columnar(directory: str, n: int) -> None:
    from tempodb._core.protocol import build_read_one, parse_dataset
    from tempodb._wire.keys import SeriesRef
    from tempodb.columnar import columns_from_dataset, parse_columns

    with tempodb.Client.local(os.path.join(directory, "columnar.db")) as client:
        end = fill(client, "c", n)
        t_models = timed(lambda: client.read_key("c", T0, end, interval="raw"))
        t_columns = timed(lambda: client.read_key_columns("c", T0, end, interval="raw"))
        request = build_read_one(client._session, SeriesRef("key", "c"), T0, end, "raw")
        body = client._transport.send(request).body
    # Decoding alone (the embedded server's time to build the body is the same for both paths).
    d_models = timed(lambda: parse_dataset(body))
    d_numpy = timed(lambda: columns_from_dataset(parse_dataset(body)))
    d_columns = timed(lambda: parse_columns(body))
    kept: list[Any] = []
    peak = traced_peak(lambda: kept.append(parse_columns(body)))
    models_peak = traced_peak(lambda: kept.append(parse_dataset(body)))
    cols = kept[0]
    print(f"columnar   read_key (models)        {n / t_models:>12,.0f} points/s  (embedded: server included)")
    print(f"columnar   read_key_columns         {n / t_columns:>12,.0f} points/s  ({t_models / t_columns:.2f}x)")
    print(f"columnar   decode: models           {n / d_models:>12,.0f} points/s  ({len(body) / n:.0f} B/point of JSON)")
    print(f"columnar   decode: models -> numpy  {n / d_numpy:>12,.0f} points/s")
    print(f"columnar   decode: columns          {n / d_columns:>12,.0f} points/s  "
          f"({d_models / d_columns:.2f}x models, {d_numpy / d_columns:.1f}x models -> numpy)")
    print(f"columnar   retained                 {cols.nbytes / n:>12.1f} B/point   (models: {models_peak / n:.0f} B/point)")
    print(f"columnar   decode peak (no body)    {peak / n:>12.1f} B/point")


def bench_stream(directory: str, n: int, one_shot_n: int) -> None:
    with tempodb.Client.local(os.path.join(directory, "stream.db")) as client:
        started = time.perf_counter()
        end = fill(client, "s", n)
        wrote = time.perf_counter() - started
        counted = [0]

        def stream() -> None:
            for _ in client.stream_key("s", T0, end, window=timedelta(hours=6)):
                counted[0] += 1

        started = time.perf_counter()
        stream()
        rate = n / (time.perf_counter() - started)
        peak = traced_peak(stream)
        small_end = T0 + timedelta(seconds=one_shot_n)
        one_shot = traced_peak(lambda: client.read_key("s", T0, small_end, interval="raw"))
    assert counted[0] == 2 * n
    print(f"streaming  {n:,} points: {rate:,.0f} points/s (written at {n / wrote:,.0f}/s)")
    print(f"streaming  peak traced memory       {peak / 2**20:>12.1f} MiB for {n:,} points ({peak / n:.2f} B/point)")
    print(f"streaming  one-shot read peak       {one_shot / 2**20:>12.1f} MiB for only {one_shot_n:,} points")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bigdata", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few seconds")
    parser.add_argument("--stream-points", type=int, help="points streamed (default 10M; 200k with --quick)")
    args = parser.parse_args(argv)
    writer_n, columnar_n = (50_000, 100_000) if args.quick else (500_000, 1_000_000)
    stream_n = args.stream_points or (200_000 if args.quick else 10_000_000)
    with tempfile.TemporaryDirectory(prefix="tempodb-bench-") as directory:
        bench_writer(directory, writer_n, 5_000)
        bench_columnar(directory, columnar_n)
        bench_stream(directory, stream_n, min(stream_n, 1_000_000))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
